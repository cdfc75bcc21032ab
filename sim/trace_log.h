/* SPDX-License-Identifier: MIT */
/* sim/trace_log.h - the text-log trace sink (events.log): one line per
 * record, sim time first. The line format is documented at the top of
 * trace_log.c and in docs/trace-format.md. */
#ifndef SIM_TRACE_LOG_H
#define SIM_TRACE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/trace.h"

typedef struct trace_log {
    FILE *f;
    bool own;          /* opened by trace_log_open: closed with the log */
    char *name;        /* path or stream name, for error messages */
    char *iobuf;       /* large stdio buffer (own file only) */
    char *line;        /* line under construction, reused */
    size_t line_cap;
    uint64_t lines;    /* lines written */
    int write_errno;   /* first failed write's errno, 0 if none */
} trace_log_t;

/* Creates (truncates) the file at path. Returns 0, or -1 with a message
 * naming the path in err. */
int trace_log_open(trace_log_t *log, const char *path, char *err,
                   size_t errlen);

/* Writes to an already open stream (e.g. stdout) that the caller keeps
 * owning; closing the log flushes it but does not close it. name is used
 * in error messages. Returns 0, or -1 with a message in err. */
int trace_log_open_stream(trace_log_t *log, FILE *f, const char *name,
                          char *err, size_t errlen);

/* Fills out with a sink (mask: every kind) writing to log; the sink's
 * close is trace_log_close. */
void trace_log_sink(trace_log_t *log, trace_sink_t *out);

/* Writes one record as one line. */
void trace_log_write(trace_log_t *log, const trace_rec_t *rec);

/* Flushes and closes; frees the log's storage. Idempotent. Returns 0, or
 * -1 with a message naming the file in err if any write failed. */
int trace_log_close(trace_log_t *log, char *err, size_t errlen);

/* Formats rec as its events.log line, without the newline, snprintf-style:
 * writes at most len bytes including the NUL and returns the length of the
 * full line. For other front ends (viewer, progress output). */
size_t trace_log_format(const trace_rec_t *rec, char *buf, size_t len);

#endif /* SIM_TRACE_LOG_H */
