/* SPDX-License-Identifier: MIT */
/* models/elf_load.h - loads an ARM 32-bit little-endian ELF executable
 * (firmware image) with libelf: loadable segments, entry point, symbols.
 *
 * The image is read whole and the file closed; everything an elf_image_t
 * points to is owned by it until elf_free(). Symbols turn PCs into
 * "function+0x12" for traces and fault reports (elf_symbolize).
 *
 * Placing segments: a segment's file bytes belong at p_paddr (the load
 * address, LMA). For the firmware's .data that is flash, and the startup code
 * copies it to p_vaddr in RAM. The zero fill (memsz > filesz) belongs at the
 * run address; the firmware linker scripts give .bss its own segment with
 * p_paddr == p_vaddr, so loading data[] whole at p_paddr is right for them. */
#ifndef MODELS_ELF_LOAD_H
#define MODELS_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

/* p_flags bits, as in <elf.h>. */
#define ELF_SEG_X 0x1u
#define ELF_SEG_W 0x2u
#define ELF_SEG_R 0x4u

typedef struct {
    uint32_t paddr;         /* load address (LMA): where data[] goes */
    uint32_t vaddr;         /* run address (VMA) */
    uint32_t filesz;        /* bytes taken from the file */
    uint32_t memsz;         /* filesz + zero fill */
    uint32_t flags;         /* ELF_SEG_R | ELF_SEG_W | ELF_SEG_X */
    uint32_t offset;        /* file offset, for messages */
    uint8_t *data;          /* memsz bytes (NULL if memsz == 0) */
} elf_segment_t;

typedef enum {
    ELF_SYM_FUNC,           /* STT_FUNC; Thumb bit cleared from addr */
    ELF_SYM_OBJECT,         /* STT_OBJECT */
} elf_sym_kind_t;

typedef struct {
    const char *name;
    uint32_t addr;
    uint32_t size;          /* st_size; 0 for many assembler labels */
    /* One past the last address elf_symbolize() attributes to the symbol:
     * addr + size, or for size-0 symbols the next symbol's address (capped at
     * the end of the segment holding addr; addr + 1 outside segments). */
    uint64_t end;
    elf_sym_kind_t kind;
    unsigned char bind;     /* STB_LOCAL, STB_GLOBAL, STB_WEAK */
} elf_symbol_t;

typedef struct {
    char *path;             /* as given to elf_load() */
    uint32_t entry;         /* e_entry as in the file: Thumb bit set */
    elf_segment_t *segs;    /* PT_LOAD segments with memsz > 0, file order */
    size_t nsegs;
    /* FUNC and OBJECT symbols, sorted by address; at one address FUNC
     * first, then GLOBAL, WEAK, LOCAL, then by name. */
    elf_symbol_t *syms;
    size_t nsyms;
    /* private to elf_load.c */
    char *names;            /* storage of every syms[i].name */
    uint64_t *max_end;      /* max_end[i] = max(syms[0..i].end) */
} elf_image_t;

/* Loads `path` into *img (overwritten, needs no init). Returns 0, or -1 with
 * a message naming the file in err (always NUL-terminated when errlen > 0);
 * on failure *img holds nothing and elf_free() on it is harmless. */
int elf_load(elf_image_t *img, const char *path, char *err, size_t errlen);

/* The symbol called `name`, FUNC preferred over OBJECT, then by binding as
 * in the sort order; NULL if none. */
const elf_symbol_t *elf_find_symbol(const elf_image_t *img, const char *name);

/* Writes "name+0xOFF" for the symbol covering pc (FUNC preferred over
 * OBJECT, the innermost when symbols nest; offset always printed, "+0x0" at
 * the start) and returns 1; or "0x%08x" and returns 0 when no symbol covers
 * pc. Truncates to len - 1 characters; writes nothing if len == 0. */
int elf_symbolize(const elf_image_t *img, uint32_t pc, char *buf, size_t len);

/* Releases everything elf_load() allocated and empties *img. */
void elf_free(elf_image_t *img);

#endif /* MODELS_ELF_LOAD_H */
