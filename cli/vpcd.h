/* SPDX-License-Identifier: MIT */
/* cli/vpcd.h - the virtual-card side of vsmartcard's vpcd protocol: a TCP
 * client of the vpcd PC/SC reader driver (Debian vsmartcard-vpcd), which
 * listens on port 35963 for its first reader slot and 35964 for its
 * second. Every message, in both directions, is a 2-byte big-endian
 * length and that many bytes. From vpcd: a 1-byte control message
 * (VPCD_CTRL_*: power off, power on, reset, get ATR) or a command APDU;
 * to vpcd: the ATR for "get ATR", the response APDU for a command, nothing
 * for the other controls. An empty answer means "no card". */
#ifndef CLI_VPCD_H
#define CLI_VPCD_H

#include <stddef.h>
#include <stdint.h>

#define VPCD_DEFAULT_PORT 35963
#define VPCD_CTRL_OFF 0x00
#define VPCD_CTRL_ON 0x01
#define VPCD_CTRL_RESET 0x02
#define VPCD_CTRL_ATR 0x04
#define VPCD_MAX_MSG 0xFFFF

/* Connects to host:port; -1 (errno set) if nobody listens. */
int vpcd_connect(const char *host, unsigned port);

/* Reads one message into buf (VPCD_MAX_MSG bytes). Returns its length, 0
 * if vpcd closed the connection, -1 on an error (errno; EINTR included). */
long vpcd_read(int fd, uint8_t *buf);

/* Sends one message; 0 or -1. */
int vpcd_write(int fd, const uint8_t *data, size_t len);

#endif /* CLI_VPCD_H */
