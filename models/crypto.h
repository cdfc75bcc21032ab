/* SPDX-License-Identifier: MIT */
/* models/crypto.h - the SE's crypto engine: SHA-256 over memory, ECDSA
 * P-256 signature verification and a seeded random number generator,
 * behind the registers of firmware/include/regs/crypto.h.
 *
 * Models: a bus-master accelerator clocked by the core clock. Each command
 * written to CTRL latches its operands, reads them from memory through the
 * read_mem callback (ROM, flash, RAM: cpu_read_mem() via
 * crypto_read_cpu_mem, or anything the chip provides), keeps STATUS.BUSY
 * for its cycle cost, then completes: results in DIGEST/RNG/STATUS.VALID,
 * STATUS.DONE (and ERR on failure), and the interrupt line at the level
 * DONE && IRQEN.DONE. Costs (docs/crypto.md has the sources):
 *
 *   every command          CRYPTO_CYC_SETUP (8): decode, latch operands
 *   SHA_INIT               setup
 *   SHA_UPDATE of len      setup + ceil(len / 4) (one bus word per cycle)
 *                          + 66 per 64-byte block completed by this chunk
 *   SHA_FINAL              setup + 66 x (1 padding block, 2 if more than
 *                          55 bytes were left over)
 *   ECDSA_VERIFY           setup + 32 (key and signature words)
 *                          + 1 500 000 (the public-key accelerator)
 *   RNG                    setup + 2 x 64 (64 per 32-bit TRNG word)
 *   bad operand address    setup, then DONE | ERR
 *
 * Completion is an event on the SE's node at the clock edge that ends the
 * last cycle: edge(first edge at or after the CTRL write) + cost. A register
 * access whose bus time has reached that edge sees the command complete
 * even if the event has not fired yet (the access belongs to an instruction
 * that started earlier), so polling is exact to the cycle.
 *
 * Reference: FIPS 180-4 (SHA-256); FIPS 186-4 section 6.4 and SEC 1 v2
 * section 4.1.4 (ECDSA verification) on the P-256 curve (FIPS 186-4 D.1.2.3,
 * secp256r1); the computations use mbedTLS.
 *
 * Notes:
 *  - operands are read at the command's start (a snapshot): memory changed
 *    while BUSY does not affect the running command, and register writes
 *    while BUSY are kept for the next command;
 *  - a write to CTRL while BUSY is ignored and sets STATUS.ERR (the running
 *    command still completes); an unknown command, or SHA_UPDATE/FINAL with
 *    no hash started, sets DONE | ERR at once without BUSY;
 *  - starting a command clears DONE and ERR (and VALID for ECDSA_VERIFY);
 *  - an ECDSA public key that is not a point of P-256 gives VALID = 0, not
 *    ERR (ERR is for bad addresses and commands only);
 *  - costs are fixed per command and data-independent; the engine's bus
 *    reads cost no flash wait states and do not contend with the core;
 *  - the RNG is the named stream cfg->name ("se0.crypto") of the scenario
 *    seed, not a physical entropy source: reruns give the same numbers; the
 *    stream runs on across resets;
 *  - only 32-bit accesses to defined offsets are allowed; anything else is a
 *    bus error (HardFault) with a warning;
 *  - host side only: the results of the last CRYPTO_MEMO verifications are
 *    remembered by their exact inputs (key, signature, hash) and not
 *    computed again. A verification is a pure function, so nothing
 *    simulated changes; a sweep's children inherit the memo of the run
 *    they were forked from and skip mbedTLS's ~1.5 ms for the BEGIN they
 *    repeat (docs/performance.md). */
#ifndef MODELS_CRYPTO_H
#define MODELS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>

#include "sim/clock.h"
#include "sim/event.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/time.h"
#include "sim/trace.h"

/* Cycle costs (see above and docs/crypto.md). */
#define CRYPTO_CYC_SETUP         8u
#define CRYPTO_CYC_SHA_BLOCK     66u
#define CRYPTO_CYC_ECDSA_FETCH   32u
#define CRYPTO_CYC_ECDSA_PKA     1500000u
#define CRYPTO_CYC_RNG_WORD      64u

/* Verifications remembered (see the last note). */
#define CRYPTO_MEMO              4u

/* Reads len bytes of the bus master's view of memory at addr into buf;
 * false if any byte is not readable memory (the command then fails with
 * ERR). */
typedef bool (*crypto_read_mem_fn)(void *ctx, uint32_t addr, void *buf,
                                   size_t len);
/* The interrupt line changed to `level` at time t (e.g. cpu_set_irq). */
typedef void (*crypto_irq_fn)(void *ctx, bool level, sim_time_t t);

typedef struct crypto_cfg {
    const char *name;         /* "se0.crypto": messages, trace source and
                                 the RNG stream; must outlive the model */
    uint64_t hz;              /* engine clock = core clock (SE_CORE_HZ) */
    sim_time_t t0;            /* time of clock edge 0 (the core's t0) */
    uint32_t base;            /* bus address of the registers
                                 (SE_CRYPTO_BASE): MMIO addresses are
                                 absolute, as models/cpu passes them */
    crypto_read_mem_fn read_mem;
    void *mem_ctx;
    crypto_irq_fn irq;        /* may be NULL */
    void *irq_ctx;
} crypto_cfg_t;

typedef struct crypto {
    /* configuration */
    sim_node_t *node;
    trace_bus_t *bus;
    const char *name;
    sim_clock_t clk;
    uint32_t base;
    crypto_read_mem_fn read_mem;
    void *mem_ctx;
    crypto_irq_fn irq;
    void *irq_ctx;

    /* registers */
    uint32_t src, len, key, sig;
    uint32_t status, irqen;
    uint32_t digest[8];
    uint32_t rng_out[2];
    bool irq_level;

    /* the hash in progress */
    bool sha_active;
    uint64_t sha_bytes;       /* bytes hashed since SHA_INIT */
    mbedtls_sha256_context sha;

    /* the command in progress (BUSY) */
    uint32_t cmd;
    sim_time_t done_at;
    sim_event_t ev;
    bool res_err, res_valid;
    uint32_t res_digest[8];
    uint32_t res_rng[2];

    mbedtls_ecp_group p256;
    /* the last verifications' inputs and results (host-side memo) */
    struct crypto_memo {
        uint8_t in[160];      /* key, signature, hash */
        bool used, valid;
    } memo[CRYPTO_MEMO];
    unsigned memo_next;
    sim_rng_t rng;

    /* statistics */
    uint64_t commands, errors;
} crypto_t;

/* Lifecycle. init leaves the engine as after crypto_reset(); the engine
 * schedules its completions on `node` (the SE's); bus may be NULL. */
void crypto_init(crypto_t *c, sim_node_t *node, trace_bus_t *bus,
                 const crypto_cfg_t *cfg);
/* Chip reset at time now: the command in progress is dropped, registers
 * go to zero, the interrupt line low. */
void crypto_reset(crypto_t *c, sim_time_t now);
void crypto_cleanup(crypto_t *c);

/* MMIO callbacks (cpu_mmio_read_fn / cpu_mmio_write_fn of models/cpu):
 * map them with ctx = the crypto_t at cfg->base, size SE_PERIPH_SIZE. */
uint32_t crypto_mmio_read(void *ctx, uint32_t addr, unsigned size,
                          sim_time_t t, bool *err);
void crypto_mmio_write(void *ctx, uint32_t addr, uint32_t value,
                       unsigned size, sim_time_t t, bool *err);

/* A crypto_read_mem_fn over a core's memory: ctx is the cpu_t. */
bool crypto_read_cpu_mem(void *cpu, uint32_t addr, void *buf, size_t len);

/* The cycle cost of each command (see above). `buffered` is the number of
 * bytes hashed since SHA_INIT before this command. */
uint64_t crypto_cycles_sha_init(void);
uint64_t crypto_cycles_sha_update(uint64_t buffered, uint32_t len);
uint64_t crypto_cycles_sha_final(uint64_t buffered);
uint64_t crypto_cycles_ecdsa_verify(void);
uint64_t crypto_cycles_rng(void);

#endif /* MODELS_CRYPTO_H */
