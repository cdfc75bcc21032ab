/* SPDX-License-Identifier: MIT */
/* tests/se_cos/test_cos_tear.c - power cuts during UPDATE BINARY, VERIFY
 * and the purse: a cut at every flash operation of the command, in eight
 * ways (before it, after it, random partial bit changes at three rates,
 * all but one bit, one bit), then a reboot from the flash as the cut left
 * it. The state read back must be exactly the one of the last record
 * whose commit word was complete (docs/se-cos.md): old or new file, old
 * or new balance and counter, a PIN counter never above what it was
 * (except for the reset of a right PIN, after its decrement); and the
 * same command must then work (never a program onto a programmed word).
 * A random run with cuts at random places does the same over thousands of
 * commands, pages wrapping around and cuts in a row. */
#include <stdio.h>
#include <string.h>

#include "cos_store.h"
#include "cos_util.h"
#include "se_cos_suites.h"

static const struct {
    fake_cut_mode_t mode;
    double p;
    uint64_t seed;
} modes[] = {
    { FAKE_CUT_BEFORE, 0, 1 },
    { FAKE_CUT_AFTER, 0, 1 },
    { FAKE_CUT_RANDOM, 0.5, 0x9E3779B97F4A7C15ull },
    { FAKE_CUT_RANDOM, 0.5, 12345 },
    { FAKE_CUT_RANDOM, 0.1, 777 },
    { FAKE_CUT_RANDOM, 0.9, 4242 },
    { FAKE_CUT_ALL_BUT_ONE, 0, 1 },
    { FAKE_CUT_ONE, 0, 1 },
};
#define NMODES (sizeof modes / sizeof modes[0])

/* The program of a journal record's last word: what makes it count. */
static bool is_commit(const fake_op_rec_t *r)
{
    static const struct { uint32_t base; unsigned words; } j[] = {
        { COS_STORE_PIN_BASE, 6 },
        { COS_STORE_PURSE_BASE, 8 },
        { COS_STORE_FLOG_BASE, 8 },
    };
    if (r->op != FAKE_OP_PROGRAM)
        return false;
    for (unsigned i = 0; i < 3; i++) {
        if (r->addr < j[i].base || r->addr >= j[i].base + 2 * SE_FLASH_PAGE)
            continue;
        uint32_t off = (r->addr - j[i].base) % SE_FLASH_PAGE;
        uint32_t rec = j[i].words * 4;
        if (off / rec >= SE_FLASH_PAGE / rec)
            return false;
        return (off % rec) / 4 == j[i].words - 1;
    }
    return false;
}

/* ck_assert in a hot loop costs a message to Check's parent process each
 * time (fork mode): check quietly, report only a failure. */
#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond))                                                         \
            ck_abort_msg(__VA_ARGS__);                                       \
    } while (0)

static uint8_t snap[FAKE_FLASH_SIZE];

/* Runs cmd with a cut armed; true if the cut struck (the COS is then left
 * mid-command, as after a power loss). setjmp lives here so that no
 * caller's locals are at risk from the longjmp. */
static bool run_cut(const char *cmd)
{
    if (setjmp(fake_cut_env) == 0) {
        tu_tx(cmd);
        fake.cut_at = -1;
        return false;
    }
    return true;
}
static fake_op_rec_t dry_log[FAKE_LOG_MAX];

/* Tears `cmd` at each of its operations in each way. states[c] is the
 * state once c records have committed (nstates - 1 commits in all). */
static void tear_sweep(uint32_t version, const char *cmd, const char *ok_sw,
                       const tu_state_t *states, unsigned nstates)
{
    memcpy(snap, fake.flash, sizeof snap);
    tu_state_t st;
    tu_reboot(version);
    fake.ops = 0;
    fake.nlog = 0;
    tu_tx(cmd);
    char sw[8];
    snprintf(sw, sizeof sw, "%04X", tu_sw());
    ck_assert_str_eq(sw, ok_sw);
    long n = fake.ops;
    ck_assert_int_lt(n, FAKE_LOG_MAX);
    memcpy(dry_log, fake.log, sizeof dry_log[0] * (size_t)n);
    unsigned commits = 0;
    for (long i = 0; i < n; i++)
        commits += is_commit(&dry_log[i]);
    ck_assert_uint_eq(commits, nstates - 1);
    tu_probe(&st);
    tu_state_eq(&st, &states[nstates - 1], "uncut");

    for (long k = 0; k < n; k++) {
        for (unsigned m = 0; m < NMODES; m++) {
            char what[96];
            snprintf(what, sizeof what, "%s: cut at op %ld/%ld mode %u", cmd,
                     k, n, m);
            memcpy(fake.flash, snap, sizeof snap);
            tu_reboot(version);
            fake.ops = 0;
            fake.nlog = 0;
            fake.unerased = 0;
            fake.cut_happened = false;
            fake_cut(k, modes[m].mode, modes[m].p, modes[m].seed + (uint64_t)k);
            CHECK(run_cut(cmd) && fake.cut_happened,
                  "%s: the command was not cut", what);
            CHECK(fake.log[k].op == dry_log[k].op &&
                      fake.log[k].addr == dry_log[k].addr,
                  "%s: not the operation of the uncut run", what);
            unsigned c = 0;
            for (long i = 0; i < k; i++)
                c += is_commit(&dry_log[i]);
            /* the cut op counts if it completed (AFTER, or a random tear
             * that happened to change every bit) */
            if (is_commit(&dry_log[k]) &&
                (modes[m].mode == FAKE_CUT_AFTER ||
                 fake_word(dry_log[k].addr) == dry_log[k].value))
                c++;
            tu_reboot(version);
            tu_probe(&st);
            tu_state_eq(&st, &states[c], what);
            CHECK(fake.unerased == 0, "%s: unerased program", what);
            /* the card goes on working from there */
            tu_tx(cmd);
            CHECK(tu_sw() != 0x6581, "%s: then %04X", what, tu_sw());
            CHECK(fake.unerased == 0 && fake.bad_access == 0,
                  "%s: unerased program or bad address", what);
        }
    }
    memcpy(fake.flash, snap, sizeof snap);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static void update_cmd(char *out, unsigned off, const uint8_t *d, size_t n)
{
    sprintf(out, "00D6%04X%02X%s", off, (unsigned)n, tu_hex(d, n));
}

/* UPDATE BINARY of 200 bytes at 0x123 after `history` earlier updates
 * (64: the journal page it writes to is full and is erased first). */
static void tear_update(unsigned history)
{
    tu_fresh(1);
    uint8_t d[255];
    char cmd[600];
    for (unsigned h = 0; h < history; h++) {
        fill(d, 64, h);
        update_cmd(cmd, (h * 61) % (COS_FILE_SIZE - 64), d, 64);
        TU_EXPECT(cmd, "9000");
    }
    tu_state_t s[2];
    tu_probe(&s[0]);
    fill(d, 200, 0xC0FFEE);
    update_cmd(cmd, 0x123, d, 200);
    s[1] = s[0];
    memcpy(s[1].file + 0x123, d, 200);
    tear_sweep(1, cmd, "9000", s, 2);
}

START_TEST(tear_update_binary)
{
    tear_update(0);
    tear_update(1);
}
END_TEST

START_TEST(tear_update_binary_journal_erase)
{
    tear_update(64);
}
END_TEST

/* DEBIT / CREDIT: old or new balance and counter, nothing else. */
static void tear_purse(unsigned history, const char *cmd, uint32_t delta,
                       bool debit)
{
    tu_fresh(2);
    TU_EXPECT("8030000004 00010000", "9000");
    for (unsigned h = 1; h < history; h++)
        TU_EXPECT("8032000004 00000003", "9000");
    tu_state_t s[2];
    tu_probe(&s[0]);
    s[1] = s[0];
    s[1].balance = debit ? s[0].balance - delta : s[0].balance + delta;
    s[1].counter = (uint16_t)(s[0].counter + 1);
    tear_sweep(2, cmd, "9000", s, 2);
}

START_TEST(tear_debit)
{
    tear_purse(1, "8032000004 00001234", 0x1234, true);
    tear_purse(2, "8032000004 00001234", 0x1234, true);
    tear_purse(64, "8032000004 00001234", 0x1234, true);  /* page erase */
    tear_purse(65, "8032000004 00000001", 1, true);
}
END_TEST

START_TEST(tear_credit)
{
    tear_purse(1, "8030000004 FFFE0000", 0xFFFE0000u, false);
    tear_purse(64, "8030000004 00000005", 5, false);
}
END_TEST

/* VERIFY. `wrongs` wrong attempts first (right ones in between to move
 * the journal on), then the torn one. */
static void tear_verify(unsigned records, unsigned wrongs, bool right)
{
    tu_fresh(1);
    /* `records` PIN records, leaving tries 3: right PINs (2 records each),
     * plus one wrong + right (3) when odd */
    unsigned r = records;
    if (r % 2) {
        TU_EXPECT("0020000104 30303030", "63C2");
        TU_EXPECT("0020000104 31323334", "9000");
        r -= 3;
    }
    for (; r; r -= 2)
        TU_EXPECT("0020000104 31323334", "9000");
    for (unsigned w = 0; w < wrongs; w++)
        TU_EXPECT("0020000104 39393939", w == 0 ? "63C2" : w == 1 ? "63C1"
                                                                  : "63C0");
    tu_state_t s[3];
    tu_probe(&s[0]);
    ck_assert_uint_eq(s[0].tries, 3 - wrongs);
    s[1] = s[0];
    s[1].tries = s[0].tries - 1;
    if (right) {
        s[2] = s[0];
        s[2].tries = 3;
        tear_sweep(1, "0020000104 31323334", "9000", s, 3);
    } else {
        char sw[8];
        snprintf(sw, sizeof sw, "63C%u", s[1].tries);
        tear_sweep(1, "0020000104 35353535", sw, s, 2);
    }
}

START_TEST(tear_verify_wrong)
{
    tear_verify(0, 0, false);
    tear_verify(0, 2, false);  /* the last try */
    tear_verify(83, 0, false); /* record 84: the last slot of page 1 */
    tear_verify(84, 0, false); /* record 85 erases page 0 first */
}
END_TEST

START_TEST(tear_verify_right)
{
    tear_verify(0, 0, true);
    tear_verify(0, 1, true);
    tear_verify(0, 2, true);
    tear_verify(83, 0, true);  /* the reset (record 85) erases page 0 */
    tear_verify(84, 0, true);  /* both records erase a page first */
}
END_TEST

/* Thousands of random commands, a third of them cut at a random operation
 * in a random way, against a model of the state. */
typedef struct chaos {
    uint64_t s;
} chaos_t;

static uint32_t rnd(chaos_t *c, uint32_t n)
{
    c->s ^= c->s << 13;
    c->s ^= c->s >> 7;
    c->s ^= c->s << 17;
    return (uint32_t)((c->s >> 11) % n);
}

START_TEST(tear_random)
{
    chaos_t ch = { 0x5EED5EED5EEDull + (uint64_t)_i };
    tu_fresh(2);
    tu_state_t model, mid, after, st;
    tu_probe(&model);
    unsigned cuts = 0, blocked = 0;
    for (unsigned it = 0; it < 1500; it++) {
        char cmd[600], what[80];
        uint8_t d[255];
        after = model;
        mid = model;
        bool has_mid = false;
        const char *want = "9000";
        char want_buf[8];
        unsigned kind = rnd(&ch, 6);
        if (kind <= 1) {  /* UPDATE */
            unsigned n = 1 + rnd(&ch, 255);
            unsigned off = rnd(&ch, COS_FILE_SIZE - n + 1);
            fill(d, n, (uint32_t)it);
            update_cmd(cmd, off, d, n);
            memcpy(after.file + off, d, n);
        } else if (kind == 2) {  /* CREDIT */
            uint32_t a = 1 + rnd(&ch, 1000);
            sprintf(cmd, "8030000004%08X", a);
            after.balance += a;
            after.counter++;
        } else if (kind == 3) {  /* DEBIT */
            uint32_t a = 1 + rnd(&ch, 1500);
            sprintf(cmd, "8032000004%08X", a);
            if (a > model.balance) {
                want = "6985";
            } else {
                after.balance -= a;
                after.counter++;
            }
        } else {  /* VERIFY, right 3 times in 4 */
            bool right = rnd(&ch, 4) != 0;
            if (model.tries == 0) {
                /* re-personalise: both PIN pages erased */
                memset(fake_at(COS_STORE_PIN_BASE), 0xFF, 2 * SE_FLASH_PAGE);
                tu_reboot(2);
                model.tries = after.tries = mid.tries = 3;
                blocked++;
            }
            sprintf(cmd, "0020000104%s", right ? "31323334" : "30303030");
            mid.tries = model.tries - 1;
            has_mid = right;
            after.tries = right ? 3 : model.tries - 1;
            if (!right) {
                snprintf(want_buf, sizeof want_buf, "63C%u", after.tries);
                want = want_buf;
            }
        }
        snprintf(what, sizeof what, "iteration %u: %.24s", it, cmd);
        bool cut = rnd(&ch, 3) == 0;
        fake.ops = 0;
        fake.cut_happened = false;
        if (cut) {  /* an UPDATE has ~265 operations, the rest ~6..20 */
            unsigned m = rnd(&ch, NMODES);
            fake_cut((long)rnd(&ch, kind <= 1 ? 270 : 20), modes[m].mode,
                     modes[m].p, modes[m].seed + it);
        }
        if (!run_cut(cmd)) {
            char sw[8];
            snprintf(sw, sizeof sw, "%04X", tu_sw());
            CHECK(strcmp(sw, want) == 0, "%s: %s, expected %s", what, sw,
                  want);
        }
        if (fake.cut_happened) {
            cuts++;
            tu_reboot(2);
        }
        tu_probe(&st);
        if (memcmp(&st, &after, sizeof st) == 0)
            model = after;
        else if (has_mid && fake.cut_happened &&
                 memcmp(&st, &mid, sizeof st) == 0)
            model = mid;
        else
            tu_state_eq(&st, &model, what);
        CHECK(fake.cut_happened || memcmp(&model, &after, sizeof model) == 0,
              "%s: uncut but not applied", what);
        CHECK(fake.unerased == 0 && fake.bad_access == 0,
              "%s: unerased program or bad address", what);
    }
    ck_assert_uint_gt(cuts, 250);
    ck_assert_uint_gt(fake.erases, 100);
    (void)blocked;
}
END_TEST

Suite *make_cos_tear_suite(void)
{
    Suite *s = suite_create("cos_tear");
    TCase *tc = tcase_create("tear");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, tear_update_binary);
    tcase_add_test(tc, tear_update_binary_journal_erase);
    tcase_add_test(tc, tear_debit);
    tcase_add_test(tc, tear_credit);
    tcase_add_test(tc, tear_verify_wrong);
    tcase_add_test(tc, tear_verify_right);
    tcase_add_loop_test(tc, tear_random, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
