/* SPDX-License-Identifier: MIT */
/* cli/cmd_bench.c - `cardsim bench [NAME...]`: one JSON object per line:
 * {"bench": NAME, "value": V, "unit": U, "note": ..., "host": ...}. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bench/bench.h"
#include "cli/cli.h"

static const bench_def_t benches[] = {
    { "kernel", "event schedule+dispatch throughput", bench_kernel },
    { "cpu", "Cortex-M0 interpreter speed on CRC-32 and SHA-256",
      bench_cpu },
    { "contact-update", "real-time factor of the claim-4 COS update over "
      "contact", bench_contact_update },
    { "nfc-update", "real-time factor of the claim-1 COS update over NFC "
      "(MCU and three SEs)", bench_nfc_update },
    { "ble-update", "real-time factor of the claim-1 COS update over BLE "
      "(MCU and two SEs)", bench_ble_update },
    { "demo", "the README's demo: real-time factor and wall time",
      bench_demo },
};

#define N_BENCHES (sizeof benches / sizeof benches[0])

/* The host's CPU model, so figures carry the machine they came from. */
static void host_name(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *v = strchr(line, ':');
            if (v) {
                v += 2;
                v[strcspn(v, "\n")] = '\0';
                snprintf(buf, len, "%s, %ld cores", v,
                         sysconf(_SC_NPROCESSORS_ONLN));
            }
            break;
        }
    }
    fclose(f);
}

static int run_one(const bench_def_t *b, const char *host)
{
    bench_result_t res[8];
    char err[512] = "";
    int n = b->run(res, 8, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "cardsim: bench %s: %s\n", b->name, err);
        return CLI_EXIT_SIM_ERROR;
    }
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "bench", res[i].name);
        cJSON_AddNumberToObject(o, "value", res[i].value);
        cJSON_AddStringToObject(o, "unit", res[i].unit);
        cJSON_AddStringToObject(o, "note", res[i].note);
        cJSON_AddStringToObject(o, "host", host);
        char *s = cJSON_PrintUnformatted(o);
        puts(s);
        fflush(stdout);
        cJSON_free(s);
        cJSON_Delete(o);
    }
    return CLI_EXIT_OK;
}

int cmd_bench(int argc, char **argv)
{
    char host[200];
    host_name(host, sizeof host);
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
                     strcmp(argv[1], "--list") == 0)) {
        printf("usage: cardsim bench [NAME...]\nbenchmarks:\n");
        for (size_t i = 0; i < N_BENCHES; i++)
            printf("  %-16s %s\n", benches[i].name, benches[i].help);
        return CLI_EXIT_OK;
    }
    if (argc == 1) {
        for (size_t i = 0; i < N_BENCHES; i++) {
            int rc = run_one(&benches[i], host);
            if (rc)
                return rc;
        }
        return CLI_EXIT_OK;
    }
    for (int a = 1; a < argc; a++) {
        size_t i = 0;
        while (i < N_BENCHES && strcmp(argv[a], benches[i].name) != 0)
            i++;
        if (i == N_BENCHES)
            return cli_bad_input("bench: unknown benchmark '%s' (try "
                                 "`cardsim bench --list`)", argv[a]);
        int rc = run_one(&benches[i], host);
        if (rc)
            return rc;
    }
    return CLI_EXIT_OK;
}
