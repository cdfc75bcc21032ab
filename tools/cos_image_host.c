/* SPDX-License-Identifier: MIT */
/* tools/cos_image_host.c - signed COS images on the host (see
 * cos_image_host.h for the contract, the references and the Notes). */
#include "tools/cos_image_host.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "models/elf_load.h"

/* The fixed seed of the test issuer key. Changing it changes the key in
 * every test, the ROM and the committed images: don't. */
static const char genkey_seed[] =
    "cardsim test issuer key, ECDSA P-256, v1 - TEST ONLY, NEVER FOR REAL "
    "CARDS";

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
    /* only fails on bad parameters, which these are not */
    (void)mbedtls_sha256_ret(p, n, out, 0);
}

/* ------------------------------------------------------------------ */
/* Corruption names                                                    */

static const char *const corrupt_names[COS_IMAGE_HOST_CORRUPT_COUNT] = {
    [COS_IMAGE_HOST_OK] = NULL,
    [COS_IMAGE_HOST_BAD_SIGNATURE] = "signature",
    [COS_IMAGE_HOST_BAD_HASH] = "hash",
    [COS_IMAGE_HOST_BAD_MAGIC] = "magic",
    [COS_IMAGE_HOST_BAD_CODE] = "code",
};

const char *cos_image_host_corrupt_name(cos_image_host_corrupt_t c)
{
    return (unsigned)c < COS_IMAGE_HOST_CORRUPT_COUNT ? corrupt_names[c]
                                                      : NULL;
}

bool cos_image_host_corrupt_parse(const char *name,
                                  cos_image_host_corrupt_t *out)
{
    for (unsigned i = 1; i < COS_IMAGE_HOST_CORRUPT_COUNT; i++) {
        if (strcmp(name, corrupt_names[i]) == 0) {
            *out = (cos_image_host_corrupt_t)i;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

int cos_image_host_read_file(const char *path, uint8_t **buf, size_t *len,
                             char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0, n = 0;
    uint8_t *b = NULL;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(b, ncap);
            if (!nb) {
                free(b);
                fclose(f);
                seterr(err, errlen, "%s: out of memory", path);
                return -1;
            }
            b = nb;
            cap = ncap;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        seterr(err, errlen, "%s: read error at offset %zu", path, n);
        free(b);
        fclose(f);
        return -1;
    }
    fclose(f);
    *buf = b;
    *len = n;
    return 0;
}

int cos_image_host_write_file(const char *path, const void *buf, size_t len,
                              char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t put = fwrite(buf, 1, len, f);
    int rc = fclose(f);
    if (put != len || rc != 0) {
        seterr(err, errlen, "%s: write failed after %zu of %zu bytes", path,
               put, len);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Keys and signatures                                                 */

static bool is_p256(const mbedtls_pk_context *pk)
{
    if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA))
        return false;
    const mbedtls_ecp_keypair *kp = mbedtls_pk_ec(*pk);
    return kp && kp->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

static int point_to_xy(const mbedtls_ecp_group *grp,
                       const mbedtls_ecp_point *q, uint8_t pub[64])
{
    uint8_t buf[65];
    size_t olen = 0;
    if (mbedtls_ecp_point_write_binary(grp, q, MBEDTLS_ECP_PF_UNCOMPRESSED,
                                       &olen, buf, sizeof buf) != 0 ||
        olen != 65 || buf[0] != 0x04)
        return -1;
    memcpy(pub, buf + 1, 64);
    return 0;
}

int cos_image_host_load_private(mbedtls_pk_context *pk, const char *path,
                                char *err, size_t errlen)
{
    mbedtls_pk_init(pk);
    int rc = mbedtls_pk_parse_keyfile(pk, path, NULL);
    if (rc != 0) {
        seterr(err, errlen, "%s: not a readable private key (mbedTLS -0x%04x)",
               path, (unsigned)-rc);
        return -1;
    }
    if (!is_p256(pk)) {
        seterr(err, errlen, "%s: not an ECDSA P-256 (secp256r1) key", path);
        return -1;
    }
    return 0;
}

int cos_image_host_load_public(uint8_t pub[64], const char *path, char *err,
                               size_t errlen)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = mbedtls_pk_parse_public_keyfile(&pk, path);
    if (rc != 0) {
        seterr(err, errlen, "%s: not a readable public key (mbedTLS -0x%04x)",
               path, (unsigned)-rc);
        mbedtls_pk_free(&pk);
        return -1;
    }
    if (!is_p256(&pk) || cos_image_host_public_of(&pk, pub) != 0) {
        seterr(err, errlen, "%s: not an ECDSA P-256 (secp256r1) public key",
               path);
        mbedtls_pk_free(&pk);
        return -1;
    }
    mbedtls_pk_free(&pk);
    return 0;
}

int cos_image_host_public_of(const mbedtls_pk_context *pk, uint8_t pub[64])
{
    if (!is_p256(pk))
        return -1;
    const mbedtls_ecp_keypair *kp = mbedtls_pk_ec(*pk);
    return point_to_xy(&kp->grp, &kp->Q, pub);
}

/* Randomness for blinding only: RFC 6979 fixes the nonce, so r and s do
 * not depend on it. A DRBG on a constant keeps the tool free of entropy
 * sources and the run reproducible under valgrind. */
static int blind_rng(void *ctx, unsigned char *out, size_t n)
{
    return mbedtls_hmac_drbg_random(ctx, out, n);
}

static int seed_drbg(mbedtls_hmac_drbg_context *drbg, const void *seed,
                     size_t len)
{
    mbedtls_hmac_drbg_init(drbg);
    return mbedtls_hmac_drbg_seed_buf(
        drbg, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), seed, len);
}

int cos_image_host_sign_hash(const mbedtls_pk_context *pk,
                             const uint8_t hash[32], uint8_t sig[64],
                             char *err, size_t errlen)
{
    if (!is_p256(pk)) {
        seterr(err, errlen, "signing key is not an ECDSA P-256 key");
        return -1;
    }
    mbedtls_ecp_keypair *kp = mbedtls_pk_ec(*pk);
    mbedtls_hmac_drbg_context drbg;
    mbedtls_mpi r, s;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    static const char blind_seed[] = "cardsim cos_sign blinding";
    int rc = seed_drbg(&drbg, blind_seed, sizeof blind_seed - 1);
    if (rc == 0)
        rc = mbedtls_ecdsa_sign_det_ext(&kp->grp, &r, &s, &kp->d, hash, 32,
                                        MBEDTLS_MD_SHA256, blind_rng, &drbg);
    if (rc == 0)
        rc = mbedtls_mpi_write_binary(&r, sig, 32);
    if (rc == 0)
        rc = mbedtls_mpi_write_binary(&s, sig + 32, 32);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_hmac_drbg_free(&drbg);
    if (rc != 0) {
        seterr(err, errlen, "ECDSA signing failed (mbedTLS -0x%04x)",
               (unsigned)-rc);
        return -1;
    }
    return 0;
}

bool cos_image_host_verify_hash(const uint8_t pub[64], const uint8_t hash[32],
                                const uint8_t sig[64])
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    uint8_t pt[65];
    pt[0] = 0x04;
    memcpy(pt + 1, pub, 64);
    bool ok = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
              mbedtls_ecp_point_read_binary(&grp, &q, pt, sizeof pt) == 0 &&
              mbedtls_ecp_check_pubkey(&grp, &q) == 0 &&
              mbedtls_mpi_read_binary(&r, sig, 32) == 0 &&
              mbedtls_mpi_read_binary(&s, sig + 32, 32) == 0 &&
              mbedtls_ecdsa_verify(&grp, hash, 32, &q, &r, &s) == 0;
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return ok;
}

/* ------------------------------------------------------------------ */
/* ELF to code                                                         */

typedef struct piece {
    uint32_t addr, len;
    const uint8_t *data;
    size_t seg;        /* index in the ELF's PT_LOAD list, for messages */
} piece_t;

static int piece_cmp(const void *a, const void *b)
{
    const piece_t *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Names of the allocated sections that lie in [vaddr, vaddr + memsz), as
 * " (.text, .rodata)", for messages; "" if none or the file is unreadable
 * (elf_load() already checked it, so this is best effort). */
static void section_names(const char *path, uint32_t vaddr, uint32_t memsz,
                          char *buf, size_t len)
{
    buf[0] = '\0';
    if (elf_version(EV_CURRENT) == EV_NONE)
        return;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    size_t shstrndx;
    if (e && elf_getshdrstrndx(e, &shstrndx) == 0) {
        size_t n = 0;
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(e, scn)) != NULL) {
            GElf_Shdr sh;
            if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
                sh.sh_size == 0 || sh.sh_addr < vaddr ||
                sh.sh_addr >= (uint64_t)vaddr + memsz)
                continue;
            const char *name = elf_strptr(e, shstrndx, sh.sh_name);
            if (!name)
                continue;
            int k = snprintf(buf + n, len - n, "%s%s", n ? ", " : " (",
                             name);
            if (k < 0 || (size_t)k >= len - n - 1)
                break;
            n += (size_t)k;
        }
        if (n)
            snprintf(buf + n, len - n, ")");
    }
    if (e)
        elf_end(e);
    close(fd);
}

static bool in_area(uint64_t addr)
{
    return addr >= COS_IMAGE_HOST_AREA_BASE &&
           addr < COS_IMAGE_HOST_AREA_END;
}

int cos_image_host_code_from_elf(const char *path, uint8_t **code,
                                 size_t *len, char *err, size_t errlen)
{
    *code = NULL;
    *len = 0;
    elf_image_t img;
    if (elf_load(&img, path, err, errlen) != 0)
        return -1;
    piece_t *pc = calloc(img.nsegs ? img.nsegs : 1, sizeof *pc);
    if (!pc) {
        seterr(err, errlen, "%s: out of memory", path);
        elf_free(&img);
        return -1;
    }
    size_t n = 0;
    int rc = -1;
    for (size_t i = 0; i < img.nsegs; i++) {
        const elf_segment_t *s = &img.segs[i];
        /* the zero fill belongs at the run address (models/elf_load.h):
         * part of the image only when that is the load address */
        uint32_t bytes = s->paddr == s->vaddr ? s->memsz : s->filesz;
        if (s->filesz == 0 && !in_area(s->vaddr))
            continue; /* .bss, stack: RAM at run time, not in the image */
        uint64_t end = (uint64_t)s->paddr + bytes;
        if (bytes == 0)
            continue;
        if (!in_area(s->paddr) || end > COS_IMAGE_HOST_AREA_END) {
            char names[256];
            section_names(path, s->vaddr, s->memsz, names, sizeof names);
            seterr(err, errlen,
                   "%s: segment %zu%s (file offset 0x%x, load address "
                   "0x%08x, %u bytes, run address 0x%08x) is outside the "
                   "COS image area 0x%08x..0x%08x",
                   path, i, names, s->offset, s->paddr, bytes, s->vaddr,
                   COS_IMAGE_HOST_AREA_BASE, COS_IMAGE_HOST_AREA_END);
            goto out;
        }
        pc[n++] = (piece_t){ s->paddr, bytes, s->data, i };
    }
    if (n == 0) {
        seterr(err, errlen,
               "%s: no loadable bytes for the image area 0x%08x..0x%08x",
               path, COS_IMAGE_HOST_AREA_BASE, COS_IMAGE_HOST_AREA_END);
        goto out;
    }
    qsort(pc, n, sizeof *pc, piece_cmp);
    if (pc[0].addr != COS_IMAGE_HOST_AREA_BASE) {
        const elf_segment_t *s = &img.segs[pc[0].seg];
        char names[256];
        section_names(path, s->vaddr, s->memsz, names, sizeof names);
        seterr(err, errlen,
               "%s: the image must start at the load address 0x%08x (its "
               "vector table), but its lowest segment %zu%s (file offset "
               "0x%x) starts at 0x%08x",
               path, COS_IMAGE_HOST_AREA_BASE, pc[0].seg, names, s->offset,
               pc[0].addr);
        goto out;
    }
    for (size_t i = 1; i < n; i++) {
        if (pc[i].addr < pc[i - 1].addr + pc[i - 1].len) {
            seterr(err, errlen,
                   "%s: segment %zu (load address 0x%08x) overlaps segment "
                   "%zu (0x%08x..0x%08x)",
                   path, pc[i].seg, pc[i].addr, pc[i - 1].seg,
                   pc[i - 1].addr, pc[i - 1].addr + pc[i - 1].len);
            goto out;
        }
    }
    uint32_t top = pc[n - 1].addr + pc[n - 1].len;
    size_t size = ((size_t)(top - COS_IMAGE_HOST_AREA_BASE) + 3u) & ~(size_t)3;
    uint8_t *b = malloc(size);
    if (!b) {
        seterr(err, errlen, "%s: out of memory", path);
        goto out;
    }
    memset(b, 0xFF, size);
    for (size_t i = 0; i < n; i++)
        memcpy(b + (pc[i].addr - COS_IMAGE_HOST_AREA_BASE), pc[i].data,
               pc[i].len);
    *code = b;
    *len = size;
    rc = 0;
out:
    free(pc);
    elf_free(&img);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Images                                                              */

void cos_image_host_header_hash(const uint8_t *hdr_bytes, uint8_t out[32])
{
    sha256(hdr_bytes, COS_IMAGE_SIGNED_LEN, out);
}

int cos_image_host_build(const mbedtls_pk_context *pk, uint32_t version,
                         const uint8_t *code, size_t len,
                         cos_image_host_corrupt_t corrupt, uint8_t **img,
                         size_t *img_len, char *err, size_t errlen)
{
    *img = NULL;
    *img_len = 0;
    if (len == 0 || len > COS_IMAGE_HOST_MAX_CODE) {
        seterr(err, errlen,
               "code of %zu bytes: an image holds 1..%u bytes", len,
               COS_IMAGE_HOST_MAX_CODE);
        return -1;
    }
    uint8_t *b = malloc(COS_IMAGE_HEADER_LEN + len);
    if (!b) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    memset(b, 0, COS_IMAGE_HEADER_LEN);
    memcpy(b + COS_IMAGE_HEADER_LEN, code, len);
    put_le32(b + 0x00, corrupt == COS_IMAGE_HOST_BAD_MAGIC
                           ? COS_IMAGE_MAGIC + 0x01000000u /* "CSIN" */
                           : COS_IMAGE_MAGIC);
    put_le32(b + 0x04, COS_IMAGE_FORMAT);
    put_le32(b + 0x08, version);
    put_le32(b + 0x0C, COS_IMAGE_HOST_AREA_BASE);
    put_le32(b + 0x10, (uint32_t)len);
    sha256(code, len, b + 0x20);
    if (corrupt == COS_IMAGE_HOST_BAD_HASH)
        b[0x20] ^= 0x01;
    uint8_t h[32];
    cos_image_host_header_hash(b, h);
    if (cos_image_host_sign_hash(pk, h, b + 0x40, err, errlen) != 0) {
        free(b);
        return -1;
    }
    if (corrupt == COS_IMAGE_HOST_BAD_SIGNATURE)
        b[0x7F] ^= 0x01; /* lowest bit of s */
    if (corrupt == COS_IMAGE_HOST_BAD_CODE)
        b[COS_IMAGE_HEADER_LEN + len - 1] ^= 0x01;
    *img = b;
    *img_len = COS_IMAGE_HEADER_LEN + len;
    return 0;
}

bool cos_image_host_verify(const uint8_t *img, size_t len,
                           const uint8_t pub[64], cos_image_host_check_t *chk)
{
    memset(chk, 0, sizeof *chk);
    if (len < COS_IMAGE_HEADER_LEN)
        return false;
    cos_image_header_t *h = &chk->hdr;
    h->magic = get_le32(img + 0x00);
    h->format = get_le32(img + 0x04);
    h->version = get_le32(img + 0x08);
    h->load_addr = get_le32(img + 0x0C);
    h->code_len = get_le32(img + 0x10);
    for (unsigned i = 0; i < 3; i++)
        h->reserved[i] = get_le32(img + 0x14 + 4 * i);
    memcpy(h->code_sha256, img + 0x20, 32);
    memcpy(h->signature, img + 0x40, 64);

    chk->magic_ok = h->magic == COS_IMAGE_MAGIC;
    chk->format_ok = h->format == COS_IMAGE_FORMAT;
    chk->addr_ok = h->load_addr == COS_IMAGE_HOST_AREA_BASE;
    chk->len_ok = h->code_len > 0 && h->code_len <= COS_IMAGE_HOST_MAX_CODE &&
                  len - COS_IMAGE_HEADER_LEN == h->code_len;
    if (chk->len_ok) {
        uint8_t d[32];
        sha256(img + COS_IMAGE_HEADER_LEN, h->code_len, d);
        chk->hash_ok = memcmp(d, h->code_sha256, 32) == 0;
    }
    uint8_t hh[32];
    cos_image_host_header_hash(img, hh);
    chk->sig_ok = cos_image_host_verify_hash(pub, hh, h->signature);
    return chk->magic_ok && chk->format_ok && chk->addr_ok && chk->len_ok &&
           chk->hash_ok && chk->sig_ok;
}

/* ------------------------------------------------------------------ */
/* The test key pair                                                   */

static int write_text(const char *dir, const char *name, const char *text,
                      char *err, size_t errlen)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        seterr(err, errlen, "%s/%s: path too long", dir, name);
        return -1;
    }
    return cos_image_host_write_file(path, text, strlen(text), err, errlen);
}

static int write_pub_header(const char *dir, const uint8_t pub[64],
                            char *err, size_t errlen)
{
    char text[4096];
    size_t n = (size_t)snprintf(
        text, sizeof text,
        "/* SPDX-License-Identifier: MIT */\n"
        "/* tools/keys/test-issuer-public.h - the TEST issuer public key "
        "(ECDSA P-256,\n"
        " * uncompressed x || y, 32 bytes each, big-endian) for the SE ROM "
        "(docs/se.md).\n"
        " * TEST KEY - NEVER FOR REAL CARDS: its private half is public in "
        "this\n"
        " * repository. Generated by `cos-sign genkey tools/keys` "
        "(tools/keys/README.md);\n"
        " * do not edit. Use: static const uint8_t k[64] = "
        "TEST_ISSUER_PUBLIC_KEY; */\n"
        "#ifndef TOOLS_KEYS_TEST_ISSUER_PUBLIC_H\n"
        "#define TOOLS_KEYS_TEST_ISSUER_PUBLIC_H\n\n"
        "#define TEST_ISSUER_PUBLIC_KEY_LEN 64\n\n"
        "#define TEST_ISSUER_PUBLIC_KEY { \\\n");
    for (unsigned i = 0; i < 64; i++) {
        if (i % 32 == 0)
            n += (size_t)snprintf(text + n, sizeof text - n,
                                  "    /* %s */ \\\n", i ? "y" : "x");
        n += (size_t)snprintf(text + n, sizeof text - n, "%s0x%02x,%s",
                              i % 8 == 0 ? "    " : " ", pub[i],
                              i % 8 == 7 ? " \\\n" : "");
    }
    n += (size_t)snprintf(text + n, sizeof text - n,
                          "}\n\n#endif /* TOOLS_KEYS_TEST_ISSUER_PUBLIC_H */\n");
    if (n >= sizeof text) {
        seterr(err, errlen, "internal: header text too long");
        return -1;
    }
    return write_text(dir, "test-issuer-public.h", text, err, errlen);
}

int cos_image_host_genkey(const char *dir, char *err, size_t errlen)
{
    mbedtls_hmac_drbg_context drbg;
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = seed_drbg(&drbg, genkey_seed, sizeof genkey_seed - 1);
    if (rc == 0)
        rc = mbedtls_pk_setup(&pk,
                              mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc == 0)
        rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk),
                                 mbedtls_hmac_drbg_random, &drbg);
    unsigned char priv[1024], pubpem[1024];
    uint8_t pub[64];
    if (rc == 0)
        rc = mbedtls_pk_write_key_pem(&pk, priv, sizeof priv);
    if (rc == 0)
        rc = mbedtls_pk_write_pubkey_pem(&pk, pubpem, sizeof pubpem);
    if (rc == 0)
        rc = cos_image_host_public_of(&pk, pub);
    mbedtls_pk_free(&pk);
    mbedtls_hmac_drbg_free(&drbg);
    if (rc != 0) {
        seterr(err, errlen, "key generation failed (mbedTLS -0x%04x)",
               (unsigned)-rc);
        return -1;
    }
    if (write_text(dir, "test-issuer-private.pem", (char *)priv, err,
                   errlen) != 0 ||
        write_text(dir, "test-issuer-public.pem", (char *)pubpem, err,
                   errlen) != 0 ||
        write_pub_header(dir, pub, err, errlen) != 0)
        return -1;
    return 0;
}
