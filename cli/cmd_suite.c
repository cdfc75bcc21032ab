/* SPDX-License-Identifier: MIT */
/* cli/cmd_suite.c - `cardsim suite DIR|FILES... [-j N] [--junit FILE]
 * [--shard K/N] [--out DIR] [--list]`: runs many scenarios, each in its
 * own process (`cardsim run FILE --out DIR/<name> --quiet`), N at a time;
 * a progress bar with pass/fail counts and ETA on a terminal; a JUnit XML
 * report (one testcase per scenario; a failure carries the failed
 * expectation and the command that reproduces it); exit 1 if any failed.
 *
 * The list: every FILE given, and every *.json under each DIR (recursively)
 * whose top-level "format" is a cardsim scenario, sorted by path. A shard
 * K/N takes the files at positions K-1, K-1+N, K-1+2N, ... of that sorted
 * list: the shards are disjoint, their union is the list, and each is the
 * same on every machine (docs/suite.md has CI-matrix, Kubernetes
 * indexed-job and Slurm array examples). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"

typedef struct entry {
    char *file;         /* as found */
    char name[128];     /* the scenario's name (its "name", or the file's) */
    char out[4096];     /* its output directory */
    pid_t pid;
    double t0, wall;
    int status;         /* exit code, or 128 + signal */
    bool done;
    char message[1024]; /* the first failed step, or the error */
    char seed[32];
} entry_t;

typedef struct list {
    entry_t *e;
    size_t n, cap;
} list_t;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: cardsim suite DIR|FILE... [-j N] [--junit FILE] "
        "[--shard K/N] [--out DIR] [--list]\n"
        "  -j N          run N scenarios at a time (default: the CPUs)\n"
        "  --junit FILE  write a JUnit XML report\n"
        "  --shard K/N   run only shard K of N (1 <= K <= N): the files at\n"
        "                positions K-1, K-1+N, ... of the sorted list\n"
        "  --out DIR     outputs under DIR/<scenario name>/ (default "
        "out/suite)\n"
        "  --list        print the files this shard would run, run nothing\n"
        "exit: 0 all passed, 1 some failed, 2 bad input\n");
}

static int add_file(list_t *l, const char *path)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        entry_t *e = realloc(l->e, l->cap * sizeof *e);
        if (!e)
            return -1;
        l->e = e;
    }
    memset(&l->e[l->n], 0, sizeof l->e[l->n]);
    l->e[l->n].file = strdup(path);
    if (!l->e[l->n].file)
        return -1;
    l->n++;
    return 0;
}

/* What a .json file under a suite directory is: a scenario (its "name"
 * and "seed" are read), some other JSON (schema.json, data: not run), or
 * not JSON at all (run, so that `cardsim run` reports the broken file
 * instead of the suite skipping it). */
typedef enum { FILE_SCENARIO, FILE_OTHER, FILE_BROKEN } file_kind_t;

static file_kind_t scenario_info(const char *path, char *name, size_t nlen,
                                 char *seed, size_t slen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return FILE_BROKEN;
    char *text = NULL;
    size_t len = 0, cap = 0;
    char buf[8192];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + k + 1 > cap) {
            cap = (len + k + 1) * 2;
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                return FILE_BROKEN;
            }
            text = t;
        }
        memcpy(text + len, buf, k);
        len += k;
    }
    fclose(f);
    if (!text)
        return FILE_BROKEN;
    text[len] = '\0';
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root)
        return FILE_BROKEN;
    file_kind_t kind = FILE_OTHER;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (cJSON_IsString(fmt) &&
        strncmp(fmt->valuestring, "cardsim-scenario/", 17) == 0) {
        kind = FILE_SCENARIO;
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(root, "name");
        const cJSON *sd = cJSON_GetObjectItemCaseSensitive(root, "seed");
        if (cJSON_IsString(nm))
            snprintf(name, nlen, "%s", nm->valuestring);
        if (cJSON_IsNumber(sd))
            snprintf(seed, slen, "%.0f", sd->valuedouble);
    }
    cJSON_Delete(root);
    return kind;
}

static int scan_dir(list_t *l, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL && rc == 0) {
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            rc = scan_dir(l, p);
            continue;
        }
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        char name[128] = "", seed[32] = "";
        if (scenario_info(p, name, sizeof name, seed, sizeof seed) !=
            FILE_OTHER)
            rc = add_file(l, p);
    }
    closedir(d);
    return rc;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry_t *)a)->file, ((const entry_t *)b)->file);
}

/* The first failed step's message from DIR/summary.json. */
static void read_failure(entry_t *e)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/summary.json", e->out);
    FILE *f = fopen(p, "rb");
    if (!f)
        return;
    char *text = NULL;
    size_t len = 0;
    char buf[8192];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
        char *t = realloc(text, len + k + 1);
        if (!t)
            break;
        text = t;
        memcpy(text + len, buf, k);
        len += k;
    }
    fclose(f);
    if (!text)
        return;
    text[len] = '\0';
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsString(err))
        snprintf(e->message, sizeof e->message, "%s", err->valuestring);
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    const cJSON *s;
    cJSON_ArrayForEach(s, steps) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(s, "result");
        if (!cJSON_IsString(r) || strcmp(r->valuestring, "failed") != 0)
            continue;
        const cJSON *i = cJSON_GetObjectItemCaseSensitive(s, "index");
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(s, "action");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(s, "message");
        snprintf(e->message, sizeof e->message, "step %d %s: %s",
                 cJSON_IsNumber(i) ? i->valueint : -1,
                 cJSON_IsString(a) ? a->valuestring : "?",
                 cJSON_IsString(m) ? m->valuestring : "failed");
        break;
    }
    cJSON_Delete(root);
}

/* The first line the child wrote (bad input, a simulation error). */
static void read_log(entry_t *e)
{
    char p[4200];
    snprintf(p, sizeof p, "%s.log", e->out);
    FILE *f = fopen(p, "r");
    if (!f)
        return;
    if (fgets(e->message, sizeof e->message, f))
        e->message[strcspn(e->message, "\n")] = '\0';
    fclose(f);
}

static pid_t start(const char *self, entry_t *e)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* the child: quiet, its own output directory; stdout/stderr kept in
     * the output directory for the failure message */
    char log[4200];
    snprintf(log, sizeof log, "%s.log", e->out);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    execl(self, self, "run", e->file, "--out", e->out, "--quiet",
          (char *)NULL);
    _exit(127);
}

static void progress(bool tty, size_t done, size_t n, size_t pass,
                     size_t fail, double elapsed)
{
    if (!tty)
        return;
    int width = 30, filled = n ? (int)(width * done / n) : width;
    double eta = done ? elapsed / (double)done * (double)(n - done) : 0;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu  pass %zu  fail %zu  ETA %d:%02d ",
            filled, "==============================", width - filled, "",
            done, n, pass, fail, (int)eta / 60, (int)eta % 60);
    fflush(stderr);
}

static void xml_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fputc(' ', f);
            else
                fputc(*s, f);
        }
    }
}

static void reproduce(char *out, size_t len, const entry_t *e)
{
    snprintf(out, len, "cardsim run %s%s%s --out %s", e->file,
             e->seed[0] ? " --seed " : "", e->seed, e->out);
}

static int write_junit(const char *path, const list_t *l, size_t first,
                       size_t step, double total)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t tests = 0, failures = 0, errors = 0;
    for (size_t i = first; i < l->n; i += step) {
        tests++;
        if (l->e[i].status == CLI_EXIT_FAILED)
            failures++;
        else if (l->e[i].status != CLI_EXIT_OK)
            errors++;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
               "time=\"%.3f\">\n", tests, failures, errors, total);
    fprintf(f, "  <testsuite name=\"cardsim\" tests=\"%zu\" failures=\"%zu\" "
               "errors=\"%zu\" time=\"%.3f\">\n", tests, failures, errors,
            total);
    for (size_t i = first; i < l->n; i += step) {
        const entry_t *e = &l->e[i];
        fprintf(f, "    <testcase classname=\"scenarios\" name=\"");
        xml_escape(f, e->name);
        fprintf(f, "\" file=\"");
        xml_escape(f, e->file);
        fprintf(f, "\" time=\"%.3f\"", e->wall);
        if (e->status == CLI_EXIT_OK) {
            fprintf(f, "/>\n");
            continue;
        }
        char rep[8400];
        reproduce(rep, sizeof rep, e);
        bool failure = e->status == CLI_EXIT_FAILED;
        fprintf(f, ">\n      <%s type=\"%s\" message=\"",
                failure ? "failure" : "error",
                failure ? "expectation" : e->status == CLI_EXIT_BAD_INPUT
                    ? "bad input" : e->status == CLI_EXIT_SIM_ERROR
                    ? "simulation error" : "crash");
        xml_escape(f, e->message[0] ? e->message : "failed");
        fprintf(f, "\">");
        xml_escape(f, e->message);
        fprintf(f, "\nreproduce: ");
        xml_escape(f, rep);
        fprintf(f, "\nexit code %d; outputs in ", e->status);
        xml_escape(f, e->out);
        fprintf(f, "/</%s>\n    </testcase>\n",
                failure ? "failure" : "error");
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return fclose(f) == 0 ? 0 : -1;
}

static int parse_shard(const char *s, long *k, long *n)
{
    char *end;
    errno = 0;
    *k = strtol(s, &end, 10);
    if (errno || end == s || *end != '/')
        return -1;
    const char *p = end + 1;
    *n = strtol(p, &end, 10);
    if (errno || end == p || *end || *n < 1 || *k < 1 || *k > *n)
        return -1;
    return 0;
}

int cmd_suite(int argc, char **argv)
{
    static const struct option opts[] = {
        { "junit", required_argument, NULL, 'u' },
        { "shard", required_argument, NULL, 's' },
        { "out", required_argument, NULL, 'o' },
        { "list", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    const char *junit = NULL, *out = "out/suite";
    long shard_k = 1, shard_n = 1;
    bool list_only = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': {
            char *end;
            jobs = strtol(optarg, &end, 10);
            if (*end || jobs < 1 || jobs > 1024)
                return cli_bad_input("-j %s: expected a number of jobs "
                                     "from 1 to 1024", optarg);
            break;
        }
        case 'u': junit = optarg; break;
        case 'o': out = optarg; break;
        case 'l': list_only = true; break;
        case 's':
            if (parse_shard(optarg, &shard_k, &shard_n) != 0)
                return cli_bad_input("--shard %s: expected K/N with "
                                     "1 <= K <= N", optarg);
            break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage(stderr); return CLI_EXIT_BAD_INPUT;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return CLI_EXIT_BAD_INPUT;
    }
    if (jobs < 1)
        jobs = 1;

    list_t l = { 0 };
    int rc = CLI_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            rc = cli_bad_input("%s: %s", argv[i], strerror(errno));
            goto done;
        }
        if (S_ISDIR(st.st_mode) ? scan_dir(&l, argv[i]) != 0
                                : add_file(&l, argv[i]) != 0) {
            rc = cli_bad_input("%s: cannot read", argv[i]);
            goto done;
        }
    }
    if (l.n == 0) {
        rc = cli_bad_input("no scenario found in the arguments");
        goto done;
    }
    qsort(l.e, l.n, sizeof *l.e, cmp_entry);
    size_t first = (size_t)(shard_k - 1), step = (size_t)shard_n;
    if (list_only) {
        for (size_t i = first; i < l.n; i += step)
            printf("%s\n", l.e[i].file);
        goto done;
    }

    char err[512];
    if (cli_mkdir_p(out, err, sizeof err) != 0) {
        rc = cli_bad_input("%s", err);
        goto done;
    }
    size_t n = 0;
    for (size_t i = first; i < l.n; i += step) {
        entry_t *e = &l.e[i];
        char base[128] = "";
        const char *slash = strrchr(e->file, '/');
        snprintf(base, sizeof base, "%s", slash ? slash + 1 : e->file);
        char *dot = strrchr(base, '.');
        if (dot)
            *dot = '\0';
        snprintf(e->name, sizeof e->name, "%s", base);
        scenario_info(e->file, e->name, sizeof e->name, e->seed,
                      sizeof e->seed);
        /* the output directory: the scenario's name, made unique by the
         * file's position if two files share it */
        snprintf(e->out, sizeof e->out, "%s/%s", out, e->name);
        for (size_t j = first; j < i; j += step)
            if (strcmp(l.e[j].out, e->out) == 0)
                snprintf(e->out, sizeof e->out, "%s/%s-%zu", out, e->name,
                         i);
        n++;
    }

    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        rc = cli_bad_input("cannot find the cardsim executable");
        goto done;
    }
    self[sl] = '\0';

    bool tty = isatty(2);
    double t0 = cli_wall_seconds();
    size_t next = first, running = 0, finished = 0, pass = 0, fail = 0;
    while (finished < n) {
        while (running < (size_t)jobs && next < l.n) {
            entry_t *e = &l.e[next];
            e->t0 = cli_wall_seconds();
            e->pid = start(self, e);
            if (e->pid < 0) {
                e->status = CLI_EXIT_SIM_ERROR;
                snprintf(e->message, sizeof e->message, "fork: %s",
                         strerror(errno));
                e->done = true;
                finished++;
                fail++;
            } else {
                running++;
            }
            next += step;
        }
        int st;
        pid_t pid = wait(&st);
        if (pid < 0)
            break;
        for (size_t i = first; i < l.n; i += step) {
            entry_t *e = &l.e[i];
            if (e->pid != pid || e->done)
                continue;
            e->done = true;
            e->wall = cli_wall_seconds() - e->t0;
            e->status = WIFEXITED(st) ? WEXITSTATUS(st)
                                      : 128 + WTERMSIG(st);
            running--;
            finished++;
            if (e->status == CLI_EXIT_OK) {
                pass++;
            } else {
                fail++;
                read_failure(e);
                if (!e->message[0])
                    read_log(e);
                if (!e->message[0])
                    snprintf(e->message, sizeof e->message,
                             "exit %d (log: %.400s.log)", e->status,
                             e->out);
            }
            break;
        }
        progress(tty, finished, n, pass, fail, cli_wall_seconds() - t0);
    }
    double total = cli_wall_seconds() - t0;
    if (tty)
        fputc('\n', stderr);
    for (size_t i = first; i < l.n; i += step) {
        const entry_t *e = &l.e[i];
        if (e->status == CLI_EXIT_OK)
            continue;
        char rep[8400];
        reproduce(rep, sizeof rep, e);
        printf("FAIL %s: %s\n  reproduce: %s\n", e->name, e->message, rep);
    }
    printf("%zu scenarios: %zu passed, %zu failed (%.1f s wall, %ld at a "
           "time%s)\n", n, pass, fail, total, jobs,
           shard_n > 1 ? ", one shard" : "");
    if (junit && write_junit(junit, &l, first, step, total) != 0) {
        fprintf(stderr, "cardsim: %s: cannot write: %s\n", junit,
                strerror(errno));
        rc = CLI_EXIT_SIM_ERROR;
        goto done;
    }
    rc = fail ? CLI_EXIT_FAILED : CLI_EXIT_OK;
done:
    for (size_t i = 0; i < l.n; i++)
        free(l.e[i].file);
    free(l.e);
    return rc;
}
