/* SPDX-License-Identifier: MIT */
/* tools/flash_inspect.c - the report of `cardsim flash inspect` (see
 * flash_inspect.h), with a read-only HAL under the firmware's decoders. */
#include "tools/flash_inspect.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "cos_image.h"
#include "cos_hal.h"
#include "cos_store.h"
#include "models/flash.h"
#include "regs/se_map.h"
#include "rom_hal.h"
#include "rom_store.h"
#include "sim/sim.h"

/* The image the decoders read (they are firmware: they reach flash only
 * through their HAL). */
static const uint8_t *view;

void rom_hal_flash_read(uint32_t addr, void *buf, uint32_t len)
{
    memcpy(buf, view + (addr - SE_FLASH_BASE), len);
}

int rom_hal_flash_erase_page(uint32_t addr)
{
    (void)addr;
    return -1; /* read-only */
}

int rom_hal_flash_program_word(uint32_t addr, uint32_t value)
{
    (void)addr;
    (void)value;
    return -1;
}

uint32_t cos_hal_flash_read(uint32_t addr)
{
    uint32_t w;
    memcpy(&w, view + (addr - SE_FLASH_BASE), 4);
    return w;
}

int cos_hal_flash_erase(uint32_t addr)
{
    (void)addr;
    return -1;
}

int cos_hal_flash_program(uint32_t addr, uint32_t value)
{
    (void)addr;
    (void)value;
    return -1;
}

static bool report_id(FILE *out, const uint8_t *mem)
{
    cos_id_record_t r;
    memcpy(&r, mem + (SE_FLASH_ID_PAGE - SE_FLASH_BASE), sizeof r);
    static const char *const why[] = {
        "valid", "no record (page erased or magic not \"COSI\")",
        "CRC-32 wrong (a torn record)",
        "address/length outside the image area",
    };
    int e = rom_id_check(&r);
    fprintf(out, "COS identifier (page 0): %s\n",
            e >= 0 && e <= 3 ? why[e] : "invalid");
    if (e != ROM_ID_OK) {
        fprintf(out, "  => the ROM starts its loader (no COS to boot)\n");
        return false;
    }
    uint8_t sha[32];
    mbedtls_sha256_ret(mem + (r.image_addr - SE_FLASH_BASE), r.image_len,
                       sha, 0);
    bool ok = memcmp(sha, r.image_sha256, 32) == 0;
    fprintf(out, "  COS version %" PRIu32 ", image 0x%08" PRIx32 ", %" PRIu32
            " bytes, SHA-256 %s\n", r.version, r.image_addr, r.image_len,
            ok ? "matches" : "DOES NOT match (damaged image)");
    fprintf(out, "  => the ROM %s\n",
            ok ? "boots the COS" : "starts its loader (integrity check fails)");
    return ok;
}

static void report_logs(FILE *out, const uint8_t *mem, bool cos_ok)
{
    rom_log_scan_t s;
    rom_log_scan(SE_FLASH_ROLLBACK_PAGE, &s, NULL, 0);
    fprintf(out, "anti-rollback log (page 1): %" PRIu32 " entries", s.valid);
    if (s.valid)
        fprintf(out, ", floor version %u", s.max);
    fprintf(out, ", %" PRIu32 " torn words\n", s.torn);

    const uint8_t *sess = mem + (SE_FLASH_SESSION_PAGE - SE_FLASH_BASE);
    cos_image_header_t h;
    memcpy(&h, sess, sizeof h);
    if (h.magic == COS_IMAGE_MAGIC) {
        rom_log_scan(SE_FLASH_PROGRESS_PAGE, &s, NULL, 0);
        uint32_t pages = (h.code_len + SE_FLASH_PAGE - 1) / SE_FLASH_PAGE;
        fprintf(out, "loader session (page 2): COS version %" PRIu32 ", %"
                PRIu32 " bytes (%" PRIu32 " pages)\n", h.version, h.code_len,
                pages);
        fprintf(out, "progress log (page 3): %" PRIu32 " of %" PRIu32
                " pages complete, %" PRIu32 " torn words => %s\n", s.valid,
                pages, s.torn,
                cos_ok ? "kept from the committed update"
                : s.valid >= pages ? "all loaded, COMMIT can run"
                                   : "resumable: BEGIN with the same header "
                                     "continues");
    } else {
        fprintf(out, "loader session (page 2): none\n");
    }
}

static void report_cos_data(FILE *out)
{
    cos_store_t st;
    cos_store_init(&st);
    fprintf(out, "COS data (pages 4..11): PIN %u of %u tries left%s; purse "
            "balance %" PRIu32 ", %u transactions; file %s\n",
            cos_store_pin_tries(&st), COS_PIN_TRIES_MAX,
            st.pin.valid ? "" : " (never used)", cos_store_balance(&st),
            cos_store_counter(&st),
            st.file.valid ? "written" : "never written (all zero)");
}

static void report_erases(FILE *out, const flash_t *f)
{
    uint32_t pages = f->n_pages, used = 0, max = 0, at = 0;
    uint64_t total = 0;
    for (uint32_t p = 0; p < pages; p++) {
        uint32_t c = flash_erase_count(f, p);
        total += c;
        used += c > 0;
        if (c > max) {
            max = c;
            at = p;
        }
    }
    fprintf(out, "erase counters: %" PRIu32 " of %" PRIu32 " pages erased at "
            "least once, %" PRIu64 " erases in all", used, pages, total);
    if (max)
        fprintf(out, ", most: page %" PRIu32 " (%" PRIu32 " times)", at, max);
    fputc('\n', out);
}

int flash_inspect(const char *path, FILE *out, char *err, size_t errlen)
{
    sim_t sim;
    sim_node_t node;
    flash_t f;
    sim_init(&sim, 0);
    sim_node_init(&node, &sim, "inspect", NULL);
    flash_cfg_t fc = { .name = "flash", .base = SE_FLASH_BASE,
                       .regs_base = SE_FLASHC_BASE };
    flash_init(&f, &node, NULL, &fc);
    int rc = flash_load_image(&f, path, err, errlen);
    if (rc == 0) {
        view = f.mem;
        fprintf(out, "%s: SE flash, %u KiB in %u pages of %u bytes\n", path,
                (unsigned)(SE_FLASH_SIZE / 1024), f.n_pages,
                (unsigned)SE_FLASH_PAGE);
        bool cos_ok = report_id(out, f.mem);
        report_logs(out, f.mem, cos_ok);
        report_cos_data(out);
        report_erases(out, &f);
        view = NULL;
    }
    flash_cleanup(&f);
    sim_cleanup(&sim);
    return rc;
}
