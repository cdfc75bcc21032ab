/* SPDX-License-Identifier: MIT */
/* tests/test_units.c - exact values and exact messages of sim/units.c. */
#include <stdint.h>
#include <string.h>

#include "sim/units.h"
#include "suites.h"

/* The clocks known to the lookup below. */
static uint64_t lookup(void *ctx, const char *name)
{
    static const struct { const char *name; uint64_t hz; } clocks[] = {
        { "contact", 3571200 }, { "nfc", 13560000 }, { "one", 1 },
        { "thz", 1000000000000ULL },
    };
    (void)ctx;
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++)
        if (strcmp(clocks[i].name, name) == 0)
            return clocks[i].hz;
    return 0;
}

static sim_time_t time_ok(const char *s)
{
    char err[256] = "";
    sim_time_t t = 12345;
    int rc = units_parse_time(s, &t, lookup, NULL, err, sizeof err);
    ck_assert_msg(rc == 0, "\"%s\": %s", s, err);
    return t;
}

static const char *time_err(const char *s, char *err, size_t len)
{
    sim_time_t t = 12345;
    err[0] = '\0';
    ck_assert_int_eq(units_parse_time(s, &t, lookup, NULL, err, len), -1);
    ck_assert_uint_eq(t, 12345);    /* untouched on error */
    return err;
}

static uint64_t freq_ok(const char *s)
{
    char err[256] = "";
    uint64_t hz = 0;
    int rc = units_parse_freq(s, &hz, err, sizeof err);
    ck_assert_msg(rc == 0, "\"%s\": %s", s, err);
    return hz;
}

static const char *freq_err(const char *s, char *err, size_t len)
{
    uint64_t hz = 7;
    err[0] = '\0';
    ck_assert_int_eq(units_parse_freq(s, &hz, err, len), -1);
    ck_assert_uint_eq(hz, 7);
    return err;
}

static const char *hex_err(const char *s, size_t cap, char *err, size_t len)
{
    uint8_t buf[16];
    size_t n = 99;
    err[0] = '\0';
    ck_assert_int_eq(units_parse_hex(s, buf, cap, &n, err, len), -1);
    ck_assert_uint_eq(n, 99);
    return err;
}

START_TEST(time_units_exact)
{
    ck_assert_uint_eq(time_ok("1ps"), 1);
    ck_assert_uint_eq(time_ok("250 ps"), 250);
    ck_assert_uint_eq(time_ok("0.5ns"), 500);
    ck_assert_uint_eq(time_ok("7ns"), 7000);
    ck_assert_uint_eq(time_ok("007ns"), 7000);
    ck_assert_uint_eq(time_ok("10us"), 10000000);
    ck_assert_uint_eq(time_ok("10 us"), 10000000);
    ck_assert_uint_eq(time_ok("1.5us"), 1500000);
    ck_assert_uint_eq(time_ok("3ms"), 3000000000ULL);
    ck_assert_uint_eq(time_ok("2s"), 2000000000000ULL);
    ck_assert_uint_eq(time_ok("0s"), 0);
    ck_assert_uint_eq(time_ok("0.000000000001s"), 1);
    ck_assert_uint_eq(time_ok("123.456789012345s"), 123456789012345ULL);
    /* zeros below 1 ps are harmless */
    ck_assert_uint_eq(time_ok("1.500000000000000000000us"), 1500000);
    ck_assert_uint_eq(time_ok("0000000000000000000000000001ps"), 1);
    /* the largest time there is */
    ck_assert_uint_eq(time_ok("18446744073709551615ps"), UINT64_MAX);
    ck_assert_uint_eq(time_ok("18446744.073709551615s"), UINT64_MAX);
}
END_TEST

START_TEST(time_clock_cycles)
{
    /* floor(N * 10^12 / hz), never a rounded period times N */
    ck_assert_uint_eq(time_ok("372clk@contact"), 104166666);
    ck_assert_uint_eq(time_ok("372 clk@contact"), 104166666);
    ck_assert_uint_eq(time_ok("9600clk@contact"), 2688172043ULL);
    ck_assert_uint_eq(time_ok("1clk@nfc"), 73746);
    ck_assert_uint_eq(time_ok("0clk@nfc"), 0);
    ck_assert_uint_eq(time_ok("18446744073709551615clk@thz"), UINT64_MAX);
    ck_assert_uint_eq(time_ok("18446744clk@one"), 18446744000000000000ULL);
}
END_TEST

START_TEST(time_errors)
{
    char e[256];
    ck_assert_str_eq(time_err("5", e, sizeof e),
        "a time with a unit (ps, ns, us, ms, s) or N clk@CLOCK, got \"5\"");
    ck_assert_str_eq(time_err("100", e, sizeof e),
        "a time with a unit (ps, ns, us, ms, s) or N clk@CLOCK, got \"100\"");
    ck_assert_str_eq(time_err("", e, sizeof e),
        "a time with a unit (ps, ns, us, ms, s) or N clk@CLOCK, got \"\"");
    ck_assert_str_eq(time_err(NULL, e, sizeof e),
        "a time with a unit (ps, ns, us, ms, s) or N clk@CLOCK, got \"\"");
    ck_assert_str_eq(time_err("us", e, sizeof e),
        "a time with a unit (ps, ns, us, ms, s) or N clk@CLOCK, got \"us\"");
    ck_assert_str_eq(time_err(".5us", e, sizeof e),
        "a time with a unit (ps, ns, us, ms, s) or N clk@CLOCK, "
        "got \".5us\"");
    ck_assert_str_eq(time_err("5.us", e, sizeof e),
        "a time with a unit (ps, ns, us, ms, s) or N clk@CLOCK, "
        "got \"5.us\"");
    ck_assert_str_eq(time_err(" 5us", e, sizeof e),
        "a time with a unit (ps, ns, us, ms, s) or N clk@CLOCK, "
        "got \" 5us\"");
    ck_assert_str_eq(time_err("+5us", e, sizeof e),
        "a time with a unit (ps, ns, us, ms, s) or N clk@CLOCK, "
        "got \"+5us\"");
    ck_assert_str_eq(time_err("-5us", e, sizeof e),
        "a non-negative time, got \"-5us\"");
    ck_assert_str_eq(time_err("-0.5 ms", e, sizeof e),
        "a non-negative time, got \"-0.5 ms\"");
    ck_assert_str_eq(time_err("5 sec", e, sizeof e),
        "a time unit (ps, ns, us, ms, s) or clk@CLOCK, got \"sec\" in "
        "\"5 sec\"");
    ck_assert_str_eq(time_err("5US", e, sizeof e),
        "a time unit (ps, ns, us, ms, s) or clk@CLOCK, got \"US\" in "
        "\"5US\"");
    ck_assert_str_eq(time_err("5  us", e, sizeof e),
        "a time unit (ps, ns, us, ms, s) or clk@CLOCK, got \" us\" in "
        "\"5  us\"");
    ck_assert_str_eq(time_err("5us ", e, sizeof e),
        "a time unit (ps, ns, us, ms, s) or clk@CLOCK, got \"us \" in "
        "\"5us \"");
    ck_assert_str_eq(time_err("1e3us", e, sizeof e),
        "a time unit (ps, ns, us, ms, s) or clk@CLOCK, got \"e3us\" in "
        "\"1e3us\"");
}
END_TEST

START_TEST(time_precision_and_range)
{
    char e[256];
    ck_assert_str_eq(time_err("0.000001ps", e, sizeof e),
        "a time in whole picoseconds, got \"0.000001ps\" (finer than 1 ps)");
    ck_assert_str_eq(time_err("1.0005ns", e, sizeof e),
        "a time in whole picoseconds, got \"1.0005ns\" (finer than 1 ps)");
    ck_assert_str_eq(time_err("0.0000000000001s", e, sizeof e),
        "a time in whole picoseconds, got \"0.0000000000001s\" "
        "(finer than 1 ps)");
    ck_assert_str_eq(time_err("18446744073709551616ps", e, sizeof e),
        "a time of at most 18446744073709551615 ps (about 213 days), "
        "got \"18446744073709551616ps\"");
    ck_assert_str_eq(time_err("18446744.073709551616s", e, sizeof e),
        "a time of at most 18446744073709551615 ps (about 213 days), "
        "got \"18446744.073709551616s\"");
    ck_assert_str_eq(time_err("300days", e, sizeof e),
        "a time unit (ps, ns, us, ms, s) or clk@CLOCK, got \"days\" in "
        "\"300days\"");
    ck_assert_str_eq(time_err("99999999999999999999999999999999999999999s",
                              e, sizeof e),
        "a time of at most 18446744073709551615 ps (about 213 days), "
        "got \"99999999999999999999999999999999999999999s\"");
}
END_TEST

START_TEST(time_clock_errors)
{
    char e[256];
    sim_time_t t = 5;
    ck_assert_str_eq(time_err("1.5clk@contact", e, sizeof e),
        "a whole number of cycles before clk@, got \"1.5clk@contact\"");
    ck_assert_str_eq(time_err("5clk@", e, sizeof e),
        "a clock name after clk@, got \"5clk@\"");
    ck_assert_str_eq(time_err("5 clk@a b", e, sizeof e),
        "a clock name of A-Z a-z 0-9 _ . - after clk@, got \"5 clk@a b\"");
    ck_assert_str_eq(time_err("5clk@nope", e, sizeof e),
        "a declared clock, got unknown clock \"nope\" in \"5clk@nope\"");
    ck_assert_str_eq(time_err("clk@nfc", e, sizeof e),
        "a time with a unit (ps, ns, us, ms, s) or N clk@CLOCK, "
        "got \"clk@nfc\"");
    ck_assert_str_eq(time_err("18446745clk@one", e, sizeof e),
        "a time of at most 18446744073709551615 ps (about 213 days), "
        "got \"18446745clk@one\"");
    ck_assert_str_eq(time_err("18446744073709551616clk@thz", e, sizeof e),
        "a cycle count of at most 18446744073709551615, "
        "got \"18446744073709551616clk@thz\"");
    /* without a lookup no clock is known */
    ck_assert_int_eq(units_parse_time("5clk@nfc", &t, NULL, NULL, e,
                                      sizeof e), -1);
    ck_assert_str_eq(e,
        "a declared clock, got unknown clock \"nfc\" in \"5clk@nfc\"");
    ck_assert_uint_eq(t, 5);
}
END_TEST

START_TEST(time_error_buffer)
{
    char small[16];
    sim_time_t t;
    /* a short buffer truncates, never overflows; NULL is allowed */
    ck_assert_int_eq(units_parse_time("5", &t, NULL, NULL, small,
                                      sizeof small), -1);
    ck_assert_str_eq(small, "a time with a u");
    ck_assert_int_eq(units_parse_time("5", &t, NULL, NULL, NULL, 0), -1);
}
END_TEST

START_TEST(freq_exact)
{
    ck_assert_uint_eq(freq_ok("13.56MHz"), 13560000);
    ck_assert_uint_eq(freq_ok("3.5712MHz"), 3571200);
    ck_assert_uint_eq(freq_ok("16 MHz"), 16000000);
    ck_assert_uint_eq(freq_ok("1MHz"), 1000000);
    ck_assert_uint_eq(freq_ok("1Hz"), 1);
    ck_assert_uint_eq(freq_ok("32.768kHz"), 32768);
    ck_assert_uint_eq(freq_ok("2.4GHz"), 2400000000ULL);
    ck_assert_uint_eq(freq_ok("1.000000001GHz"), 1000000001);
    ck_assert_uint_eq(freq_ok("1.5000kHz"), 1500);
    ck_assert_uint_eq(freq_ok("18446744073709551615Hz"), UINT64_MAX);
}
END_TEST

START_TEST(freq_errors)
{
    char e[256];
    ck_assert_str_eq(freq_err("13560000", e, sizeof e),
        "a frequency with a unit (Hz, kHz, MHz, GHz), got \"13560000\"");
    ck_assert_str_eq(freq_err("MHz", e, sizeof e),
        "a frequency with a unit (Hz, kHz, MHz, GHz), got \"MHz\"");
    ck_assert_str_eq(freq_err("13.56mhz", e, sizeof e),
        "a frequency unit (Hz, kHz, MHz, GHz), got \"mhz\" in "
        "\"13.56mhz\"");
    ck_assert_str_eq(freq_err("1.5Hz", e, sizeof e),
        "a frequency in whole hertz, got \"1.5Hz\" (finer than 1 Hz)");
    ck_assert_str_eq(freq_err("3.57121234MHz", e, sizeof e),
        "a frequency in whole hertz, got \"3.57121234MHz\" "
        "(finer than 1 Hz)");
    ck_assert_str_eq(freq_err("0Hz", e, sizeof e),
        "a frequency above 0 Hz, got \"0Hz\"");
    ck_assert_str_eq(freq_err("-1MHz", e, sizeof e),
        "a frequency above 0 Hz, got \"-1MHz\"");
    ck_assert_str_eq(freq_err("18446744073709551616Hz", e, sizeof e),
        "a frequency of at most 18446744073709551615 Hz, "
        "got \"18446744073709551616Hz\"");
    ck_assert_str_eq(freq_err("20000000000GHz", e, sizeof e),
        "a frequency of at most 18446744073709551615 Hz, "
        "got \"20000000000GHz\"");
}
END_TEST

START_TEST(hex_ok)
{
    uint8_t buf[8];
    size_t n = 99;
    char e[256] = "";
    static const uint8_t select[] = { 0x00, 0xA4, 0x04, 0x00 };

    memset(buf, 0xEE, sizeof buf);
    ck_assert_int_eq(units_parse_hex("00 A4 04 00", buf, sizeof buf, &n, e,
                                     sizeof e), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_mem_eq(buf, select, 4);
    ck_assert_uint_eq(buf[4], 0xEE);

    memset(buf, 0xEE, sizeof buf);
    ck_assert_int_eq(units_parse_hex("00a40400", buf, sizeof buf, &n, e,
                                     sizeof e), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_mem_eq(buf, select, 4);

    ck_assert_int_eq(units_parse_hex("00A4 0400", buf, sizeof buf, &n, e,
                                     sizeof e), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_mem_eq(buf, select, 4);

    ck_assert_int_eq(units_parse_hex("fF", buf, sizeof buf, &n, e, sizeof e),
                     0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(buf[0], 0xFF);

    ck_assert_int_eq(units_parse_hex("", buf, sizeof buf, &n, e, sizeof e),
                     0);
    ck_assert_uint_eq(n, 0);

    /* exactly cap bytes fit */
    ck_assert_int_eq(units_parse_hex("01 02", buf, 2, &n, e, sizeof e), 0);
    ck_assert_uint_eq(n, 2);

    /* NULL buffer: check and count only */
    ck_assert_int_eq(units_parse_hex("01 02 03", NULL, SIZE_MAX, &n, e,
                                     sizeof e), 0);
    ck_assert_uint_eq(n, 3);
}
END_TEST

START_TEST(hex_errors)
{
    char e[256];
    uint8_t buf[4];
    size_t n = 99;

    ck_assert_str_eq(hex_err("0", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\" (two digits each), got a lone "
        "digit at byte offset 0 of \"0\"");
    ck_assert_str_eq(hex_err("00 A", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\" (two digits each), got a lone "
        "digit at byte offset 1 of \"00 A\"");
    ck_assert_str_eq(hex_err("A40", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\" (two digits each), got a lone "
        "digit at byte offset 1 of \"A40\"");
    ck_assert_str_eq(hex_err("0 A4", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\" (two digits each), got a lone "
        "digit at byte offset 0 of \"0 A4\"");
    ck_assert_str_eq(hex_err("00 A4 G4", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\", got 'G' at byte offset 2 of "
        "\"00 A4 G4\"");
    ck_assert_str_eq(hex_err("0G", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\", got 'G' at byte offset 0 of "
        "\"0G\"");
    ck_assert_str_eq(hex_err("00-01", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\", got '-' at byte offset 1 of "
        "\"00-01\"");
    ck_assert_str_eq(hex_err("0x00", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\", got 'x' at byte offset 0 of "
        "\"0x00\"");
    ck_assert_str_eq(hex_err(" 00", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\", got a misplaced space at byte "
        "offset 0 of \" 00\"");
    ck_assert_str_eq(hex_err("00  A4", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\", got a misplaced space at byte "
        "offset 1 of \"00  A4\"");
    ck_assert_str_eq(hex_err("00 ", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\", got a misplaced space at byte "
        "offset 1 of \"00 \"");
    ck_assert_str_eq(hex_err("00\t01", 16, e, sizeof e),
        "hex bytes such as \"00 A4 04 00\", got byte 0x09 at byte offset 1 "
        "of \"00\\t01\"");
    ck_assert_str_eq(hex_err("01 02 03 04 05 06", 4, e, sizeof e),
        "at most 4 hex bytes, got 6 (bytes from offset 4 do not fit)");

    /* the bytes that do not fit are never written */
    memset(buf, 0xEE, sizeof buf);
    ck_assert_int_eq(units_parse_hex("01 02 03", buf, 2, &n, e, sizeof e),
                     -1);
    ck_assert_uint_eq(buf[2], 0xEE);
    ck_assert_uint_eq(n, 99);
    ck_assert_str_eq(e,
        "at most 2 hex bytes, got 3 (bytes from offset 2 do not fit)");
}
END_TEST

START_TEST(quote)
{
    char q[UNITS_QUOTE_LEN];
    char long_s[101], want[80];

    ck_assert_str_eq(units_quote(q, sizeof q, "abc"), "\"abc\"");
    ck_assert_str_eq(units_quote(q, sizeof q, NULL), "\"\"");
    ck_assert_str_eq(units_quote(q, sizeof q, "a\"b\\c\nd\te\x01"),
                     "\"a\\\"b\\\\c\\nd\\te\\x01\"");
    memset(long_s, 'x', 100);
    long_s[100] = '\0';
    memset(want, 'x', sizeof want);
    want[0] = '"';
    memcpy(want + 61, "\"...", 5);
    ck_assert_str_eq(units_quote(q, sizeof q, long_s), want);
    /* a UTF-8 character is never cut in two */
    memset(long_s, 'y', 59);
    strcpy(long_s + 59, "\xC3\xA9z");
    memset(want, 'y', sizeof want);
    want[0] = '"';
    memcpy(want + 60, "\"...", 5);
    ck_assert_str_eq(units_quote(q, sizeof q, long_s), want);
    /* UTF-8 within the limit stays as it is */
    ck_assert_str_eq(units_quote(q, sizeof q, "caf\xC3\xA9"),
                     "\"caf\xC3\xA9\"");
    /* a tiny buffer stays terminated */
    ck_assert_str_eq(units_quote(q, 8, "abcdefgh"), "\"ab\"...");
}
END_TEST

Suite *make_units_suite(void)
{
    Suite *s = suite_create("units");
    TCase *tc = tcase_create("units");
    tcase_add_test(tc, time_units_exact);
    tcase_add_test(tc, time_clock_cycles);
    tcase_add_test(tc, time_errors);
    tcase_add_test(tc, time_precision_and_range);
    tcase_add_test(tc, time_clock_errors);
    tcase_add_test(tc, time_error_buffer);
    tcase_add_test(tc, freq_exact);
    tcase_add_test(tc, freq_errors);
    tcase_add_test(tc, hex_ok);
    tcase_add_test(tc, hex_errors);
    tcase_add_test(tc, quote);
    suite_add_tcase(s, tc);
    return s;
}
