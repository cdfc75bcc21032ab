/* SPDX-License-Identifier: MIT */
/* tests/fw/test_elf.c - Check tests of the ELF loader (models/elf_load.c)
 * on the built testbed firmware, the symbols.S fixture, and broken files
 * made from them at run time.
 *
 * Usage: test_elf FIRMWARE_BUILD_DIR FIXTURE_BUILD_DIR [TEST_NAME]
 * (meson passes the build directories of firmware/ and tests/fw/). */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/testbed/testbed.h"
#include "models/elf_load.h"

static const char *fw_dir;
static const char *fixture_dir;
static char tmp_dir[256];

static char *path_in(const char *dir, const char *name)
{
    static char buf[4][1024];
    static unsigned next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static void load_ok(elf_image_t *img, const char *path)
{
    char err[256];
    int rc = elf_load(img, path, err, sizeof err);
    ck_assert_msg(rc == 0, "elf_load(%s): %s", path, err);
}

static const elf_symbol_t *must_find(const elf_image_t *img, const char *name)
{
    const elf_symbol_t *s = elf_find_symbol(img, name);
    ck_assert_msg(s != NULL, "no symbol %s in %s", name, img->path);
    return s;
}

/* Reads a little-endian word the image places at run address `addr`. */
static uint32_t word_at(const elf_image_t *img, uint32_t addr)
{
    for (size_t i = 0; i < img->nsegs; i++) {
        const elf_segment_t *s = &img->segs[i];
        if (addr >= s->vaddr && addr + 4 <= s->vaddr + s->memsz) {
            const uint8_t *p = s->data + (addr - s->vaddr);
            return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                   (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        }
    }
    ck_abort_msg("address 0x%08x not in any segment of %s", addr, img->path);
    return 0;
}

static const elf_segment_t *segment_with_vaddr(const elf_image_t *img,
                                               uint32_t vaddr)
{
    for (size_t i = 0; i < img->nsegs; i++) {
        if (img->segs[i].vaddr == vaddr)
            return &img->segs[i];
    }
    return NULL;
}

static void expect_symbolize(const elf_image_t *img, uint32_t pc,
                             const char *want, int want_rc)
{
    char buf[128];
    int rc = elf_symbolize(img, pc, buf, sizeof buf);
    ck_assert_msg(strcmp(buf, want) == 0 && rc == want_rc,
                  "elf_symbolize(0x%08x) = \"%s\" (%d), want \"%s\" (%d)", pc,
                  buf, rc, want, want_rc);
}

/* ---- loading the real firmware ---------------------------------------- */

START_TEST(test_entry_and_vectors)
{
    elf_image_t img;
    load_ok(&img, path_in(fw_dir, "exit_code.elf"));

    const elf_symbol_t *reset = must_find(&img, "Reset_Handler");
    ck_assert_int_eq(reset->kind, ELF_SYM_FUNC);
    ck_assert_uint_eq(reset->addr & 1u, 0);
    ck_assert_uint_eq(img.entry, reset->addr | 1u);   /* Thumb bit kept */

    /* The vector table is at 0: initial SP, then the reset vector. */
    const elf_segment_t *text = segment_with_vaddr(&img, 0);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(text->paddr, 0);
    ck_assert_uint_eq(text->flags, ELF_SEG_R | ELF_SEG_X);
    ck_assert_uint_eq(text->filesz, text->memsz);
    ck_assert_uint_eq(word_at(&img, 0), TESTBED_STACK_TOP);
    ck_assert_uint_eq(word_at(&img, 4), img.entry);
    ck_assert_str_eq(img.path, path_in(fw_dir, "exit_code.elf"));
    elf_free(&img);
}
END_TEST

START_TEST(test_data_and_bss_segments)
{
    elf_image_t img;
    load_ok(&img, path_in(fw_dir, "sort.elf"));

    /* .data runs in RAM, is stored in flash, has no zero fill. */
    const elf_segment_t *data = segment_with_vaddr(&img, TESTBED_RAM_BASE);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_lt(data->paddr, TESTBED_FLASH_SIZE);
    ck_assert_uint_eq(data->filesz, data->memsz);
    ck_assert_uint_eq(data->flags, ELF_SEG_R | ELF_SEG_W);

    const elf_symbol_t *seed = must_find(&img, "rng_state");
    ck_assert_int_eq(seed->kind, ELF_SYM_OBJECT);
    ck_assert_uint_eq(seed->size, 4);
    ck_assert_uint_eq(word_at(&img, seed->addr), 0x12345678u);

    /* .bss: RAM, no file bytes, loaded where it runs, all zero. */
    const elf_symbol_t *a = must_find(&img, "a");
    bool found = false;
    for (size_t i = 0; i < img.nsegs; i++) {
        const elf_segment_t *s = &img.segs[i];
        if (a->addr < s->vaddr || a->addr >= s->vaddr + s->memsz)
            continue;
        found = true;
        ck_assert_uint_eq(s->filesz, 0);
        ck_assert_uint_eq(s->paddr, s->vaddr);
        ck_assert_uint_ge(s->memsz, 2 * 1000 * 4);
        for (uint32_t k = 0; k < s->memsz; k++)
            ck_assert_uint_eq(s->data[k], 0);
    }
    ck_assert(found);
    elf_free(&img);
}
END_TEST

START_TEST(test_main_symbol)
{
    elf_image_t img;
    load_ok(&img, path_in(fw_dir, "exit_code.elf"));

    const elf_symbol_t *m = must_find(&img, "main");
    ck_assert_int_eq(m->kind, ELF_SYM_FUNC);
    ck_assert_uint_gt(m->size, 2);
    ck_assert_uint_eq(m->addr & 1u, 0);
    expect_symbolize(&img, m->addr + 2, "main+0x2", 1);
    expect_symbolize(&img, m->addr, "main+0x0", 1);
    /* between flash and RAM: nothing there */
    expect_symbolize(&img, 0x10000000u, "0x10000000", 0);
    expect_symbolize(&img, 0xFFFFFFFEu, "0xfffffffe", 0);
    ck_assert_ptr_null(elf_find_symbol(&img, "no_such_symbol"));

    /* The symbols come sorted by address. */
    for (size_t i = 1; i < img.nsyms; i++)
        ck_assert_uint_le(img.syms[i - 1].addr, img.syms[i].addr);
    elf_free(&img);
}
END_TEST

START_TEST(test_weak_aliases)
{
    elf_image_t img;
    load_ok(&img, path_in(fw_dir, "exit_code.elf"));

    /* The unused handlers are weak aliases of Default_Handler: the real
     * (global) name is the one printed. */
    const elf_symbol_t *def = must_find(&img, "Default_Handler");
    const elf_symbol_t *nmi = must_find(&img, "NMI_Handler");
    ck_assert_uint_eq(nmi->addr, def->addr);
    ck_assert_int_eq(nmi->bind, STB_WEAK);
    expect_symbolize(&img, nmi->addr + 4, "Default_Handler+0x4", 1);
    elf_free(&img);
}
END_TEST

START_TEST(test_fault_function)
{
    elf_image_t img;
    load_ok(&img, path_in(fw_dir, "fault_udf.elf"));

    const elf_symbol_t *f = must_find(&img, "do_bad_thing");
    ck_assert_int_eq(f->kind, ELF_SYM_FUNC);
    expect_symbolize(&img, f->addr, "do_bad_thing+0x0", 1);
    /* Its first instruction is the UDF (0xDE00 | imm8). */
    ck_assert_uint_eq(word_at(&img, f->addr) & 0xFF00u, 0xDE00u);
    elf_free(&img);
}
END_TEST

START_TEST(test_bench_parameter_in_flash)
{
    elf_image_t img;
    load_ok(&img, path_in(fw_dir, "crc32_bench.elf"));

    /* The bench harness patches this word in the flash image. */
    const elf_symbol_t *n = must_find(&img, "crc32_bench_iterations");
    ck_assert_int_eq(n->kind, ELF_SYM_OBJECT);
    ck_assert_uint_eq(n->size, 4);
    ck_assert_uint_lt(n->addr, TESTBED_FLASH_SIZE);
    ck_assert_uint_eq(word_at(&img, n->addr), 100);
    expect_symbolize(&img, n->addr + 2, "crc32_bench_iterations+0x2", 1);

    const elf_symbol_t *buf = must_find(&img, "buf");
    ck_assert_uint_eq(buf->size, 1024);
    expect_symbolize(&img, buf->addr + 0x3ff, "buf+0x3ff", 1);
    elf_free(&img);
}
END_TEST

START_TEST(test_every_program_loads)
{
    static const char *const names[] = {
        "crc32", "crc32_bench", "sha256", "sha256_bench", "sort", "div",
        "irq_nested", "systick", "fault_udf", "exit_code", "semihost_io",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char file[64];
        snprintf(file, sizeof file, "%s.elf", names[i]);
        elf_image_t img;
        load_ok(&img, path_in(fw_dir, file));
        ck_assert_uint_eq(word_at(&img, 0), TESTBED_STACK_TOP);
        must_find(&img, "main");
        must_find(&img, "HardFault_Handler");
        for (size_t k = 0; k < img.nsegs; k++) {
            const elf_segment_t *s = &img.segs[k];
            bool in_flash = (uint64_t)s->paddr + s->memsz <= TESTBED_FLASH_SIZE;
            bool in_ram = s->paddr >= TESTBED_RAM_BASE &&
                          (uint64_t)s->paddr + s->memsz <=
                              (uint64_t)TESTBED_RAM_BASE + TESTBED_RAM_SIZE;
            ck_assert_msg(in_flash || in_ram, "%s: segment %zu at 0x%08x",
                          file, k, s->paddr);
        }
        elf_free(&img);
    }
}
END_TEST

/* ---- symbolization rules on the hand-written fixture -------------------- */

START_TEST(test_symbolize_rules)
{
    elf_image_t img;
    load_ok(&img, path_in(fixture_dir, "symbols.elf"));

    ck_assert_uint_eq(img.entry, 1);
    ck_assert_uint_eq(must_find(&img, "start")->size, 0);
    /* size 0: up to the next symbol */
    expect_symbolize(&img, 0x00, "start+0x0", 1);
    expect_symbolize(&img, 0x06, "start+0x6", 1);
    expect_symbolize(&img, 0x08, "outer+0x0", 1);
    /* nested function: innermost wins; after it, the outer one again */
    expect_symbolize(&img, 0x0e, "inner+0x2", 1);
    expect_symbolize(&img, 0x10, "outer+0x8", 1);
    /* an object inside a function: the function is named */
    expect_symbolize(&img, 0x14, "outer+0xc", 1);
    ck_assert_int_eq(must_find(&img, "pool")->kind, ELF_SYM_OBJECT);
    /* size 0 at the end: up to the end of its segment, not beyond */
    expect_symbolize(&img, 0x1a, "tail+0x2", 1);
    expect_symbolize(&img, 0x1c, "0x0000001c", 0);
    expect_symbolize(&img, 0x20000004u, "table+0x4", 1);
    expect_symbolize(&img, 0x20000008u, "0x20000008", 0);

    /* Output is truncated to the buffer, always terminated. */
    char small[6];
    ck_assert_int_eq(elf_symbolize(&img, 0x0e, small, sizeof small), 1);
    ck_assert_str_eq(small, "inner");
    ck_assert_int_eq(elf_symbolize(&img, 0x0e, small, 0), 1);
    elf_free(&img);
}
END_TEST

/* ---- broken files ------------------------------------------------------ */

static void make_tmp_dir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/test_elf.XXXXXX",
             base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static void remove_tmp_dir(void)
{
    static const char *const files[] = { "broken.elf", "text.txt",
                                         "empty.elf" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(path_in(tmp_dir, files[i]));
    rmdir(tmp_dir);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
    const char *path = path_in(tmp_dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* ELF32 header offsets (gABI) used to break files on purpose. */
enum {
    EH_CLASS = 4, EH_DATA = 5, EH_TYPE = 16, EH_MACHINE = 18, EH_PHOFF = 28,
    EH_SHOFF = 32, EH_SHNUM = 48, PH_SIZE = 32, PH_FILESZ = 16, PH_MEMSZ = 20,
};

/* Loads `path`, expects failure with "<path>: <want...>" and an empty,
 * freeable image. */
static void expect_error(const char *path, const char *want)
{
    elf_image_t img;
    char err[256];
    int rc = elf_load(&img, path, err, sizeof err);
    ck_assert_msg(rc == -1, "elf_load(%s) succeeded, wanted \"%s\"", path,
                  want);
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s: %s", path, want);
    ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
                  "error \"%s\", wanted it to start with \"%s\"", err, prefix);
    ck_assert_ptr_null(img.segs);
    ck_assert_ptr_null(img.syms);
    ck_assert_uint_eq(img.nsegs, 0);
    elf_free(&img);
}

/* A copy of a real program, changed by `patch`, cut to `len` bytes. */
static const char *broken_copy(const char *program,
                               void (*patch)(uint8_t *, size_t), size_t len)
{
    size_t n;
    uint8_t *buf = read_file(path_in(fw_dir, program), &n);
    if (patch)
        patch(buf, n);
    const char *path = write_file("broken.elf", buf, len && len < n ? len : n);
    free(buf);
    return path;
}

START_TEST(test_error_open)
{
    expect_error(path_in(tmp_dir, "missing.elf"), "cannot open: ");
    expect_error(tmp_dir, "not a regular file");
}
END_TEST

START_TEST(test_error_not_elf)
{
    static const char text[] = "hello, this is not firmware\n";
    expect_error(write_file("text.txt", text, sizeof text - 1),
                 "not an ELF file");
    expect_error(write_file("empty.elf", "", 0), "not an ELF file");
}
END_TEST

START_TEST(test_error_truncated_header)
{
    expect_error(broken_copy("exit_code.elf", NULL, 30),
                 "truncated ELF header");
}
END_TEST

START_TEST(test_error_truncated_phdrs)
{
    /* The 52-byte header is whole, the program headers at 0x34 are not. */
    expect_error(broken_copy("exit_code.elf", NULL, 60),
                 "program headers at offset 0x34 truncated");
}
END_TEST

START_TEST(test_error_truncated_shdrs)
{
    /* GNU ld puts the section headers last: cutting the end loses them. */
    size_t n;
    free(read_file(path_in(fw_dir, "sort.elf"), &n));
    expect_error(broken_copy("sort.elf", NULL, n - 100),
                 "section headers at offset 0x");
}
END_TEST

static void drop_section_headers(uint8_t *buf, size_t len)
{
    (void)len;
    put32(buf + EH_SHOFF, 0);
    put16(buf + EH_SHNUM, 0);
}

START_TEST(test_error_truncated_segment)
{
    /* Without section headers only the segments are left to lose: cut the
     * file inside the first segment's bytes. */
    size_t n;
    uint8_t *buf = read_file(path_in(fw_dir, "sort.elf"), &n);
    uint32_t off = get32(buf + get32(buf + EH_PHOFF) + 4);   /* p_offset */
    free(buf);
    char want[64];
    snprintf(want, sizeof want, "segment 0 at offset 0x%x truncated", off);
    expect_error(broken_copy("sort.elf", drop_section_headers, off + 16),
                 want);
}
END_TEST

static void set_machine_386(uint8_t *buf, size_t len)
{
    (void)len;
    put16(buf + EH_MACHINE, 3);     /* EM_386 */
}

static void set_class_64(uint8_t *buf, size_t len)
{
    (void)len;
    buf[EH_CLASS] = 2;              /* ELFCLASS64 */
}

static void set_big_endian(uint8_t *buf, size_t len)
{
    (void)len;
    buf[EH_DATA] = 2;               /* ELFDATA2MSB */
}

static void set_type_rel(uint8_t *buf, size_t len)
{
    (void)len;
    put16(buf + EH_TYPE, 1);        /* ET_REL */
}

static void set_filesz_over_memsz(uint8_t *buf, size_t len)
{
    (void)len;
    uint8_t *ph = buf + get32(buf + EH_PHOFF);
    put32(ph + PH_FILESZ, get32(ph + PH_MEMSZ) + 1);
}

static void set_huge_memsz(uint8_t *buf, size_t len)
{
    (void)len;
    uint8_t *ph = buf + get32(buf + EH_PHOFF);
    put32(ph + PH_MEMSZ, 0xF0000000u);
}

START_TEST(test_error_wrong_machine)
{
    expect_error(broken_copy("exit_code.elf", set_machine_386, 0),
                 "not ARM (e_machine 3)");
}
END_TEST

START_TEST(test_error_wrong_class_or_order)
{
    expect_error(broken_copy("exit_code.elf", set_class_64, 0),
                 "not 32-bit little-endian");
    expect_error(broken_copy("exit_code.elf", set_big_endian, 0),
                 "not 32-bit little-endian");
}
END_TEST

START_TEST(test_error_not_executable)
{
    expect_error(broken_copy("exit_code.elf", set_type_rel, 0),
                 "not an executable (e_type 1)");
}
END_TEST

START_TEST(test_error_bad_segment_sizes)
{
    expect_error(broken_copy("exit_code.elf", set_filesz_over_memsz, 0),
                 "segment 0: p_filesz 0x");
    expect_error(broken_copy("exit_code.elf", set_huge_memsz, 0),
                 "segment 0: p_memsz 0xf0000000 larger than");
}
END_TEST

START_TEST(test_error_buffer_limits)
{
    const char *path = broken_copy("exit_code.elf", set_machine_386, 0);
    elf_image_t img;
    char err[8];
    memset(err, 'x', sizeof err);
    ck_assert_int_eq(elf_load(&img, path, err, sizeof err), -1);
    ck_assert_uint_eq(strlen(err), sizeof err - 1);
    ck_assert_int_eq(strncmp(err, path, sizeof err - 1), 0);
    /* errlen 0: nothing written, still fails */
    ck_assert_int_eq(elf_load(&img, path, NULL, 0), -1);
    elf_free(&img);
    elf_free(&img);     /* twice is harmless */
}
END_TEST

static Suite *make_elf_load_suite(void)
{
    Suite *s = suite_create("elf_load");

    TCase *tc = tcase_create("firmware");
    tcase_add_test(tc, test_entry_and_vectors);
    tcase_add_test(tc, test_data_and_bss_segments);
    tcase_add_test(tc, test_main_symbol);
    tcase_add_test(tc, test_weak_aliases);
    tcase_add_test(tc, test_fault_function);
    tcase_add_test(tc, test_bench_parameter_in_flash);
    tcase_add_test(tc, test_every_program_loads);
    tcase_add_test(tc, test_symbolize_rules);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, make_tmp_dir, remove_tmp_dir);
    tcase_add_test(tc, test_error_open);
    tcase_add_test(tc, test_error_not_elf);
    tcase_add_test(tc, test_error_truncated_header);
    tcase_add_test(tc, test_error_truncated_phdrs);
    tcase_add_test(tc, test_error_truncated_shdrs);
    tcase_add_test(tc, test_error_truncated_segment);
    tcase_add_test(tc, test_error_wrong_machine);
    tcase_add_test(tc, test_error_wrong_class_or_order);
    tcase_add_test(tc, test_error_not_executable);
    tcase_add_test(tc, test_error_bad_segment_sizes);
    tcase_add_test(tc, test_error_buffer_limits);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s FIRMWARE_BUILD_DIR FIXTURE_BUILD_DIR "
                        "[TEST]\n", argv[0]);
        return 2;
    }
    fw_dir = argv[1];
    fixture_dir = argv[2];

    SRunner *sr = srunner_create(make_elf_load_suite());
    srunner_run(sr, NULL, argc > 3 ? argv[3] : NULL, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
