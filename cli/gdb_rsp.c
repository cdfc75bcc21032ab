/* SPDX-License-Identifier: MIT */
/* cli/gdb_rsp.c - GDB Remote Serial Protocol framing (see gdb_rsp.h). */
#include "cli/gdb_rsp.h"

#include "sim/units.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void gdb_rsp_init(gdb_rsp_t *r, int fd)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
}

void gdb_rsp_close(gdb_rsp_t *r)
{
    if (r->fd >= 0)
        close(r->fd);
    gdb_rsp_init(r, -1);
}

/* Refills the input buffer; blocks if `wait`. 1: bytes, 0: none (not
 * waiting), -1: gone. */
static int fill(gdb_rsp_t *r, bool wait)
{
    if (r->in_pos < r->in_len)
        return 1;
    if (r->fd < 0)
        return -1;
    for (;;) {
        ssize_t n = recv(r->fd, r->in, sizeof r->in, wait ? 0 : MSG_DONTWAIT);
        if (n > 0) {
            r->in_pos = 0;
            r->in_len = (size_t)n;
            return 1;
        }
        if (n == 0)
            return -1;
        if (errno == EINTR)
            continue;
        if (!wait && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;
    }
}

static int next_byte(gdb_rsp_t *r)
{
    if (fill(r, true) < 0)
        return -1;
    return r->in[r->in_pos++];
}

static int send_all(gdb_rsp_t *r, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = send(r->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int gdb_rsp_recv(gdb_rsp_t *r, char *out, size_t cap)
{
    for (;;) {
        int c = next_byte(r);
        if (c < 0)
            return -1;
        if (c == 0x03)
            return GDB_RSP_INTR;
        if (c != '$')
            continue; /* acks of our packets, noise */
        size_t n = 0;
        unsigned sum = 0;
        bool fits = true;
        while ((c = next_byte(r)) >= 0 && c != '#') {
            sum += (unsigned)c;
            if (n + 1 < cap)
                out[n++] = (char)c;
            else
                fits = false;
        }
        if (c < 0)
            return -1;
        int h = next_byte(r), l = next_byte(r);
        if (h < 0 || l < 0)
            return -1;
        out[n] = '\0';
        bool ok = fits && units_hex_digit(h) >= 0 && units_hex_digit(l) >= 0 &&
                  (unsigned)(units_hex_digit(h) << 4 | units_hex_digit(l)) == (sum & 0xFF);
        if (!r->noack && send_all(r, ok ? "+" : "-", 1) != 0)
            return -1;
        if (ok || r->noack)
            return (int)n;
    }
}

int gdb_rsp_poll_intr(gdb_rsp_t *r)
{
    for (;;) {
        int f = fill(r, false);
        if (f <= 0)
            return f;
        /* while running, GDB sends nothing but the interrupt: drop the
         * rest (a stray ack) */
        while (r->in_pos < r->in_len)
            if (r->in[r->in_pos++] == 0x03)
                return 1;
    }
}

int gdb_rsp_send(gdb_rsp_t *r, const char *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char head = '$', tail[3];
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += (uint8_t)data[i];
    tail[0] = '#';
    tail[1] = digits[(sum >> 4) & 15];
    tail[2] = digits[sum & 15];
    for (int tries = 0; tries < 8; tries++) {
        /* one write for the whole packet: no small segments */
        char buf[GDB_RSP_MAX + 4];
        if (len > GDB_RSP_MAX)
            return -1;
        buf[0] = head;
        memcpy(buf + 1, data, len);
        memcpy(buf + 1 + len, tail, 3);
        if (send_all(r, buf, len + 4) != 0)
            return -1;
        if (r->noack)
            return 0;
        for (;;) {
            int c = next_byte(r);
            if (c < 0)
                return -1;
            if (c == '+')
                return 0;
            if (c == '-')
                break;
            if (c == '$' || c == 0x03) {
                /* GDB started talking without acking: keep the byte */
                r->in_pos--;
                return 0;
            }
        }
    }
    return -1;
}

int gdb_rsp_send_str(gdb_rsp_t *r, const char *s)
{
    return gdb_rsp_send(r, s, strlen(s));
}

void gdb_hex(char *out, const void *data, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

bool gdb_unhex(void *out, const char *hex, size_t n)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) {
        int h = units_hex_digit((unsigned char)hex[2 * i]);
        int l = h < 0 ? -1 : units_hex_digit((unsigned char)hex[2 * i + 1]);
        if (l < 0)
            return false;
        p[i] = (uint8_t)(h << 4 | l);
    }
    return true;
}

size_t gdb_unescape(uint8_t *data, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == 0x7d && i + 1 < len)
            data[o++] = data[++i] ^ 0x20;
        else
            data[o++] = data[i];
    }
    return o;
}

size_t gdb_escape(char *out, size_t cap, size_t *out_len, const void *data,
                  size_t n)
{
    const uint8_t *p = data;
    size_t o = 0, i;
    for (i = 0; i < n; i++) {
        bool esc = p[i] == '#' || p[i] == '$' || p[i] == '}' || p[i] == '*';
        if (o + (esc ? 2 : 1) > cap)
            break;
        if (esc) {
            out[o++] = 0x7d;
            out[o++] = (char)(p[i] ^ 0x20);
        } else {
            out[o++] = (char)p[i];
        }
    }
    *out_len = o;
    return i;
}
