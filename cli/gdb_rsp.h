/* SPDX-License-Identifier: MIT */
/* cli/gdb_rsp.h - GDB Remote Serial Protocol framing on a connected
 * socket: $payload#cs packets, the +/- acknowledgements (until no-ack
 * mode), the out-of-band interrupt byte 0x03, hex and binary encodings.
 *
 * Reference: GDB manual, appendix E "GDB Remote Serial Protocol" (E.1
 * Overview: framing, checksums, escapes, acknowledgement; E.8 Interrupts).
 *
 * Notes:
 *  - no run-length encoding is sent (it is optional for a stub);
 *  - a packet larger than GDB_RSP_MAX is refused with a NAK, which GDB
 *    never causes: the stub announces PacketSize = GDB_RSP_MAX. */
#ifndef CLI_GDB_RSP_H
#define CLI_GDB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GDB_RSP_MAX 16384 /* payload bytes, both ways */

typedef struct gdb_rsp {
    int fd;                  /* -1: not connected */
    bool noack;              /* QStartNoAckMode accepted */
    uint8_t in[4096];        /* bytes read, not yet taken */
    size_t in_pos, in_len;
} gdb_rsp_t;

#define GDB_RSP_INTR (-2)    /* gdb_rsp_recv: the interrupt byte */

void gdb_rsp_init(gdb_rsp_t *r, int fd);
/* Closes the socket (fd -1). */
void gdb_rsp_close(gdb_rsp_t *r);

/* Blocks for the next packet; its payload (escapes kept) goes to out,
 * NUL-terminated. Returns the payload length, GDB_RSP_INTR for a 0x03
 * outside a packet, -1 when the connection is gone. Acknowledges each
 * packet unless in no-ack mode; a bad checksum is NAKed and skipped. */
int gdb_rsp_recv(gdb_rsp_t *r, char *out, size_t cap);
/* Without blocking, while the target runs: 1 if an interrupt byte
 * arrived, -1 if the connection is gone, 0 otherwise (other bytes are
 * kept for gdb_rsp_recv). */
int gdb_rsp_poll_intr(gdb_rsp_t *r);
/* Sends one packet (data is sent as is: the caller escapes binary data);
 * in ack mode waits for '+' and resends on '-'. 0, or -1 if the
 * connection is gone. */
int gdb_rsp_send(gdb_rsp_t *r, const char *data, size_t len);
int gdb_rsp_send_str(gdb_rsp_t *r, const char *s);

/* Encodings. gdb_hex writes 2n hex digits and a NUL into out. gdb_unhex
 * reads 2n hex digits; false if any is not hex. gdb_unescape undoes the
 * binary escapes (0x7d, byte ^ 0x20) in place and returns the length.
 * gdb_escape writes binary data with '#', '$', '}' and '*' escaped into
 * out (at most cap bytes) and returns the bytes of data it took. */
void gdb_hex(char *out, const void *data, size_t n);
bool gdb_unhex(void *out, const char *hex, size_t n);
size_t gdb_unescape(uint8_t *data, size_t len);
size_t gdb_escape(char *out, size_t cap, size_t *out_len, const void *data,
                  size_t n);

#endif /* CLI_GDB_RSP_H */
