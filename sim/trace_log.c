/* SPDX-License-Identifier: MIT */
/* sim/trace_log.c - the text-log trace sink: one line per record.
 *
 * Line format (docs/trace-format.md has it with examples):
 *
 *   TIME SOURCE KIND [PATH] DETAILS [| TEXT]
 *
 *   TIME    sim_time_fmt(): seconds with 12 decimals ("0.000123456789")
 *   SOURCE  the publisher ("se0", "reader"), "-" if none
 *   KIND    trace_kind_name(): BYTE FRAME APDU ATR SIGNAL FLASH MODE FAULT LOG
 *   PATH    only when the record has one ("CONTACT>SE0", "nfc", "contact.RST")
 *   TEXT    the record's annotation, after " | ", when it has one (not LOG)
 *
 * DETAILS by kind (DIR is cmd, rsp or -; HEX is uppercase byte pairs
 * separated by single spaces, left out when there are no bytes):
 *   BYTE    DIR HEX
 *   FRAME   DIR PROTO [FIELDS] HEX
 *           PROTO nfc-a: ev=EVENT, then crc=ok|bad unless EVENT is field-on
 *                 or field-off; EVENT is field-on, field-off, pcd>picc,
 *                 picc>pcd, pcd>picc-nocrc, picc>pcd-nocrc or 0xNN
 *           PROTO ble-ll: ch=N pdu=N crc=ok|bad
 *           PROTO t1: crc=ok|bad
 *           PROTO spi, test, -: no fields
 *   APDU    DIR HEX
 *   ATR     DIR HEX
 *   SIGNAL  level=N
 *   FLASH   erase|program addr=0xXXXXXXXX len=N torn=0|1
 *   MODE    mode=NAME
 *   FAULT   pc=0xXXXXXXXX where=WHERE
 *   LOG     LEVEL: TEXT        (LEVEL info, warning, error, or levelN)
 * SIGNAL, FLASH, MODE and FAULT records that carry bytes get " data=HEX"
 * with the pairs run together; LOG records' bytes are not shown.
 *
 * Strings are escaped so that a line stays one line: backslash, control
 * characters and DEL become \\, \n, \r, \t or \xNN; in the space-separated
 * fields (SOURCE, PATH, NAME, WHERE) a space becomes \x20 too.
 *
 * Nothing in a line depends on the host (no wall clock, no pointers), so
 * the file is byte-identical across runs of one scenario. */
#include "sim/trace_log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fatal.h"

#define IOBUF_SIZE ((size_t)1 << 20)

/* A growable line. */
typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf_t;

static void sb_reserve(strbuf_t *sb, size_t more)
{
    if (sb->len + more <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + more)
        cap *= 2;
    char *s = realloc(sb->s, cap);
    if (!s)
        sim_fatal_plain("trace log: out of memory (%zu byte line)", cap);
    sb->s = s;
    sb->cap = cap;
}

static void sb_putc(strbuf_t *sb, char c)
{
    sb_reserve(sb, 1);
    sb->s[sb->len++] = c;
}

static void sb_put(strbuf_t *sb, const char *s, size_t n)
{
    sb_reserve(sb, n);
    memcpy(sb->s + sb->len, s, n);
    sb->len += n;
}

static void sb_puts(strbuf_t *sb, const char *s)
{
    sb_put(sb, s, strlen(s));
}

SIM_PRINTF(2, 3)
static void sb_printf(strbuf_t *sb, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    /* only used for short numeric fields */
    if (n > 0)
        sb_put(sb, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static const char hex_digits[] = "0123456789ABCDEF";

/* Bytes as HEX pairs, separated by sep (0: run together). */
static void sb_hex(strbuf_t *sb, const uint8_t *d, size_t n, char sep)
{
    if (!n)
        return;
    sb_reserve(sb, n * 3);
    char *o = sb->s + sb->len;
    for (size_t i = 0; i < n; i++) {
        if (sep && i)
            *o++ = sep;
        *o++ = hex_digits[d[i] >> 4];
        *o++ = hex_digits[d[i] & 15];
    }
    sb->len = (size_t)(o - sb->s);
}

/* s escaped (see the header comment); "-" for NULL when field. */
static void sb_escaped(strbuf_t *sb, const char *s, bool field)
{
    if (!s) {
        sb_putc(sb, '-');
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '\\') {
            sb_put(sb, "\\\\", 2);
        } else if (c == '\n') {
            sb_put(sb, "\\n", 2);
        } else if (c == '\r') {
            sb_put(sb, "\\r", 2);
        } else if (c == '\t') {
            sb_put(sb, "\\t", 2);
        } else if (c < 0x20 || c == 0x7F || (field && c == ' ')) {
            char e[4] = { '\\', 'x', hex_digits[c >> 4], hex_digits[c & 15] };
            sb_put(sb, e, 4);
        } else {
            sb_putc(sb, (char)c);
        }
    }
}

static const char *dir_name(trace_dir_t dir)
{
    switch (dir) {
    case TRACE_DIR_CMD:
        return "cmd";
    case TRACE_DIR_RSP:
        return "rsp";
    default:
        return "-";
    }
}

static const char *proto_name(trace_proto_t proto)
{
    switch (proto) {
    case TRACE_PROTO_NFC_A:
        return "nfc-a";
    case TRACE_PROTO_BLE_LL:
        return "ble-ll";
    case TRACE_PROTO_T1:
        return "t1";
    case TRACE_PROTO_SPI:
        return "spi";
    case TRACE_PROTO_TEST:
        return "test";
    default:
        return "-";
    }
}

static void sb_crc(strbuf_t *sb, bool ok)
{
    sb_puts(sb, ok ? " crc=ok" : " crc=bad");
}

static void fmt_frame(strbuf_t *sb, const trace_rec_t *rec)
{
    sb_putc(sb, ' ');
    sb_puts(sb, proto_name(rec->u.frame.proto));
    switch (rec->u.frame.proto) {
    case TRACE_PROTO_NFC_A: {
        static const char *const ev_names[] = {
            "pcd>picc-nocrc", "picc>pcd-nocrc", "field-on", "field-off",
            "pcd>picc", "picc>pcd",
        };
        uint8_t ev = rec->u.frame.nfc_event;
        if (ev >= 0xFA)
            sb_printf(sb, " ev=%s", ev_names[ev - 0xFA]);
        else
            sb_printf(sb, " ev=0x%02X", ev);
        if (ev != TRACE_NFC_EV_FIELD_ON && ev != TRACE_NFC_EV_FIELD_OFF)
            sb_crc(sb, rec->u.frame.crc_ok);
        break;
    }
    case TRACE_PROTO_BLE_LL:
        sb_printf(sb, " ch=%u pdu=%u", rec->u.frame.ble_channel,
                  rec->u.frame.ble_pdu_type);
        sb_crc(sb, rec->u.frame.crc_ok);
        break;
    case TRACE_PROTO_T1:
        sb_crc(sb, rec->u.frame.crc_ok);
        break;
    default:
        break;
    }
}

static const uint8_t *rec_data(const trace_rec_t *rec)
{
    return rec->data && rec->len ? rec->data : NULL;
}

static void fmt_rec(strbuf_t *sb, const trace_rec_t *rec)
{
    char t[SIM_TIME_FMT_LEN];
    sb_puts(sb, sim_time_fmt(t, sizeof t, rec->time));
    sb_putc(sb, ' ');
    sb_escaped(sb, rec->source, true);
    sb_putc(sb, ' ');
    sb_puts(sb, trace_kind_name(rec->kind));
    if (rec->path && rec->path[0]) {
        sb_putc(sb, ' ');
        sb_escaped(sb, rec->path, true);
    }
    bool bytes_inline = false;
    switch (rec->kind) {
    case TRACE_LINE_BYTE:
    case TRACE_APDU:
    case TRACE_ATR:
    case TRACE_FRAME:
        sb_putc(sb, ' ');
        sb_puts(sb, dir_name(rec->dir));
        if (rec->kind == TRACE_FRAME)
            fmt_frame(sb, rec);
        if (rec_data(rec)) {
            sb_putc(sb, ' ');
            sb_hex(sb, rec->data, rec->len, ' ');
        }
        bytes_inline = true;
        break;
    case TRACE_SIGNAL:
        sb_printf(sb, " level=%d", rec->u.signal.level);
        break;
    case TRACE_FLASH_OP:
        sb_printf(sb, " %s addr=0x%08" PRIX32 " len=%" PRIu32 " torn=%d",
                  rec->u.flash.op == TRACE_FLASH_ERASE ? "erase" : "program",
                  rec->u.flash.addr, rec->u.flash.len, rec->u.flash.torn);
        break;
    case TRACE_MODE:
        sb_puts(sb, " mode=");
        sb_escaped(sb, rec->u.mode.mode, true);
        break;
    case TRACE_CPU_FAULT:
        sb_printf(sb, " pc=0x%08" PRIX32 " where=", rec->u.fault.pc);
        sb_escaped(sb, rec->u.fault.where, true);
        break;
    case TRACE_LOG: {
        static const char *const levels[] = { "info", "warning", "error" };
        int lv = rec->u.log.level;
        sb_putc(sb, ' ');
        if (lv >= 0 && lv <= 2)
            sb_puts(sb, levels[lv]);
        else
            sb_printf(sb, "level%d", lv);
        sb_put(sb, ": ", 2);
        if (rec->text)
            sb_escaped(sb, rec->text, false);
        return;
    }
    default:
        break;
    }
    if (!bytes_inline && rec_data(rec)) {
        sb_puts(sb, " data=");
        sb_hex(sb, rec->data, rec->len, 0);
    }
    if (rec->text) {
        sb_put(sb, " | ", 3);
        sb_escaped(sb, rec->text, false);
    }
}

size_t trace_log_format(const trace_rec_t *rec, char *buf, size_t len)
{
    strbuf_t sb = { 0 };
    fmt_rec(&sb, rec);
    if (len) {
        size_t n = sb.len < len - 1 ? sb.len : len - 1;
        memcpy(buf, sb.s, n);
        buf[n] = '\0';
    }
    size_t full = sb.len;
    free(sb.s);
    return full;
}

static int log_start(trace_log_t *log, FILE *f, bool own, const char *name,
                     char *err, size_t errlen)
{
    memset(log, 0, sizeof *log);
    log->name = strdup(name);
    /* only our own file gets the big buffer: a borrowed stream may already
     * have been used, and must not point into memory we free */
    if (own)
        log->iobuf = malloc(IOBUF_SIZE);
    if (!log->name || (own && !log->iobuf)) {
        free(log->name);
        free(log->iobuf);
        if (own)
            fclose(f);
        memset(log, 0, sizeof *log);
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    if (own)
        setvbuf(f, log->iobuf, _IOFBF, IOBUF_SIZE);
    log->f = f;
    log->own = own;
    return 0;
}

int trace_log_open(trace_log_t *log, const char *path, char *err,
                   size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        int e = errno;
        memset(log, 0, sizeof *log);
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(e));
        return -1;
    }
    return log_start(log, f, true, path, err, errlen);
}

int trace_log_open_stream(trace_log_t *log, FILE *f, const char *name,
                          char *err, size_t errlen)
{
    return log_start(log, f, false, name, err, errlen);
}

void trace_log_write(trace_log_t *log, const trace_rec_t *rec)
{
    if (!log->f)
        return;
    strbuf_t sb = { log->line, 0, log->line_cap };
    fmt_rec(&sb, rec);
    sb_putc(&sb, '\n');
    log->line = sb.s;
    log->line_cap = sb.cap;
    errno = 0;
    if (fwrite(sb.s, 1, sb.len, log->f) != sb.len && !log->write_errno)
        log->write_errno = errno ? errno : EIO;
    log->lines++;
}

static void sink_record(void *ctx, const trace_rec_t *rec)
{
    trace_log_write(ctx, rec);
}

static int sink_close(void *ctx, char *err, size_t errlen)
{
    return trace_log_close(ctx, err, errlen);
}

void trace_log_sink(trace_log_t *log, trace_sink_t *out)
{
    memset(out, 0, sizeof *out);
    out->name = "events.log";
    out->mask = TRACE_MASK_ALL;
    out->record = sink_record;
    out->close = sink_close;
    out->ctx = log;
}

int trace_log_close(trace_log_t *log, char *err, size_t errlen)
{
    if (!log->f)
        return 0;
    int e = log->write_errno;
    errno = 0;
    if (fflush(log->f) != 0 && !e)
        e = errno ? errno : EIO;
    if (ferror(log->f) && !e)
        e = EIO;
    if (log->own && fclose(log->f) != 0 && !e)
        e = errno ? errno : EIO;
    int rc = 0;
    if (e) {
        snprintf(err, errlen, "%s: write failed: %s", log->name,
                 strerror(e));
        rc = -1;
    }
    free(log->name);
    free(log->iobuf);
    free(log->line);
    memset(log, 0, sizeof *log);
    return rc;
}
