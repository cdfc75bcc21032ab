/* SPDX-License-Identifier: MIT */
/* cli/vpcd.c - vpcd's framing over TCP (vpcd.h). Reference: vsmartcard's
 * virtualsmartcard documentation, "Creating a virtual smart card" (the
 * length-prefixed messages and the control bytes). */
#include "cli/vpcd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int vpcd_connect(const char *host, unsigned port)
{
    struct addrinfo hints = { .ai_family = AF_INET,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    char p[16];
    snprintf(p, sizeof p, "%u", port);
    if (getaddrinfo(host, p, &hints, &res) != 0 || !res) {
        errno = EHOSTUNREACH;
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
                    a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        int e = errno;
        close(fd);
        fd = -1;
        errno = e;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1; /* one small message each way per request */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* Reads exactly n bytes: n, 0 at end of stream, -1 on an error. */
static long read_full(int fd, uint8_t *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r == 0)
            return 0;
        if (r < 0) {
            if (errno == EINTR && got > 0)
                continue; /* finish a message once begun */
            return -1;
        }
        got += (size_t)r;
    }
    return (long)n;
}

long vpcd_read(int fd, uint8_t *buf)
{
    uint8_t h[2];
    long r = read_full(fd, h, 2);
    if (r <= 0)
        return r;
    size_t n = (size_t)h[0] << 8 | h[1];
    if (n == 0)
        return vpcd_read(fd, buf); /* an empty message says nothing */
    r = read_full(fd, buf, n);
    return r <= 0 ? (r == 0 ? 0 : -1) : (long)n;
}

int vpcd_write(int fd, const uint8_t *data, size_t len)
{
    uint8_t m[2 + VPCD_MAX_MSG];
    if (len > VPCD_MAX_MSG)
        return -1;
    m[0] = (uint8_t)(len >> 8);
    m[1] = (uint8_t)len;
    memcpy(m + 2, data, len);
    size_t off = 0;
    while (off < len + 2) {
        ssize_t w = send(fd, m + off, len + 2 - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}
