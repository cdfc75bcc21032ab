/* SPDX-License-Identifier: MIT */
/* cli/summary.c - summary.json (for CI tools) and the printed summary. */
#include "cli/summary.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void add_time(cJSON *o, const char *key, sim_time_t t)
{
    char buf[SIM_TIME_FMT_LEN];
    if (t == SIM_NEVER)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddStringToObject(o, key, sim_time_fmt(buf, sizeof buf, t));
}

/* ---- channels --------------------------------------------------------- */

/* The card's three ways in; a step belongs to the channel its action is
 * named after ("nfc.update_cos"). */
static const char *const channel_names[] = { "contact", "nfc", "ble" };
#define N_CHANNELS 3

typedef struct channel_sum {
    size_t steps;
    sim_time_t sim;
    double wall;
    double apdus, bytes;
} channel_sum_t;

static int channel_of(const char *action)
{
    for (int c = 0; c < N_CHANNELS; c++) {
        size_t n = strlen(channel_names[c]);
        if (strncmp(action, channel_names[c], n) == 0 && action[n] == '.')
            return c;
    }
    return -1;
}

/* Steps' simulated and wall time per channel, and what the model says
 * each channel's terminal moved. Returns the number of channels used. */
static int channel_sums(const cli_run_info_t *info, channel_sum_t *sum)
{
    memset(sum, 0, N_CHANNELS * sizeof *sum);
    const scenario_t *scn = info->scn;
    const scn_run_t *run = info->run;
    for (size_t i = 0; i < scn->n_steps; i++) {
        const scn_step_state_t *s = &run->steps[i];
        int c = channel_of(scn->steps[i].def->name);
        if (c < 0 || (s->result != SCN_PASSED && s->result != SCN_FAILED))
            continue;
        sum[c].steps++;
        sum[c].sim += s->end - s->start;
        sum[c].wall += s->wall_end - s->wall_start;
    }
    if (info->section && info->section->channels && run->model) {
        cJSON *o = cJSON_CreateObject();
        info->section->channels(run->model, o);
        for (int c = 0; c < N_CHANNELS; c++) {
            const cJSON *ch = cJSON_GetObjectItemCaseSensitive(
                o, channel_names[c]);
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(ch, "apdus");
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(ch, "bytes");
            sum[c].apdus = cJSON_IsNumber(a) ? a->valuedouble : 0;
            sum[c].bytes = cJSON_IsNumber(b) ? b->valuedouble : 0;
        }
        cJSON_Delete(o);
    }
    int used = 0;
    for (int c = 0; c < N_CHANNELS; c++)
        used += sum[c].steps > 0;
    return used;
}

static const char *verdict(const cli_run_info_t *info)
{
    if (info->error)
        return "error";
    return info->run->finished && info->run->failed == 0 ? "pass" : "fail";
}

int cli_summary_write(const cli_run_info_t *info, char *err, size_t errlen)
{
    const scenario_t *scn = info->scn;
    const scn_run_t *run = info->run;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", scn->name);
    cJSON_AddStringToObject(root, "file", scn->file);
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, scn->seed);
    cJSON_AddRawToObject(root, "seed", seed);
    cJSON_AddStringToObject(root, "result", verdict(info));
    if (info->error)
        cJSON_AddStringToObject(root, "error", info->error);
    add_time(root, "sim_time_s", run->end_time != SIM_NEVER
                                     ? run->end_time : info->sim->watermark);
    cJSON_AddNumberToObject(root, "wall_time_s", info->wall_s);
    cJSON_AddNumberToObject(root, "steps_passed", (double)run->passed);
    cJSON_AddNumberToObject(root, "steps_failed", (double)run->failed);

    cJSON *steps = cJSON_AddArrayToObject(root, "steps");
    for (size_t i = 0; i < run->last; i++) {
        const scn_step_t *st = &scn->steps[i];
        const scn_step_state_t *s = &run->steps[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "index", (double)i);
        if (i >= scn->n_steps)
            cJSON_AddNumberToObject(o, "recovery", (double)(i - scn->n_steps));
        cJSON_AddStringToObject(o, "action", st->def->name);
        if (st->label)
            cJSON_AddStringToObject(o, "name", st->label);
        cJSON_AddStringToObject(o, "result", scn_result_name(s->result));
        if (s->result != SCN_NOT_RUN) {
            add_time(o, "start_s", s->start);
            add_time(o, "end_s", s->end);
        }
        if (s->message[0])
            cJSON_AddStringToObject(o, "message", s->message);
        cJSON_AddItemToArray(steps, o);
    }
    channel_sum_t sum[N_CHANNELS];
    if (channel_sums(info, sum) > 0) {
        cJSON *chans = cJSON_AddObjectToObject(root, "channels");
        for (int c = 0; c < N_CHANNELS; c++) {
            if (!sum[c].steps)
                continue;
            cJSON *o = cJSON_AddObjectToObject(chans, channel_names[c]);
            cJSON_AddNumberToObject(o, "steps", (double)sum[c].steps);
            cJSON_AddNumberToObject(o, "apdus", sum[c].apdus);
            cJSON_AddNumberToObject(o, "bytes", sum[c].bytes);
            add_time(o, "sim_time_s", sum[c].sim);
            cJSON_AddNumberToObject(o, "wall_time_s", sum[c].wall);
        }
    }
    cJSON *nodes = cJSON_AddArrayToObject(root, "nodes");
    {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", "world");
        cJSON_AddNumberToObject(o, "events",
                                (double)run->world.events_fired);
        cJSON_AddItemToArray(nodes, o);
    }
    if (info->section && info->section->stats && run->model)
        info->section->stats(run->model, nodes);
    cJSON *trace = cJSON_AddObjectToObject(root, "trace_records");
    for (int k = 0; k < TRACE_KIND_COUNT; k++)
        cJSON_AddNumberToObject(trace, trace_kind_name((trace_kind_t)k),
                                (double)info->bus->published[k]);
    cJSON_AddNumberToObject(root, "scheduler_rounds", (double)info->sim->rounds);
    cJSON *outs = cJSON_AddArrayToObject(root, "outputs");
    for (size_t i = 0; info->outputs && info->outputs[i]; i++)
        cJSON_AddItemToArray(outs, cJSON_CreateString(info->outputs[i]));

    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", info->out_dir);
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!f || fputs(text, f) < 0 || fputc('\n', f) == EOF) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        rc = -1;
    }
    if (f && fclose(f) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        rc = -1;
    }
    free(text);
    return rc;
}

void cli_summary_print(FILE *f, const cli_run_info_t *info)
{
    const scenario_t *scn = info->scn;
    const scn_run_t *run = info->run;
    char a[SIM_TIME_FMT_LEN], b[SIM_TIME_FMT_LEN];
    fprintf(f, "scenario %s (seed %" PRIu64 ")\n", scn->name, scn->seed);
    for (size_t i = 0; i < run->last; i++) {
        const scn_step_t *st = &scn->steps[i];
        const scn_step_state_t *s = &run->steps[i];
        if (i >= scn->n_steps)
            fprintf(f, "  %-7s recovery step %zu %s",
                    scn_result_name(s->result), i - scn->n_steps,
                    st->def->name);
        else
            fprintf(f, "  %-7s step %zu %s", scn_result_name(s->result), i,
                    st->def->name);
        if (st->label)
            fprintf(f, " \"%s\"", st->label);
        if (s->result == SCN_PASSED || s->result == SCN_FAILED)
            fprintf(f, " at %s..%s s", sim_time_fmt(a, sizeof a, s->start),
                    sim_time_fmt(b, sizeof b, s->end));
        if (s->message[0])
            fprintf(f, ": %s", s->message);
        fputc('\n', f);
    }
    sim_time_t end = run->end_time != SIM_NEVER ? run->end_time
                                                : info->sim->watermark;
    double sim_s = sim_time_to_s(end);
    fprintf(f, "%s: %zu of %zu steps passed; simulated %s in %.3f s wall",
            info->error ? "ERROR" : (run->finished && !run->failed ? "PASS"
                                                                   : "FAIL"),
            run->passed, run->last, sim_time_fmt_short(a, sizeof a, end),
            info->wall_s);
    if (info->wall_s > 0 && sim_s > 0)
        fprintf(f, " (%.3gx real time)", sim_s / info->wall_s);
    fputc('\n', f);
    channel_sum_t sum[N_CHANNELS];
    if (channel_sums(info, sum) > 0) {
        fprintf(f, "  %-8s %5s %6s %8s %12s %9s\n", "channel", "steps",
                "APDUs", "bytes", "simulated", "wall");
        for (int c = 0; c < N_CHANNELS; c++) {
            if (!sum[c].steps)
                continue;
            fprintf(f, "  %-8s %5zu %6.0f %8.0f %10.6f s %7.3f s\n",
                    channel_names[c], sum[c].steps, sum[c].apdus,
                    sum[c].bytes, sim_time_to_s(sum[c].sim), sum[c].wall);
        }
    }
    if (info->error)
        fprintf(f, "error: %s\n", info->error);
    fprintf(f, "outputs in %s/:", info->out_dir);
    for (size_t i = 0; info->outputs && info->outputs[i]; i++)
        fprintf(f, " %s", info->outputs[i]);
    fputc('\n', f);
}
