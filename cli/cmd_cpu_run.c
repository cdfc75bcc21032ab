/* SPDX-License-Identifier: MIT */
/* cli/cmd_cpu_run.c - `cardsim cpu-run FILE.elf`: runs a program on the bare
 * test machine (cli/testbed.h) - the quick way for firmware developers to
 * run code, and the CPU's test bed.
 *
 * The program's semihosting output goes to stdout/stderr; on exit a line
 * "cycles=N instructions=M" goes to stderr. Exit status: the program's exit
 * code; 3 if the core locked up, slept with nothing to wake it, or ran out
 * of --max-cycles; 2 for bad input. A fault is reported on stderr (kind,
 * registers, function+offset) when it is raised; the firmware's HardFault
 * handler then runs as it would on silicon. --trace prints every
 * instruction (capstone) with the cycles it took, on stderr. */
#include <capstone/capstone.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/testbed.h"
#include "sim/units.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: cardsim cpu-run FILE.elf [--max-cycles N] [--trace] "
        "[--clock FREQ] [--flash-ws N]\n"
        "  one Cortex-M0, 1 MiB flash at 0x00000000, 256 KiB RAM at "
        "0x20000000, semihosting\n"
        "  --max-cycles N  stop after N cycles (exit 3)\n"
        "  --trace         print each instruction, disassembled, with its "
        "cycles (stderr)\n"
        "  --clock FREQ    core clock, e.g. 16MHz (default; SYS_CLOCK uses "
        "it)\n"
        "  --flash-ws N    flash wait states (default 0)\n");
}

/* One traced step: "cycle  pc  function+off  insn  +cycles". */
static void trace_step(testbed_t *tb, csh cs)
{
    cpu_t *cpu = &tb->cpu;
    uint32_t pc = cpu_reg(cpu, 15);
    uint64_t before = cpu_cycles(cpu), insns = cpu_instructions(cpu);
    uint8_t code[4] = { 0 };
    cpu_read_mem(cpu, pc, code, 4);
    char where[160];
    elf_symbolize(&tb->elf, pc, where, sizeof where);
    unsigned took = cpu_step(cpu);
    if (cpu_instructions(cpu) == insns) {
        if (took)
            fprintf(stderr, "%10" PRIu64 "  %08" PRIx32 "  %-28s  "
                    "<exception entry>  +%u\n", before, pc, where, took);
        return;
    }
    cs_insn *insn;
    size_t n = cs_disasm(cs, code, sizeof code, pc, 1, &insn);
    fprintf(stderr, "%10" PRIu64 "  %08" PRIx32 "  %-28s  %-8s %-24s +%u\n",
            before, pc, where, n ? insn[0].mnemonic : "?",
            n ? insn[0].op_str : "", took);
    if (n)
        cs_free(insn, n);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static void run_traced(testbed_t *tb, uint64_t max_cycles, csh cs)
{
    cpu_t *cpu = &tb->cpu;
    while (!tb->exited && cpu_state(cpu) != CPU_LOCKUP &&
           cpu_state(cpu) != CPU_HALTED && cpu_cycles(cpu) < max_cycles &&
           !testbed_deadlocked(tb)) {
        if (cpu_state(cpu) == CPU_SLEEPING)
            cpu_run_cycles(cpu, 1);
        else
            trace_step(tb, cs);
    }
}

int cmd_cpu_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "max-cycles", required_argument, NULL, 'm' },
        { "trace", no_argument, NULL, 't' },
        { "clock", required_argument, NULL, 'c' },
        { "flash-ws", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t max_cycles = UINT64_MAX, ws = 0;
    testbed_cfg_t cfg = { .hz = 16000000, .out = stdout, .err = stderr,
                          .report_faults = true };
    bool trace = false;
    char err[1024];
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "m:tc:w:h", opts, NULL)) != -1) {
        switch (o) {
        case 'm':
            if (parse_u64(optarg, &max_cycles) != 0)
                return cli_bad_input("cpu-run: --max-cycles: expected an "
                                     "integer, got \"%s\"", optarg);
            break;
        case 't': trace = true; break;
        case 'c':
            if (units_parse_freq(optarg, &cfg.hz, err, sizeof err) != 0)
                return cli_bad_input("cpu-run: --clock: %s", err);
            break;
        case 'w':
            if (parse_u64(optarg, &ws) != 0 || ws > 15)
                return cli_bad_input("cpu-run: --flash-ws: expected 0..15, "
                                     "got \"%s\"", optarg);
            cfg.flash_ws = (unsigned)ws;
            break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default:
            usage(stderr);
            return cli_bad_input("cpu-run: unknown or incomplete option '%s'",
                                 argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return cli_bad_input("cpu-run: expected exactly one ELF file");
    }
    testbed_t *tb = testbed_new(argv[optind], &cfg, err, sizeof err);
    if (!tb)
        return cli_bad_input("%s", err);

    csh cs = 0;
    if (trace) {
        if (cs_open(CS_ARCH_ARM, CS_MODE_THUMB | CS_MODE_MCLASS, &cs) !=
            CS_ERR_OK) {
            fprintf(stderr, "cardsim: cpu-run: capstone failed to open\n");
            testbed_free(tb);
            return CLI_EXIT_SIM_ERROR;
        }
        run_traced(tb, max_cycles, cs);
        cs_close(&cs);
    } else {
        testbed_run(tb, max_cycles);
    }
    fflush(stdout);
    fprintf(stderr, "cycles=%" PRIu64 " instructions=%" PRIu64 "\n",
            cpu_cycles(&tb->cpu), cpu_instructions(&tb->cpu));
    int rc = CLI_EXIT_SIM_ERROR;
    if (tb->exited)
        rc = tb->exit_code;
    else if (testbed_deadlocked(tb))
        fprintf(stderr, "cardsim: cpu-run: core asleep with nothing to wake "
                        "it (pc=0x%08" PRIx32 ")\n", cpu_reg(&tb->cpu, 15));
    else if (cpu_cycles(&tb->cpu) >= max_cycles)
        fprintf(stderr, "cardsim: cpu-run: stopped after %" PRIu64
                        " cycles (--max-cycles) without exiting\n",
                cpu_cycles(&tb->cpu));
    /* a lockup was reported by the fault handler */
    testbed_free(tb);
    return rc;
}
