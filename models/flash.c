/* SPDX-License-Identifier: MIT */
/* models/flash.c - a NOR flash array and its controller (FLASHC): page
 * erase to 0xFF, word program as old AND new, BUSY for the operation's
 * typical time, DONE and a level IRQ, per-page erase counters, tearing on
 * power loss, injected failures, stuck bits, and array images.
 *
 * Reference: the register contract firmware/include/regs/flashc.h; the
 * timing is typical of embedded NOR in small MCUs and secure elements, not
 * one datasheet (docs/flash.md, "Parts", says which published figures it
 * resembles).
 *
 * Notes (docs/flash.md has them in full):
 *  - an operation changes the array all at once at its end; reads during it
 *    see the old content (real parts stall the bus or return garbage);
 *  - one fixed time per operation (the typical figure): no spread between
 *    typical and maximum, no dependence on wear, temperature or voltage;
 *  - tearing: a program's bits that were to clear have each cleared with
 *    probability equal to the elapsed fraction; an erase's 0 bits have each
 *    become 1 with that probability. Real erase first pre-programs the page
 *    to 0 and erases in verified pulses: a cut early in a real erase can
 *    leave bits 0 that were 1, which this model does not do;
 *  - no endurance limit: erase counters are counted, cells never wear out;
 *  - no read disturb, retention loss, ECC, write protection or option
 *    bytes; no program buffer: one word per operation;
 *  - ERR_UNERASED compares the word with 0xFFFFFFFF ignoring stuck bits: it
 *    detects a firmware that did not erase, not a hardware defect. */
#include "models/flash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/include/regs/flashc.h"
#include "sim/fatal.h"
#include "sim/rng.h"

/* ---- the part table ----
 * Typical figures; docs/flash.md "Parts" says what each row resembles. */
static const flash_geom_t parts[] = {
    /* part          size        page   word  page erase   word program */
    { FLASH_PART_SE, 256u * 1024u, 1024u, 4u, SIM_US(2000), SIM_US(25) },
};

const flash_geom_t *flash_part_at(size_t i)
{
    return i < sizeof parts / sizeof parts[0] ? &parts[i] : NULL;
}

const flash_geom_t *flash_part(const char *name)
{
    for (size_t i = 0; name && i < sizeof parts / sizeof parts[0]; i++)
        if (strcmp(parts[i].part, name) == 0)
            return &parts[i];
    return NULL;
}

/* ---- little-endian words ---- */

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void st32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint64_t ld64(const uint8_t *p)
{
    return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

static void st64(uint8_t *p, uint64_t v)
{
    st32(p, (uint32_t)v);
    st32(p + 4, (uint32_t)(v >> 32));
}

/* ---- array helpers ---- */

/* Offset in the array of a bus address, or false if outside. */
static bool in_array(const flash_t *f, uint32_t addr, uint32_t *off)
{
    uint32_t o = addr - f->cfg.base;
    if (o >= f->geom.size)
        return false;
    *off = o;
    return true;
}

static uint32_t stuck_mask_at(const flash_t *f, uint32_t off)
{
    for (size_t i = 0; i < f->n_stuck; i++)
        if (f->stuck[i].off == off)
            return f->stuck[i].mask;
    return 0;
}

/* Forces the stuck bits in [off, off+len) back to their values. */
static void apply_stuck(flash_t *f, uint32_t off, uint32_t len)
{
    for (size_t i = 0; i < f->n_stuck; i++) {
        const flash_stuck_t *s = &f->stuck[i];
        if (s->off < off || s->off - off >= len)
            continue;
        uint8_t *p = f->mem + s->off;
        st32(p, (ld32(p) & ~s->mask) | (s->value & s->mask));
    }
}

static void changed(flash_t *f, uint32_t off, uint32_t len)
{
    apply_stuck(f, off, len);
    if (f->cfg.on_change)
        f->cfg.on_change(f->cfg.ctx, f->cfg.base + off, len);
}

/* A program cut at fraction frac: each bit that was to go 1 -> 0 has gone
 * with probability frac (one draw per such bit, low bit first). */
static void tear_program(flash_t *f, uint32_t off, uint32_t data, double frac)
{
    uint8_t *p = f->mem + off;
    uint32_t w = ld32(p);
    uint32_t to_clear = w & ~data;
    for (unsigned b = 0; b < 32; b++)
        if ((to_clear >> b & 1u) && sim_rng_unit(&f->rng) < frac)
            w &= ~(1u << b);
    st32(p, w);
}

/* An erase cut at fraction frac: each 0 bit of the page has become 1 with
 * probability frac (one draw per such bit, in address then bit order). */
static void tear_erase(flash_t *f, uint32_t off, double frac)
{
    uint8_t *p = f->mem + off;
    for (uint32_t i = 0; i < f->geom.page; i++) {
        uint8_t v = p[i];
        for (unsigned b = 0; b < 8; b++)
            if (!(v >> b & 1u) && sim_rng_unit(&f->rng) < frac)
                v = (uint8_t)(v | 1u << b);
        p[i] = v;
    }
}

/* ---- controller ---- */

static void irq_update(flash_t *f)
{
    bool level = (f->status & FLASHC_STATUS_DONE) &&
                 (f->irqen & FLASHC_IRQEN_DONE);
    if (level == f->irq_level)
        return;
    f->irq_level = level;
    if (f->cfg.irq)
        f->cfg.irq(f->cfg.ctx, level);
}

static void publish(flash_t *f, sim_time_t t, bool torn, const char *text)
{
    if (!trace_wants(f->trace, TRACE_FLASH_OP))
        return;
    uint8_t word[4];
    st32(word, f->op.data);
    bool prog = f->op.kind == FLASH_OP_PROGRAM;
    trace_rec_t r = {
        .time = t,
        .start = f->op.start,
        .kind = TRACE_FLASH_OP,
        .source = f->cfg.name,
        .data = prog ? word : NULL,
        .len = prog ? sizeof word : 0,
        .text = text,
    };
    r.u.flash.op = prog ? TRACE_FLASH_PROGRAM : TRACE_FLASH_ERASE;
    r.u.flash.addr = f->op.addr;
    r.u.flash.len = f->op.len;
    r.u.flash.torn = torn ? 1 : 0;
    trace_publish(f->trace, &r);
}

static void count_op(flash_t *f)
{
    if (f->op.kind == FLASH_OP_ERASE) {
        uint32_t page = (f->op.addr - f->cfg.base) / f->geom.page;
        if (f->erase_count[page] != UINT32_MAX)
            f->erase_count[page]++;
        f->stats.erases++;
    } else {
        f->stats.programs++;
    }
}

/* Ends the running operation at its end time: complete, or failed. */
static void op_finish(flash_t *f, sim_time_t now)
{
    uint32_t off = f->op.addr - f->cfg.base;
    bool fail = f->op_fail;
    if (f->op.kind == FLASH_OP_ERASE) {
        if (fail)
            tear_erase(f, off, 0.5);
        else
            memset(f->mem + off, 0xFF, f->geom.page);
    } else if (!fail) {
        uint8_t *p = f->mem + off;
        st32(p, ld32(p) & f->op.data);
    }
    changed(f, off, f->op.len);
    count_op(f);

    f->busy = false;
    f->status = (f->status & ~FLASHC_STATUS_BUSY) | FLASHC_STATUS_DONE;
    if (fail) {
        f->status |= FLASHC_STATUS_ERR_FAIL;
        f->stats.failed++;
    }

    char text[80];
    const char *t = NULL;
    if (fail || f->op_unerased) {
        snprintf(text, sizeof text, "%s%s%s",
                 f->op_unerased ? "unerased word" : "",
                 fail && f->op_unerased ? ", " : "",
                 fail ? "failed (injected)" : "");
        t = text;
    }
    publish(f, now, false, t);
    irq_update(f);
}

static void done_fire(sim_event_t *ev, sim_time_t now)
{
    op_finish(ev->ctx, now);
}

/* Cuts the running operation at t (start <= t < end). */
static void op_tear(flash_t *f, sim_time_t t, const char *why)
{
    sim_cancel(f->node, &f->done_ev);
    if (t < f->op.start)
        t = f->op.start;
    double frac = (double)(t - f->op.start) /
                  (double)(f->op.end - f->op.start);
    uint32_t off = f->op.addr - f->cfg.base;
    if (f->op.kind == FLASH_OP_ERASE)
        tear_erase(f, off, frac);
    else
        tear_program(f, off, f->op.data, frac);
    changed(f, off, f->op.len);
    count_op(f);
    f->stats.torn++;
    f->busy = false;

    char text[80];
    snprintf(text, sizeof text, "%s at %.1f %% of the %s%s", why,
             frac * 100.0,
             f->op.kind == FLASH_OP_ERASE ? "erase" : "program",
             f->op_unerased ? ", unerased word" : "");
    publish(f, t, true, text);
}

static void regs_reset(flash_t *f)
{
    f->addr = 0;
    f->data = 0;
    f->status = 0;
    f->irqen = 0;
    irq_update(f);
}

static void cut(flash_t *f, sim_time_t t, const char *why)
{
    if (f->busy) {
        if (t >= f->op.end) {
            /* it ended before the cut; its event has not fired yet */
            sim_cancel(f->node, &f->done_ev);
            op_finish(f, f->op.end);
        } else {
            op_tear(f, t, why);
        }
    }
    regs_reset(f);
}

static void op_start(flash_t *f, flash_op_kind_t kind, uint32_t addr,
                     sim_time_t t)
{
    bool erase = kind == FLASH_OP_ERASE;
    sim_time_t dur = erase ? f->geom.t_erase : f->geom.t_program;
    f->op = (flash_op_t){
        .kind = kind,
        .addr = addr,
        .len = erase ? f->geom.page : f->geom.word,
        .data = erase ? 0 : f->data,
        .index = f->next_index++,
        .start = t,
        .end = sim_time_add(t, dur),
    };
    f->busy = true;
    f->op_fail = (f->fail_mask & (1u << kind)) != 0;
    if (f->op_fail)
        f->fail_mask = 0;
    f->status = (f->status & ~FLASHC_STATUS_DONE) | FLASHC_STATUS_BUSY;

    f->op_unerased = false;
    if (!erase) {
        uint32_t off = addr - f->cfg.base;
        uint32_t old = ld32(f->mem + off);
        if ((old | stuck_mask_at(f, off)) != 0xFFFFFFFFu) {
            f->op_unerased = true;
            f->status |= FLASHC_STATUS_ERR_UNERASED;
            f->stats.unerased++;
            sim_warn(t, f->cfg.name,
                     "program of a word that is not erased: 0x%08X holds "
                     "0x%08X, programming 0x%08X gives 0x%08X",
                     addr, old, f->op.data, old & f->op.data);
        }
    }
    sim_schedule(f->node, &f->done_ev, f->op.end);
    irq_update(f);
    if (f->cfg.on_op_start) {
        flash_op_t copy = f->op;
        f->cfg.on_op_start(f->cfg.ctx, f, copy.index, &copy);
    }
}

static void ctrl_write(flash_t *f, uint32_t v, sim_time_t t)
{
    if ((v & FLASHC_CTRL_KEY_MASK) != FLASHC_CTRL_KEY) {
        f->status |= FLASHC_STATUS_ERR_KEY;
        return;
    }
    if (f->busy) {
        f->status |= FLASHC_STATUS_ERR_BUSY;
        return;
    }
    uint32_t off;
    switch (v & FLASHC_CMD_MASK) {
    case FLASHC_CMD_ERASE:
        if (!in_array(f, f->addr, &off)) {
            f->status |= FLASHC_STATUS_ERR_ADDR;
            return;
        }
        op_start(f, FLASH_OP_ERASE,
                 f->cfg.base + off - off % f->geom.page, t);
        return;
    case FLASHC_CMD_PROG:
        if (!in_array(f, f->addr, &off) || off % f->geom.word) {
            f->status |= FLASHC_STATUS_ERR_ADDR;
            return;
        }
        op_start(f, FLASH_OP_PROGRAM, f->addr, t);
        return;
    default:
        sim_warn(t, f->cfg.name, "CTRL written with an unknown command %u: "
                 "ignored", (unsigned)(v & FLASHC_CMD_MASK));
        return;
    }
}

uint32_t flash_reg_read(flash_t *f, uint32_t off, sim_time_t t)
{
    (void)t;
    uint32_t o;
    switch (off) {
    case FLASHC_ADDR:
        return f->addr;
    case FLASHC_DATA:
        return f->data;
    case FLASHC_STATUS:
        return f->status;
    case FLASHC_IRQEN:
        return f->irqen;
    case FLASHC_ERASECNT:
        return in_array(f, f->addr, &o) ? f->erase_count[o / f->geom.page]
                                        : 0;
    default: /* CTRL is write-only; reserved offsets read as zero */
        return 0;
    }
}

void flash_reg_write(flash_t *f, uint32_t off, uint32_t v, sim_time_t t)
{
    switch (off) {
    case FLASHC_CTRL:
        ctrl_write(f, v, t);
        break;
    case FLASHC_ADDR:
        f->addr = v;
        break;
    case FLASHC_DATA:
        f->data = v;
        break;
    case FLASHC_STATUS:
        f->status &= ~(v & (FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_MASK));
        irq_update(f);
        break;
    case FLASHC_IRQEN:
        f->irqen = v & FLASHC_IRQEN_DONE;
        irq_update(f);
        break;
    default: /* ERASECNT is read-only; reserved offsets ignore writes */
        break;
    }
}

uint32_t flash_mmio_read(void *ctx, uint32_t addr, unsigned size,
                         sim_time_t t, bool *err)
{
    flash_t *f = ctx;
    if (size != 4) {
        *err = true;
        return 0;
    }
    return flash_reg_read(f, addr - f->cfg.regs_base, t);
}

void flash_mmio_write(void *ctx, uint32_t addr, uint32_t value,
                      unsigned size, sim_time_t t, bool *err)
{
    flash_t *f = ctx;
    if (size != 4) {
        *err = true;
        return;
    }
    flash_reg_write(f, addr - f->cfg.regs_base, value, t);
}

/* ---- lifecycle and fault injection ---- */

void flash_init(flash_t *f, sim_node_t *node, trace_bus_t *trace,
                const flash_cfg_t *cfg)
{
    memset(f, 0, sizeof *f);
    f->cfg = *cfg;
    if (!f->cfg.name)
        f->cfg.name = "flash";
    f->geom = cfg->geom.size ? cfg->geom : *flash_part(FLASH_PART_SE);
    const flash_geom_t *g = &f->geom;
    if (!node)
        sim_fatal_plain("%s: flash needs a node", f->cfg.name);
    if (g->word != 4 || g->page == 0 || g->page % g->word || g->size == 0 ||
        g->size % g->page || g->t_erase == 0 || g->t_program == 0 ||
        cfg->base % 4 || (uint64_t)cfg->base + g->size > UINT64_C(1) << 32)
        sim_fatal_plain("%s: bad flash geometry: size %u, page %u, word %u, "
                        "base 0x%08X, erase %llu ps, program %llu ps "
                        "(word must be 4, size a multiple of page, page of "
                        "word, times > 0, the array inside 4 GiB)",
                        f->cfg.name, g->size, g->page, g->word, cfg->base,
                        (unsigned long long)g->t_erase,
                        (unsigned long long)g->t_program);
    f->node = node;
    f->trace = trace;
    f->n_pages = g->size / g->page;
    char stream[128];
    snprintf(stream, sizeof stream, "%s.%s", node->name, f->cfg.name);
    sim_rng_seed(&f->rng, node->sim->seed, stream);
    f->mem = malloc(g->size);
    f->erase_count = calloc(f->n_pages, sizeof *f->erase_count);
    if (!f->mem || !f->erase_count)
        sim_fatal_plain("%s: out of memory for a %u-byte flash", f->cfg.name,
                        g->size);
    memset(f->mem, 0xFF, g->size);
    sim_event_init(&f->done_ev, "flash-done", done_fire, f);
}

void flash_cleanup(flash_t *f)
{
    /* after sim_cleanup the event is already marked unscheduled */
    if (f->node && sim_event_scheduled(&f->done_ev))
        sim_cancel(f->node, &f->done_ev);
    free(f->mem);
    free(f->erase_count);
    free(f->stuck);
    memset(f, 0, sizeof *f);
}

void flash_reset(flash_t *f, sim_time_t t)
{
    cut(f, t, "reset");
}

void flash_power_cut(flash_t *f, sim_time_t t)
{
    cut(f, t, "power cut");
}

void flash_fail_next(flash_t *f, unsigned op_mask)
{
    f->fail_mask = op_mask & (FLASH_FAIL_ERASE | FLASH_FAIL_PROGRAM);
}

bool flash_set_stuck(flash_t *f, uint32_t addr, uint32_t mask,
                     uint32_t value)
{
    uint32_t off;
    if (!in_array(f, addr, &off) || off % f->geom.word)
        return false;
    flash_stuck_t *s = NULL;
    for (size_t i = 0; i < f->n_stuck; i++)
        if (f->stuck[i].off == off)
            s = &f->stuck[i];
    if (!s) {
        if (f->n_stuck == f->cap_stuck) {
            size_t cap = f->cap_stuck ? f->cap_stuck * 2 : 8;
            flash_stuck_t *v = realloc(f->stuck, cap * sizeof *v);
            if (!v)
                sim_fatal_plain("%s: out of memory", f->cfg.name);
            f->stuck = v;
            f->cap_stuck = cap;
        }
        s = &f->stuck[f->n_stuck++];
        *s = (flash_stuck_t){ .off = off };
    }
    s->mask |= mask;
    s->value = (s->value & ~mask) | (value & mask);
    changed(f, off, f->geom.word);
    return true;
}

bool flash_op_in_progress(const flash_t *f, flash_op_t *out)
{
    if (!f->busy)
        return false;
    if (out)
        *out = f->op;
    return true;
}

uint32_t flash_erase_count(const flash_t *f, uint32_t page)
{
    return page < f->n_pages ? f->erase_count[page] : 0;
}

void flash_get_stats(const flash_t *f, flash_stats_t *out)
{
    *out = f->stats;
}

uint32_t flash_peek32(const flash_t *f, uint32_t addr)
{
    uint32_t off;
    if (!in_array(f, addr, &off) || off % 4)
        return 0;
    return ld32(f->mem + off);
}

/* ---- images ---- */

static size_t header_len(const flash_t *f)
{
    return FLASH_IMAGE_FIXED + 4u * (size_t)f->n_pages;
}

int flash_save_image(const flash_t *f, const char *path, char *err,
                     size_t errlen)
{
    size_t hlen = header_len(f);
    uint8_t *h = calloc(1, hlen);
    if (!h) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(h, FLASH_IMAGE_MAGIC, 8);
    st32(h + FLASH_IMAGE_OFF_HDRLEN, (uint32_t)hlen);
    st32(h + FLASH_IMAGE_OFF_FLAGS, 0);
    st32(h + FLASH_IMAGE_OFF_SIZE, f->geom.size);
    st32(h + FLASH_IMAGE_OFF_PAGE, f->geom.page);
    st32(h + FLASH_IMAGE_OFF_WORD, f->geom.word);
    st32(h + FLASH_IMAGE_OFF_PAGES, f->n_pages);
    st64(h + FLASH_IMAGE_OFF_ERASES, f->stats.erases);
    st64(h + FLASH_IMAGE_OFF_PROGS, f->stats.programs);
    for (uint32_t i = 0; i < f->n_pages; i++)
        st32(h + FLASH_IMAGE_OFF_COUNTS + 4u * i, f->erase_count[i]);

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        free(h);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    snprintf(tmp, plen + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a temporary file: %s", path,
                 strerror(errno));
        free(tmp);
        free(h);
        return -1;
    }
    const char *what = NULL;
    int e = 0;
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        e = errno;
        close(fd);
        what = "cannot open";
    } else {
        if (fchmod(fd, 0644) != 0 || fwrite(h, 1, hlen, fp) != hlen ||
            fwrite(f->mem, 1, f->geom.size, fp) != f->geom.size ||
            fflush(fp) != 0 || fsync(fd) != 0) {
            e = errno;
            what = "cannot write";
        }
        if (fclose(fp) != 0 && !what) {
            e = errno;
            what = "cannot write";
        }
    }
    if (!what && rename(tmp, path) != 0) {
        e = errno;
        what = "cannot rename the temporary file to";
    }
    if (what) {
        unlink(tmp);
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
    }
    free(tmp);
    free(h);
    return what ? -1 : 0;
}

/* Reads the whole file; returns NULL with err set. */
static uint8_t *read_file(const char *path, size_t *len, char *err,
                          size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1u << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            uint8_t *b = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, fp);
        n += r;
        if (r == 0)
            break;
    }
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        fclose(fp);
        return NULL;
    }
    if (ferror(fp)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        free(buf);
        fclose(fp);
        return NULL;
    }
    fclose(fp);
    *len = n;
    return buf;
}

/* Checks one u32 header field against this flash's value. */
static bool field_ok(const uint8_t *b, uint32_t off, uint32_t want,
                     const char *name, const char *path, char *err,
                     size_t errlen)
{
    uint32_t v = ld32(b + off);
    if (v == want)
        return true;
    snprintf(err, errlen, "%s: byte offset %u: %s is %u, this flash's is %u",
             path, off, name, v, want);
    return false;
}

int flash_load_image(flash_t *f, const char *path, char *err, size_t errlen)
{
    if (f->busy) {
        snprintf(err, errlen, "%s: cannot load while the flash is busy",
                 path);
        return -1;
    }
    size_t n;
    uint8_t *b = read_file(path, &n, err, errlen);
    if (!b)
        return -1;
    const size_t mlen = 8;
    bool magic = n > 0 &&
                 memcmp(b, FLASH_IMAGE_MAGIC, n < mlen ? n : mlen) == 0;
    int rc = -1;
    if (!magic) {
        if (n == f->geom.size) { /* a raw array: no counters */
            memcpy(f->mem, b, n);
            memset(f->erase_count, 0, f->n_pages * sizeof *f->erase_count);
            memset(&f->stats, 0, sizeof f->stats);
            rc = 0;
        } else {
            snprintf(err, errlen,
                     "%s: byte offset 0: no \"%s\" magic, and not a raw "
                     "array either (%zu bytes, the flash has %u)",
                     path, FLASH_IMAGE_MAGIC, n, f->geom.size);
        }
        goto out;
    }
    size_t hlen = header_len(f);
    if (n < FLASH_IMAGE_FIXED) {
        snprintf(err, errlen,
                 "%s: truncated at byte offset %zu: the header is %u bytes",
                 path, n, FLASH_IMAGE_FIXED);
        goto out;
    }
    if (!field_ok(b, FLASH_IMAGE_OFF_SIZE, f->geom.size, "the array size",
                  path, err, errlen) ||
        !field_ok(b, FLASH_IMAGE_OFF_PAGE, f->geom.page, "the page size",
                  path, err, errlen) ||
        !field_ok(b, FLASH_IMAGE_OFF_WORD, f->geom.word, "the word size",
                  path, err, errlen) ||
        !field_ok(b, FLASH_IMAGE_OFF_PAGES, f->n_pages, "the page count",
                  path, err, errlen) ||
        !field_ok(b, FLASH_IMAGE_OFF_HDRLEN, (uint32_t)hlen,
                  "the array's offset", path, err, errlen) ||
        !field_ok(b, FLASH_IMAGE_OFF_FLAGS, 0, "the flags word", path, err,
                  errlen))
        goto out;
    if (n < hlen + f->geom.size) {
        snprintf(err, errlen,
                 "%s: truncated at byte offset %zu: the %s ends at offset %zu",
                 path, n, n < hlen ? "erase counter table" : "array",
                 n < hlen ? hlen : hlen + f->geom.size);
        goto out;
    }
    if (n > hlen + f->geom.size) {
        snprintf(err, errlen,
                 "%s: byte offset %zu: %zu bytes after the end of the array",
                 path, hlen + f->geom.size, n - hlen - f->geom.size);
        goto out;
    }
    for (uint32_t i = 0; i < f->n_pages; i++)
        f->erase_count[i] = ld32(b + FLASH_IMAGE_OFF_COUNTS + 4u * i);
    memset(&f->stats, 0, sizeof f->stats);
    f->stats.erases = ld64(b + FLASH_IMAGE_OFF_ERASES);
    f->stats.programs = ld64(b + FLASH_IMAGE_OFF_PROGS);
    memcpy(f->mem, b + hlen, f->geom.size);
    rc = 0;
out:
    free(b);
    if (rc == 0)
        changed(f, 0, f->geom.size);
    return rc;
}
