/* SPDX-License-Identifier: MIT */
/* tests/fw/symbols.S - ELF fixture for elf_symbolize(): symbols without a
 * size, a function nested in another, an object inside a function (literal
 * pool) and a data object. Linked at 0 (text) and 0x20000000 (data) by
 * tests/fw/meson.build; test_elf.c knows the offsets below. */
    .syntax unified
    .cpu cortex-m0
    .thumb

    .text
    .global start
    .type start, %function      @ no .size: size 0, runs up to "outer"
start:                          @ 0x00
    nop
    nop
    nop
    nop

    .global outer
    .type outer, %function
outer:                          @ 0x08, 16 bytes, "inner" nested at 0x0c
    nop
    nop
    .type inner, %function
inner:                          @ 0x0c, 4 bytes
    nop
    nop
    .size inner, 4
    nop
    nop
    .type pool, %object         @ 0x14, inside outer: outer wins (FUNC)
pool:
    .word 0x12345678
    .size pool, 4
    .size outer, 16

    .type tail, %function       @ 0x18, no .size: runs to the segment end
tail:
    nop
    nop

    .data
    .global table
    .type table, %object
table:                          @ 0x20000000, 8 bytes
    .word 1, 2
    .size table, 8
