/* SPDX-License-Identifier: MIT */
/* tools/cos_sign.c - cos-sign: turns a COS ELF into a signed COS image
 * (docs/se.md "COS image and signing"), checks signed images, writes
 * deliberately broken ones for negative scenarios, and (re)generates the
 * test-only issuer key pair.
 *
 *   cos-sign --key PRIV.pem --version N --out IMAGE.bin
 *            [--corrupt signature|hash|magic|code] COS.elf
 *   cos-sign --verify --pub PUB.pem IMAGE.bin
 *   cos-sign genkey DIR
 *
 * Exit status: 0 done / image valid; 1 image invalid (--verify); 2 bad
 * usage or input (unreadable file, bad key, ELF outside the image area).
 *
 * Reference: FIPS 180-4, FIPS 186-4, SEC 1 v2 4.1, RFC 6979 (see
 * tools/cos_image_host.h). Notes: signatures are deterministic, so one ELF,
 * version and key always give the same image bytes; --corrupt images are
 * for negative tests only (docs/crypto.md lists what each breaks). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cos_image_host.h"

enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_BAD_INPUT = 2 };

static void usage(FILE *f)
{
    fputs("usage: cos-sign --key PRIV.pem --version N --out IMAGE.bin\n"
          "                [--corrupt signature|hash|magic|code] COS.elf\n"
          "       cos-sign --verify --pub PUB.pem IMAGE.bin\n"
          "       cos-sign genkey DIR\n"
          "Signs a COS ELF into a signed COS image (docs/crypto.md).\n"
          "--corrupt writes a deliberately broken image for negative "
          "tests:\n"
          "  signature  one bit of the signature flipped\n"
          "  hash       header's code hash wrong (header signed after it)\n"
          "  magic      wrong magic (signed)\n"
          "  code       one code bit flipped after signing\n"
          "genkey writes the TEST-ONLY issuer key pair (fixed seed) into "
          "DIR.\n"
          "Exit: 0 ok/valid, 1 invalid image, 2 bad usage or input.\n",
          f);
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", p[i]);
}

static const char *mark(bool ok)
{
    return ok ? "ok" : "BAD";
}

static int do_verify(const char *pub_path, const char *img_path)
{
    char err[512];
    uint8_t pub[64];
    if (cos_image_host_load_public(pub, pub_path, err, sizeof err) != 0) {
        fprintf(stderr, "cos-sign: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    uint8_t *img;
    size_t len;
    if (cos_image_host_read_file(img_path, &img, &len, err, sizeof err) != 0) {
        fprintf(stderr, "cos-sign: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    if (len < COS_IMAGE_HEADER_LEN) {
        fprintf(stderr,
                "cos-sign: %s: %zu bytes, shorter than the %u-byte header\n",
                img_path, len, COS_IMAGE_HEADER_LEN);
        free(img);
        return EXIT_BAD_INPUT;
    }
    cos_image_host_check_t c;
    bool ok = cos_image_host_verify(img, len, pub, &c);
    const cos_image_header_t *h = &c.hdr;
    printf("%s: %zu bytes\n", img_path, len);
    printf("  magic      0x%08x          %s\n", h->magic, mark(c.magic_ok));
    printf("  format     %-10u          %s\n", h->format, mark(c.format_ok));
    printf("  version    %u\n", h->version);
    printf("  load addr  0x%08x          %s\n", h->load_addr, mark(c.addr_ok));
    printf("  code len   %-10u          %s (file has %zu code bytes)\n",
           h->code_len, mark(c.len_ok), len - COS_IMAGE_HEADER_LEN);
    printf("  code hash  ");
    hex(stdout, h->code_sha256, 32);
    printf(" %s\n", c.len_ok ? mark(c.hash_ok) : "not checked");
    printf("  sig r      ");
    hex(stdout, h->signature, 32);
    printf("\n  sig s      ");
    hex(stdout, h->signature + 32, 32);
    printf(" %s\n", mark(c.sig_ok));
    printf("%s: %s\n", img_path, ok ? "valid" : "INVALID");
    free(img);
    return ok ? EXIT_OK : EXIT_INVALID;
}

static int do_sign(const char *key_path, uint32_t version,
                   const char *out_path, cos_image_host_corrupt_t corrupt,
                   const char *elf_path)
{
    char err[1024];
    mbedtls_pk_context pk;
    uint8_t *code = NULL, *img = NULL;
    size_t code_len = 0, img_len = 0;
    int rc = EXIT_BAD_INPUT;
    if (cos_image_host_load_private(&pk, key_path, err, sizeof err) != 0 ||
        cos_image_host_code_from_elf(elf_path, &code, &code_len, err,
                                     sizeof err) != 0)
        goto out;
    if (cos_image_host_build(&pk, version, code, code_len, corrupt, &img,
                             &img_len, err, sizeof err) != 0) {
        /* name the input the problem came from */
        fprintf(stderr, "cos-sign: %s: %s\n", elf_path, err);
        rc = EXIT_BAD_INPUT;
        goto done;
    }
    if (cos_image_host_write_file(out_path, img, img_len, err, sizeof err) !=
        0)
        goto out;
    rc = EXIT_OK;
    printf("%s: COS version %u, code %zu bytes%s%s\n", out_path, version,
           code_len, corrupt ? ", CORRUPTED for tests: " : "",
           corrupt ? cos_image_host_corrupt_name(corrupt) : "");
out:
    if (rc != EXIT_OK)
        fprintf(stderr, "cos-sign: %s\n", err);
done:
    free(code);
    free(img);
    mbedtls_pk_free(&pk);
    return rc;
}

static bool parse_u32(const char *s, uint32_t *out)
{
    char *end;
    if (!*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "genkey") == 0) {
        if (argc != 3) {
            usage(stderr);
            return EXIT_BAD_INPUT;
        }
        char err[512];
        if (cos_image_host_genkey(argv[2], err, sizeof err) != 0) {
            fprintf(stderr, "cos-sign: %s\n", err);
            return EXIT_BAD_INPUT;
        }
        return EXIT_OK;
    }

    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },
        { "pub", required_argument, NULL, 'p' },
        { "version", required_argument, NULL, 'v' },
        { "out", required_argument, NULL, 'o' },
        { "corrupt", required_argument, NULL, 'c' },
        { "verify", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *key = NULL, *pub = NULL, *out = NULL;
    bool verify = false, have_version = false;
    uint32_t version = 0;
    cos_image_host_corrupt_t corrupt = COS_IMAGE_HOST_OK;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'k': key = optarg; break;
        case 'p': pub = optarg; break;
        case 'o': out = optarg; break;
        case 'V': verify = true; break;
        case 'v':
            if (!parse_u32(optarg, &version)) {
                fprintf(stderr, "cos-sign: --version '%s': not a number "
                        "0..4294967295\n", optarg);
                return EXIT_BAD_INPUT;
            }
            have_version = true;
            break;
        case 'c':
            if (!cos_image_host_corrupt_parse(optarg, &corrupt)) {
                fprintf(stderr, "cos-sign: --corrupt '%s': expected "
                        "signature, hash, magic or code\n", optarg);
                return EXIT_BAD_INPUT;
            }
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_BAD_INPUT;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "cos-sign: expected exactly one input file\n");
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    const char *input = argv[optind];
    if (verify) {
        if (!pub || key || out || have_version ||
            corrupt != COS_IMAGE_HOST_OK) {
            fprintf(stderr, "cos-sign: --verify takes --pub PUB.pem and "
                    "the image only\n");
            return EXIT_BAD_INPUT;
        }
        return do_verify(pub, input);
    }
    if (!key || !out || !have_version || pub) {
        fprintf(stderr, "cos-sign: signing needs --key, --version and "
                "--out (and no --pub)\n");
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    return do_sign(key, version, out, corrupt, input);
}
