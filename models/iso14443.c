/* SPDX-License-Identifier: MIT */
/* models/iso14443.c - ISO/IEC 14443-A arithmetic shared by the PCD and the
 * PICC (see iso14443.h). */
#include "models/iso14443.h"

uint16_t iso14443_crc_a(const uint8_t *p, size_t n)
{
    uint16_t crc = 0x6363;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1u) ? (uint16_t)((crc >> 1) ^ 0x8408u)
                             : (uint16_t)(crc >> 1);
    }
    return crc;
}

size_t iso14443_add_crc(uint8_t *p, size_t n)
{
    uint16_t crc = iso14443_crc_a(p, n);
    p[n] = (uint8_t)crc;
    p[n + 1] = (uint8_t)(crc >> 8);
    return n + 2;
}

bool iso14443_crc_ok(const uint8_t *p, size_t n)
{
    if (n < 3)
        return false;
    uint16_t crc = iso14443_crc_a(p, n - 2);
    return p[n - 2] == (uint8_t)crc && p[n - 1] == (uint8_t)(crc >> 8);
}

uint64_t iso14443_frame_fc(size_t n)
{
    return (1u + 9u * (uint64_t)n) * ISO14443_BIT_FC;
}

unsigned iso14443_last_bit(const uint8_t *p, size_t n, bool short_frame)
{
    if (short_frame)
        return (p[0] >> 6) & 1u;
    /* odd parity: the bit that makes the count of ones odd */
    return (__builtin_popcount(p[n - 1]) & 1u) ? 0u : 1u;
}

uint64_t iso14443_fdt_picc_fc(unsigned n, unsigned last_bit)
{
    return (uint64_t)n * 128u + (last_bit ? 84u : 20u);
}

uint64_t iso14443_fwt_fc(unsigned fwi)
{
    if (fwi > 14)
        fwi = 14;
    return (uint64_t)256u * 16u << fwi;
}

uint64_t iso14443_sfgt_fc(unsigned sfgi)
{
    if (sfgi == 0)
        return 0;
    return iso14443_fwt_fc(sfgi);
}

unsigned iso14443_fs_bytes(unsigned code)
{
    static const unsigned fs[] = { 16, 24, 32, 40, 48, 64, 96, 128, 256 };
    return code < 9 ? fs[code] : 256u;
}
