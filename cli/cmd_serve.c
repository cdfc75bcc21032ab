/* SPDX-License-Identifier: MIT */
/* cli/cmd_serve.c - `cardsim serve`: the scenario's card behind PC/SC.
 *
 * The card is built as for `run` (its timeline, if any, runs first); then
 * cardsim connects to vsmartcard's vpcd reader driver inside pcscd as its
 * virtual card (cli/vpcd.h) on two reader slots:
 *   - the contact slot (HOST:PORT): power on and reset are the contact
 *     reader's real ISO 7816 activation of the pads (the routed SE's own
 *     ATR, PPS), and each APDU crosses the contact line at etu level, T=1
 *     or T=0 as negotiated;
 *   - the contactless slot (HOST:PORT+1): the phone's NFC side. Power on
 *     is the phone's activation (field, anticollision, RATS), the ATR is
 *     made from the ATS as PC/SC part 3 says for ISO 14443-4 cards, and an
 *     APDU goes phone -> NFC front end -> MCU -> the SE its AID routes to.
 * Each request becomes a scenario step (contact.power_on, contact.apdu,
 * nfc.activate, nfc.apdu, ...) appended to the run (sim/scenario_live.h),
 * so the traces, events.log and summary.json are those a scenario with
 * these steps would give. The simulation runs as fast as it can through a
 * request and then waits; simulated time does not pass between requests.
 * SIGINT or SIGTERM ends the session: the outputs are written and the exit
 * code is 0.
 *
 * Simplifications: one client request at a time (pcscd serialises them
 * per slot, and the two slots share one simulated card, so a request
 * waits for the other slot's); a failed exchange (the card dead, a T=1
 * abort) is answered with nothing, which vpcd takes for a removed card:
 * cardsim then powers the slot down and connects again (the card comes
 * back as inserted anew). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/session.h"
#include "cli/vpcd.h"
#include "models/card.h"
#include "sim/fatal.h"
#include "sim/scenario_live.h"

#define STEP_BUDGET SIM_S(120) /* simulated time one request may take */
#define MAX_LIVE 100000        /* steps one session keeps (summary.json) */

typedef enum slot_kind { SLOT_CONTACT, SLOT_NFC } slot_kind_t;

typedef struct slot {
    slot_kind_t kind;
    const char *name;
    unsigned port;
    int fd;
    bool powered;
    uint8_t atr[40];
    size_t atr_len;
} slot_t;

typedef struct serve {
    cli_session_t s;
    const char *host;
    slot_t slots[2];
    size_t n_slots;
    double wait_s;
    cJSON **steps; /* the live steps' JSON objects */
    size_t n_steps;
    unsigned long requests;
    bool killed;   /* a debugger killed the run: the session ends */
} serve_t;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: cardsim serve SCENARIO.json [--pcsc HOST:PORT] [--no-nfc]\n"
        "                     [--wait SECONDS] [--out DIR] [--seed N] "
        "[--quiet]\n"
        "  the scenario's card as a PC/SC card through vsmartcard's vpcd "
        "(docs/real-tools.md)\n"
        "  --pcsc HOST:PORT  vpcd's first slot (default 127.0.0.1:35963): "
        "the contact reader;\n"
        "                    PORT+1 is the contactless reader (the phone's "
        "NFC side)\n"
        "  --no-nfc          the contact reader only\n"
        "  --wait SECONDS    how long to try to reach vpcd (default 30)\n"
        "  --out DIR         outputs (default out/<scenario name>)\n"
        "  --gdb CORE:PORT   a GDB remote stub for core mcu, se0, ... "
        "(docs/gdb.md);\n"
        "                    the card waits for the debugger unless "
        "--gdb-nowait\n"
        "SIGINT/SIGTERM end the session; exit 0, 2 bad input, 3 "
        "simulation error\n");
}

static void hex(char *out, size_t len, const uint8_t *b, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o + 3 < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%02X", b[i]);
}

/* Runs one step {"action": action, key: value} (key may be NULL; value a
 * hex string or "true"/"false" for a boolean). True if it passed. */
static bool step(serve_t *v, const char *action, const char *key,
                 const char *value, const scn_step_state_t **out)
{
    const scn_action_def_t *def = scn_find_action(&model_registry, action);
    if (!def || v->n_steps == MAX_LIVE)
        sim_fatal_plain("serve: cannot run %s", action);
    cJSON *j = cJSON_CreateObject();
    if (!j)
        sim_fatal_plain("out of memory");
    cJSON_AddStringToObject(j, "action", action);
    if (key && (!strcmp(value, "true") || !strcmp(value, "false")))
        cJSON_AddBoolToObject(j, key, !strcmp(value, "true"));
    else if (key)
        cJSON_AddStringToObject(j, key, value);
    if (v->n_steps % 64 == 0) {
        cJSON **p = realloc(v->steps, (v->n_steps + 64) * sizeof *p);
        if (!p)
            sim_fatal_plain("out of memory");
        v->steps = p;
    }
    v->steps[v->n_steps++] = j;
    card_last_clear(v->s.run.model);
    const scn_step_state_t *st;
    scn_live_status_t ls = scn_run_live(&v->s.run, def, j, STEP_BUDGET, &st);
    if (ls == SCN_LIVE_KILLED) {
        v->killed = true;
        stop_requested = 1;
    } else if (ls != SCN_LIVE_DONE) {
        sim_fatal(v->s.run.sim->watermark, "serve: %s did not end (%s)",
                  action, st->message);
    }
    if (out)
        *out = st;
    return st->result == SCN_PASSED;
}

/* PC/SC part 3, 3.1.3.2.3.1: the ATR of an ISO 14443-4 card made from
 * its ATS's historical bytes: 3B 8n 80 01 T1..Tn TCK. */
static size_t atr_from_ats(const uint8_t *ats, size_t len, uint8_t *atr)
{
    size_t i = 2, nh = 0;
    if (len >= 2) {
        uint8_t t0 = ats[1];
        i += !!(t0 & 0x10) + !!(t0 & 0x20) + !!(t0 & 0x40);
        if (i < len)
            nh = len - i;
    }
    if (nh > 15)
        nh = 15;
    size_t n = 0;
    atr[n++] = 0x3B;
    atr[n++] = (uint8_t)(0x80 | nh);
    atr[n++] = 0x80;
    atr[n++] = 0x01;
    if (nh)
        memcpy(atr + n, ats + i, nh);
    n += nh;
    uint8_t tck = 0;
    for (size_t k = 1; k < n; k++)
        tck ^= atr[k];
    atr[n++] = tck;
    return n;
}

static void log_request(serve_t *v, const slot_t *sl, const char *what,
                        const scn_step_state_t *st)
{
    if (v->s.quiet)
        return;
    char t[SIM_TIME_FMT_LEN];
    fprintf(stderr, "serve: %s: %s: %s%s%s [simulated %s]\n", sl->name, what,
            st ? scn_result_name(st->result) : "done",
            st && st->message[0] ? ": " : "", st ? st->message : "",
            sim_time_fmt(t, sizeof t, v->s.run.end_time));
}

/* Activates the slot's card; its ATR in sl->atr (empty if none came). */
static void power_on(serve_t *v, slot_t *sl, bool reset)
{
    const scn_step_state_t *st;
    bool ok;
    if (sl->kind == SLOT_CONTACT) {
        ok = step(v, reset && sl->powered ? "contact.reset"
                                          : "contact.power_on",
                  NULL, NULL, &st);
    } else {
        if (reset && sl->powered)
            step(v, "nfc.field", "on", "false", NULL);
        ok = step(v, "nfc.activate", NULL, NULL, &st);
    }
    const card_last_t *last = card_last(v->s.run.model);
    sl->atr_len = 0;
    if (sl->kind == SLOT_CONTACT && last->kind == CARD_LAST_ATR && ok) {
        sl->atr_len = last->len < sizeof sl->atr ? last->len
                                                 : sizeof sl->atr;
        memcpy(sl->atr, last->bytes, sl->atr_len);
    } else if (sl->kind == SLOT_NFC && last->kind == CARD_LAST_ATS && ok) {
        sl->atr_len = atr_from_ats(last->bytes, last->len, sl->atr);
    }
    sl->powered = ok;
    log_request(v, sl, reset ? "reset" : "power on", st);
}

static void power_off(serve_t *v, slot_t *sl)
{
    const scn_step_state_t *st = NULL;
    if (sl->powered) {
        if (sl->kind == SLOT_CONTACT)
            step(v, "contact.power_off", NULL, NULL, &st);
        else
            step(v, "nfc.field", "on", "false", &st);
    }
    sl->powered = false;
    log_request(v, sl, "power off", st);
}

/* One message from vpcd on the slot. Returns false if the connection must
 * be dropped (an answer could not be sent, or the card failed). */
static bool handle(serve_t *v, slot_t *sl, const uint8_t *m, size_t n)
{
    v->requests++;
    if (v->killed)
        return false;
    if (n == 1) {
        switch (m[0]) {
        case VPCD_CTRL_OFF:
            power_off(v, sl);
            return true;
        case VPCD_CTRL_ON:
            if (!sl->powered)
                power_on(v, sl, false);
            return true;
        case VPCD_CTRL_RESET:
            power_on(v, sl, true);
            return true;
        case VPCD_CTRL_ATR:
            /* also pcscd's presence poll: the card is activated once */
            if (!sl->powered)
                power_on(v, sl, false);
            return vpcd_write(sl->fd, sl->atr, sl->atr_len) == 0;
        default:
            break; /* a one-byte APDU: the card says what it makes of it */
        }
    }
    if (!sl->powered)
        power_on(v, sl, false);
    char h[2 * 262 + 1];
    hex(h, sizeof h, m, n > 261 ? 261 : n);
    const scn_step_state_t *st;
    bool ok = n <= 261 &&
              step(v, sl->kind == SLOT_CONTACT ? "contact.apdu" : "nfc.apdu",
                   "apdu", h, &st);
    const card_last_t *last = card_last(v->s.run.model);
    if (v->killed)
        return false;
    if (n > 261 || !ok || last->kind != CARD_LAST_RAPDU) {
        if (!v->s.quiet)
            fprintf(stderr, "serve: %s: APDU %s failed%s%s: the card is "
                    "reported removed\n", sl->name, h,
                    n > 261 ? " (longer than 261 bytes)" : ": ",
                    n > 261 ? "" : st->message);
        vpcd_write(sl->fd, NULL, 0);
        power_off(v, sl);
        return false;
    }
    uint8_t r[sizeof last->bytes + 2];
    memcpy(r, last->bytes, last->len);
    r[last->len] = (uint8_t)(last->sw >> 8);
    r[last->len + 1] = (uint8_t)last->sw;
    char what[600];
    snprintf(what, sizeof what, "APDU %s", h);
    log_request(v, sl, what, st);
    return vpcd_write(sl->fd, r, last->len + 2) == 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Connects every slot not connected; gives up on one after `wait_s`. */
static int connect_slots(serve_t *v, double wait_s)
{
    double end = cli_wall_seconds() + wait_s;
    for (size_t i = 0; i < v->n_slots; i++) {
        slot_t *sl = &v->slots[i];
        if (sl->fd >= 0)
            continue;
        while (sl->fd < 0 && !stop_requested) {
            sl->fd = vpcd_connect(v->host, sl->port);
            if (sl->fd >= 0)
                break;
            if (cli_wall_seconds() > end) {
                fprintf(stderr, "cardsim: serve: nothing listens on %s:%u "
                        "(%s): is pcscd running with vsmartcard-vpcd?\n",
                        v->host, sl->port, strerror(errno));
                return -1;
            }
            sleep_ms(100);
        }
        if (!v->s.quiet && sl->fd >= 0)
            fprintf(stderr, "serve: %s reader: connected to vpcd at %s:%u\n",
                    sl->name, v->host, sl->port);
    }
    return 0;
}

static int serve_loop(serve_t *v)
{
    static uint8_t msg[VPCD_MAX_MSG];
    while (!stop_requested) {
        if (connect_slots(v, v->wait_s) != 0)
            return -1;
        struct pollfd p[2];
        for (size_t i = 0; i < v->n_slots; i++)
            p[i] = (struct pollfd){ .fd = v->slots[i].fd, .events = POLLIN };
        int r = poll(p, (nfds_t)v->n_slots, -1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "cardsim: serve: poll: %s\n", strerror(errno));
            return -1;
        }
        for (size_t i = 0; i < v->n_slots && !stop_requested; i++) {
            slot_t *sl = &v->slots[i];
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            long n = vpcd_read(sl->fd, msg);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0 || !handle(v, sl, msg, (size_t)n)) {
                if (!v->s.quiet)
                    fprintf(stderr, "serve: %s reader: vpcd closed the "
                            "connection; connecting again\n", sl->name);
                close(sl->fd);
                sl->fd = -1;
                if (sl->powered)
                    power_off(v, sl);
            }
        }
    }
    return 0;
}

static int parse_pcsc(const char *arg, serve_t *v, char *host, size_t len)
{
    const char *colon = strrchr(arg, ':');
    char *end;
    if (!colon || colon == arg || (size_t)(colon - arg) >= len)
        return -1;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || !colon[1] || port == 0 || port > 65534)
        return -1;
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = '\0';
    v->host = host;
    v->slots[0].port = (unsigned)port;
    v->slots[1].port = (unsigned)port + 1;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        { "pcsc", required_argument, NULL, 'p' },
        { "no-nfc", no_argument, NULL, 'N' },
        { "wait", required_argument, NULL, 'w' },
        { "out", required_argument, NULL, 'o' },
        { "seed", required_argument, NULL, 's' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "gdb", required_argument, NULL, 'G' },
        { "gdb-nowait", no_argument, NULL, 'W' },
        { NULL, 0, NULL, 0 },
    };
    gdb_spec_t gdb[GDB_MAX_STUBS];
    size_t n_gdb = 0;
    bool gdb_nowait = false;
    gdb_server_t *gdb_srv = NULL;
    serve_t *v = calloc(1, sizeof *v);
    if (!v)
        return CLI_EXIT_SIM_ERROR;
    static char host[256];
    v->host = "127.0.0.1";
    v->slots[0] = (slot_t){ SLOT_CONTACT, "contact", VPCD_DEFAULT_PORT, -1,
                            false, { 0 }, 0 };
    v->slots[1] = (slot_t){ SLOT_NFC, "contactless", VPCD_DEFAULT_PORT + 1,
                            -1, false, { 0 }, 0 };
    v->n_slots = 2;
    v->wait_s = 30;
    const char *out = NULL, *seed_arg = NULL;
    int o, rc = CLI_EXIT_BAD_INPUT;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (o) {
        case 'p':
            if (parse_pcsc(optarg, v, host, sizeof host) != 0) {
                free(v);
                return cli_bad_input("serve: --pcsc %s: expected HOST:PORT "
                                     "(PORT 1..65534)", optarg);
            }
            break;
        case 'N': v->n_slots = 1; break;
        case 'w':
            v->wait_s = strtod(optarg, &end);
            if (*end || v->wait_s < 0) {
                free(v);
                return cli_bad_input("serve: --wait %s: expected seconds",
                                     optarg);
            }
            break;
        case 'o': out = optarg; break;
        case 's': seed_arg = optarg; break;
        case 'q': v->s.quiet = true; break;
        case 'G': {
            char gerr[512];
            if (n_gdb == GDB_MAX_STUBS) {
                free(v);
                return cli_bad_input("serve: --gdb: at most %d (one per "
                                     "core)", GDB_MAX_STUBS);
            }
            if (gdb_spec_parse(&gdb[n_gdb], optarg, gerr, sizeof gerr)) {
                free(v);
                return cli_bad_input("serve: %s", gerr);
            }
            n_gdb++;
            break;
        }
        case 'W': gdb_nowait = true; break;
        case 'h': usage(stdout); free(v); return CLI_EXIT_OK;
        default: usage(stderr); free(v); return CLI_EXIT_BAD_INPUT;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        free(v);
        return CLI_EXIT_BAD_INPUT;
    }
    if (gdb_nowait && n_gdb == 0) {
        free(v);
        return cli_bad_input("serve: --gdb-nowait: needs --gdb CORE:PORT");
    }
    cli_session_t *s = &v->s;
    char err[2048];
    if (scenario_load(&s->scn, argv[optind], &model_registry, err,
                      sizeof err) != 0) {
        free(v);
        return cli_bad_input("%s", err);
    }
    if (seed_arg) {
        char *end;
        unsigned long long sd = strtoull(seed_arg, &end, 0);
        if (*end || seed_arg[0] == '-') {
            scenario_free(&s->scn);
            free(v);
            return cli_bad_input("serve: --seed %s: expected a number",
                                 seed_arg);
        }
        s->scn.seed = sd;
    }
    if (!s->scn.section || strcmp(s->scn.section->key, "card") != 0) {
        rc = cli_bad_input("serve: %s: PC/SC serves a card; this scenario "
                           "has no \"card\" section", argv[optind]);
        scenario_free(&s->scn);
        free(v);
        return rc;
    }
    if (out)
        snprintf(s->out_dir, sizeof s->out_dir, "%s", out);
    else
        snprintf(s->out_dir, sizeof s->out_dir, "out/%s", s->scn.name);
    s->section = model_section_of(&s->scn);
    sim_init(&s->sim, s->scn.seed);
    trace_bus_init(&s->bus);
    scn_run_init(&s->run, &s->sim, &s->scn, &s->bus);
    s->run.wall_clock = cli_wall_seconds;
    if (s->section->build(&s->run, &s->bus, err, sizeof err) != 0) {
        cli_bad_input("%s", err);
        goto cleanup;
    }
    if (n_gdb && cli_session_open_gdb(s, "serve", gdb, n_gdb, !gdb_nowait,
                                      &gdb_srv) != 0)
        goto cleanup;
    /* vpcd first: without it nothing is written */
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (connect_slots(v, v->wait_s) != 0) {
        rc = CLI_EXIT_SIM_ERROR;
        goto cleanup;
    }
    if (cli_mkdir_p(s->out_dir, err, sizeof err) != 0 ||
        cli_session_open_outputs(s, err, sizeof err) != 0) {
        cli_bad_input("%s", err);
        trace_bus_close(&s->bus, err, sizeof err);
        goto cleanup;
    }
    trace_bus_attach(&s->bus, &s->sim);
    s->wall_start = cli_wall_seconds();

    /* the timeline first (the card as the scenario leaves it); without
     * one the requests start at time 0 */
    bool ok = s->scn.n_steps == 0 || scn_run_execute(&s->run);
    scn_run_live_begin(&s->run);
    if (!s->quiet)
        fprintf(stderr, "serve: %s: the card is built%s; waiting for PC/SC "
                "through vpcd\n", s->scn.name,
                s->scn.n_steps ? (ok ? ", its timeline passed"
                                     : ", its timeline FAILED") : "");
    rc = serve_loop(v) == 0 ? CLI_EXIT_OK : CLI_EXIT_SIM_ERROR;
    if (v->killed)
        rc = CLI_EXIT_SIM_ERROR;
    if (!s->quiet)
        fprintf(stderr, "serve: %lu requests served\n", v->requests);
    trace_bus_release(&s->bus, sim_time_add(s->run.end_time, 1));
    trace_bus_discard(&s->bus);
    cli_session_finish_outputs(s, v->killed ? "the debugger killed the run"
                                            : NULL);

cleanup:
    if (gdb_srv)
        gdb_server_close(gdb_srv, rc);
    for (size_t i = 0; i < v->n_slots; i++)
        if (v->slots[i].fd >= 0)
            close(v->slots[i].fd);
    sim_cleanup(&s->sim);
    if (s->run.model)
        s->section->destroy(s->run.model);
    scn_run_cleanup(&s->run);
    scenario_free(&s->scn);
    for (size_t i = 0; i < v->n_steps; i++)
        cJSON_Delete(v->steps[i]);
    free(v->steps);
    free(v);
    return rc;
}
