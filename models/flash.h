/* SPDX-License-Identifier: MIT */
/* models/flash.h - a NOR flash array and its controller (FLASHC), one model
 * for any chip: page erase, word program, per-page erase counters, tearing
 * on power loss, injected failures and stuck bits, and array images.
 *
 * The register contract is firmware/include/regs/flashc.h; docs/flash.md
 * has the part table, the timing, the image format and the Notes.
 *
 * Usage: flash_init() into storage the caller owns, with the chip's node
 * (the completion event and the tearing RNG stream are its) and an optional
 * trace bus. The owner maps `flash->mem` (`flash->geom.size` bytes) as a
 * CPU_MEM_FLASH region without a write callback (core writes are bus
 * errors), maps flash_mmio_read/flash_mmio_write as the controller's MMIO
 * region, and calls cpu_invalidate() from on_change. Every address in this
 * API, the ADDR register, the trace and the callbacks is a bus address:
 * cfg.base + the offset in the array. */
#ifndef MODELS_FLASH_H
#define MODELS_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/event.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/time.h"
#include "sim/trace.h"

/* Geometry and timing of one part (a row of the datasheet-like table). */
typedef struct flash_geom {
    const char *part;       /* table name, e.g. "se-nor-256k" */
    uint32_t size;          /* bytes in the array; a multiple of page */
    uint32_t page;          /* erase unit in bytes; a multiple of word */
    uint32_t word;          /* program unit in bytes; must be 4 */
    sim_time_t t_erase;     /* one page erase (typical) */
    sim_time_t t_program;   /* one word program (typical) */
} flash_geom_t;

/* The SE's part: 256 KiB, 1 KiB pages, 32-bit words, 2.0 ms / 25 us. */
#define FLASH_PART_SE "se-nor-256k"

/* Looks a part up in the table (flash.c); NULL if unknown. */
const flash_geom_t *flash_part(const char *name);
/* The i-th row of the table, NULL past the end (for listings, docs). */
const flash_geom_t *flash_part_at(size_t i);

typedef enum flash_op_kind {
    FLASH_OP_ERASE,     /* == TRACE_FLASH_ERASE */
    FLASH_OP_PROGRAM,   /* == TRACE_FLASH_PROGRAM */
} flash_op_kind_t;

/* Masks for flash_fail_next(). */
#define FLASH_FAIL_ERASE   (1u << FLASH_OP_ERASE)
#define FLASH_FAIL_PROGRAM (1u << FLASH_OP_PROGRAM)

/* An operation the controller runs. */
typedef struct flash_op {
    flash_op_kind_t kind;
    uint32_t addr;        /* bus address: the page start, or the word */
    uint32_t len;         /* page size, or word size */
    uint32_t data;        /* program: the word written (erase: 0) */
    unsigned index;       /* operations started before this one since init */
    sim_time_t start;     /* the CTRL write */
    sim_time_t end;       /* start + t_erase / t_program */
} flash_op_t;

typedef struct flash flash_t;

typedef struct flash_cfg {
    const char *name;       /* trace source and warnings: "se0.flash" */
    flash_geom_t geom;      /* all zero: the FLASH_PART_SE row */
    uint32_t base;          /* bus address of the array's first byte */
    uint32_t regs_base;     /* bus address of the controller's registers
                               (MMIO callbacks get absolute addresses) */
    /* Interrupt line, level semantics: high while STATUS.DONE and
     * IRQEN.DONE. Called on every change of level only. May be NULL. */
    void (*irq)(void *ctx, bool level);
    /* [addr, addr+len) of the array changed (end of an operation, a tear,
     * a failure, stuck bits, an image load). May be NULL. */
    void (*on_change)(void *ctx, uint32_t addr, uint32_t len);
    /* An operation was accepted and started (BUSY set, its completion
     * scheduled). index counts operations from 0 since flash_init. The hook
     * may call flash_power_cut() or schedule a cut inside the op. May be
     * NULL. */
    void (*on_op_start)(void *ctx, flash_t *flash, unsigned index,
                        const flash_op_t *op);
    void *ctx;
} flash_cfg_t;

/* Totals since flash_init (or as loaded from an image). */
typedef struct flash_stats {
    uint64_t erases;        /* page erases, complete, torn or failed */
    uint64_t programs;      /* word programs, complete, torn or failed */
    uint64_t torn;          /* operations cut by flash_power_cut/reset */
    uint64_t failed;        /* operations failed by flash_fail_next */
    uint64_t unerased;      /* programs of a word that was not erased */
} flash_stats_t;

typedef struct flash_stuck {
    uint32_t off;           /* word offset in the array (bytes) */
    uint32_t mask, value;   /* bits that never change, and their value */
} flash_stuck_t;

struct flash {
    /* --- configuration --- */
    flash_cfg_t cfg;
    flash_geom_t geom;
    sim_node_t *node;
    trace_bus_t *trace;
    uint32_t n_pages;
    /* tearing draws from a stream of its own ("<node>.<name>"), so that
     * other models' draws on the node never move the torn bits */
    sim_rng_t rng;

    /* --- the array --- */
    uint8_t *mem;             /* geom.size bytes, little-endian words */
    uint32_t *erase_count;    /* per page, saturating */
    flash_stats_t stats;
    flash_stuck_t *stuck;
    size_t n_stuck, cap_stuck;

    /* --- the controller --- */
    uint32_t addr, data, status, irqen;
    bool irq_level;
    bool busy;
    flash_op_t op;            /* valid while busy */
    bool op_unerased;         /* the running program hits a non-erased word */
    bool op_fail;             /* the running operation will fail */
    unsigned next_index;
    unsigned fail_mask;       /* flash_fail_next(), one-shot */
    sim_event_t done_ev;
};

/* Lifecycle. init fills the array with 0xFF (a blank part), zeroes the
 * counters and resets the controller. A bad geometry is fatal. cleanup
 * frees the array (call it before or after sim_cleanup, either works). */
void flash_init(flash_t *flash, sim_node_t *node, trace_bus_t *trace,
                const flash_cfg_t *cfg);
void flash_cleanup(flash_t *flash);
/* A chip reset at time t: an operation in progress is cut (torn, as by
 * flash_power_cut) and the controller's registers take their reset values.
 * The array, counters, stuck bits and an armed fail_next are kept. */
void flash_reset(flash_t *flash, sim_time_t t);

/* Power lost at t: an operation in progress at t (start <= t < end) is cut
 * and its word/page left in a seeded in-between state drawn from the
 * node's RNG stream (docs/flash.md, "Tearing"); its trace record says torn.
 * An operation that had already ended by t completes first. The controller
 * is then idle with its registers at reset values, the IRQ line low. */
void flash_power_cut(flash_t *flash, sim_time_t t);

/* The next operation whose kind is in op_mask (FLASH_FAIL_*) fails: it runs
 * its full time, then ends with DONE | ERR_FAIL; a program leaves the array
 * unchanged, an erase leaves the page half-erased (the tear at 50 %). One
 * failure disarms the whole mask; 0 disarms. */
void flash_fail_next(flash_t *flash, unsigned op_mask);

/* Bits of the word at addr (bus address, word-aligned, in the array) selected
 * by mask are stuck at the matching bits of value: set now, and unchanged
 * by every later erase, program, tear or image load. Calls on one word
 * merge. Returns false (and changes nothing) for a bad address. */
bool flash_set_stuck(flash_t *flash, uint32_t addr, uint32_t mask,
                     uint32_t value);

/* The operation in progress (its kind, address, start and end), or false
 * if the controller is idle. out may be NULL. */
bool flash_op_in_progress(const flash_t *flash, flash_op_t *out);

/* Counters. */
uint32_t flash_erase_count(const flash_t *flash, uint32_t page);
void flash_get_stats(const flash_t *flash, flash_stats_t *out);

/* The word at a bus address (word-aligned, in the array), for tests and
 * tools; 0 outside. */
uint32_t flash_peek32(const flash_t *flash, uint32_t addr);

/* Controller registers by offset (FLASHC_*), at time t. Non-CPU owners and
 * tests use these; the MMIO callbacks below wrap them. */
uint32_t flash_reg_read(flash_t *flash, uint32_t off, sim_time_t t);
void flash_reg_write(flash_t *flash, uint32_t off, uint32_t value,
                     sim_time_t t);

/* cpu_mmio_read_fn / cpu_mmio_write_fn (models/cpu/cpu.h) with ctx = the
 * flash_t: addr is absolute (cfg.regs_base + offset). Only word accesses;
 * a byte or half-word access is a bus error. Reserved offsets read as
 * zero, writes to them are ignored. */
uint32_t flash_mmio_read(void *ctx, uint32_t addr, unsigned size,
                         sim_time_t t, bool *err);
void flash_mmio_write(void *ctx, uint32_t addr, uint32_t value,
                      unsigned size, sim_time_t t, bool *err);

/* Images (docs/flash.md, "Image format"). load accepts a CSFLASH1 image of
 * this flash's geometry (array and counters) or a raw binary of exactly
 * geom.size bytes (counters zeroed); stuck bits are applied after. It
 * refuses while an operation is in progress. save writes a CSFLASH1 image
 * atomically (a temporary file in the same directory, then rename). Both
 * return 0, or -1 with a message naming the file (and, for a bad image, the
 * byte offset of what is wrong) in err; on error nothing changed. */
int flash_load_image(flash_t *flash, const char *path, char *err,
                     size_t errlen);
int flash_save_image(const flash_t *flash, const char *path, char *err,
                     size_t errlen);

/* Image header layout (little-endian), shared with `cardsim flash`. */
#define FLASH_IMAGE_MAGIC      "CSFLASH1"
#define FLASH_IMAGE_OFF_HDRLEN 0x08u /* u32: offset of the array data */
#define FLASH_IMAGE_OFF_FLAGS  0x0Cu /* u32: 0 */
#define FLASH_IMAGE_OFF_SIZE   0x10u /* u32: array bytes */
#define FLASH_IMAGE_OFF_PAGE   0x14u /* u32: page bytes */
#define FLASH_IMAGE_OFF_WORD   0x18u /* u32: word bytes */
#define FLASH_IMAGE_OFF_PAGES  0x1Cu /* u32: pages = size / page */
#define FLASH_IMAGE_OFF_ERASES 0x20u /* u64: total erases */
#define FLASH_IMAGE_OFF_PROGS  0x28u /* u64: total programs */
#define FLASH_IMAGE_OFF_COUNTS 0x30u /* u32[pages]: erase count per page */
#define FLASH_IMAGE_FIXED      0x30u

#endif /* MODELS_FLASH_H */
