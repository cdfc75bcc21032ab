/* SPDX-License-Identifier: MIT */
/* cli/session.c - the output files of a simulated system and its
 * debuggers (session.h). */
#include "cli/session.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/summary.h"
#include "models/card.h"

int cli_session_open_outputs(cli_session_t *s, char *err, size_t errlen)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/events.log", s->out_dir);
    if (trace_log_open(&s->log, path, err, errlen) != 0)
        return -1;
    trace_sink_t sink;
    trace_log_sink(&s->log, &sink);
    trace_bus_add_sink(&s->bus, &sink);
    s->outputs[s->n_outputs++] = "events.log";

    static const struct {
        unsigned flag;
        pcap_sink_format_t fmt;
        const char *file;
    } pcaps[] = {
        { MODEL_PCAP_APDU, PCAP_SINK_APDU, "apdu.pcap" },
        { MODEL_PCAP_NFC, PCAP_SINK_NFC, "nfc.pcap" },
        { MODEL_PCAP_BLE, PCAP_SINK_BLE, "ble.pcap" },
    };
    for (size_t i = 0; i < 3; i++) {
        if (!(s->section->pcaps & pcaps[i].flag))
            continue;
        snprintf(path, sizeof path, "%s/%s", s->out_dir, pcaps[i].file);
        pcap_sink_t *ps = &s->pcaps[s->n_pcaps];
        if (pcap_sink_open(ps, pcaps[i].fmt, path, err, errlen) != 0)
            return -1;
        s->n_pcaps++;
        pcap_sink_sink(ps, &sink);
        trace_bus_add_sink(&s->bus, &sink);
        s->outputs[s->n_outputs++] = pcaps[i].file;
    }
    return 0;
}

void cli_session_finish_outputs(cli_session_t *s, const char *error)
{
    char err[1024];
    if (trace_bus_close(&s->bus, err, sizeof err) != 0)
        fprintf(stderr, "cardsim: %s\n", err);
    /* the system's end state, then summary.json, which lists every file */
    if (s->section->save && s->run.model &&
        s->section->save(s->run.model, s->out_dir, s->outputs, &s->n_outputs,
                         CLI_MAX_OUTPUTS - 2, err, sizeof err) != 0)
        fprintf(stderr, "cardsim: %s\n", err);
    s->outputs[s->n_outputs++] = "summary.json";
    s->outputs[s->n_outputs] = NULL;
    cli_run_info_t info = {
        .scn = &s->scn, .run = &s->run, .section = s->section,
        .bus = &s->bus, .sim = &s->sim,
        .wall_s = cli_wall_seconds() - s->wall_start,
        .out_dir = s->out_dir, .outputs = s->outputs, .error = error,
    };
    if (cli_summary_write(&info, err, sizeof err) != 0)
        fprintf(stderr, "cardsim: %s\n", err);
    if (!s->quiet || error)
        cli_summary_print(error ? stderr : stdout, &info);
}

int cli_session_open_gdb(cli_session_t *s, const char *cmd,
                         gdb_spec_t *specs, size_t n, bool wait,
                         gdb_server_t **out)
{
    char err[512];
    if (strcmp(s->section->def->key, "card") != 0) {
        cli_bad_input("%s: --gdb %s: the debugger attaches to a core of "
                      "the card; this scenario has no \"card\" section",
                      cmd, specs[0].arg);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        specs[i].cpu = card_core(s->run.model, specs[i].core);
        if (!specs[i].cpu) {
            char names[256];
            card_core_names(s->run.model, names, sizeof names);
            cli_bad_input("%s: --gdb %s: no core \"%s\" on this card (its "
                          "cores: %s)", cmd, specs[i].arg, specs[i].core,
                          names);
            return -1;
        }
    }
    if (gdb_server_open(out, specs, n, wait, &s->run, err, sizeof err) != 0) {
        cli_bad_input("%s", err);
        return -1;
    }
    return 0;
}
