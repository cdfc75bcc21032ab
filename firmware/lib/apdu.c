/* SPDX-License-Identifier: MIT */
/* firmware/lib/apdu.c - short command APDUs parsed and built, responses
 * built (ISO/IEC 7816-4 section 5.1; see apdu.h). */
#include "apdu.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

int apdu_parse(const uint8_t *buf, size_t len, apdu_cmd_t *cmd)
{
    if (len < APDU_HEADER_LEN)
        return APDU_ERR_SHORT;
    cmd->cla = buf[0];
    cmd->ins = buf[1];
    cmd->p1 = buf[2];
    cmd->p2 = buf[3];
    cmd->nc = 0;
    cmd->ne = 0;
    cmd->data = NULL;
    if (len == 4) {
        cmd->apdu_case = APDU_CASE_1;
        return APDU_OK;
    }
    if (len == 5) {
        cmd->apdu_case = APDU_CASE_2S;
        cmd->ne = buf[4] ? buf[4] : 256;
        return APDU_OK;
    }
    /* A first length byte of 00 followed by more bytes is the extended
     * form (00 Lc1 Lc2 ... or 00 Le1 Le2): 7 bytes at least. */
    if (buf[4] == 0)
        return len >= 7 ? APDU_ERR_EXTENDED : APDU_ERR_LENGTH;
    size_t lc = buf[4];
    if (len == 5 + lc) {
        cmd->apdu_case = APDU_CASE_3S;
    } else if (len == 6 + lc) {
        cmd->apdu_case = APDU_CASE_4S;
        cmd->ne = buf[len - 1] ? buf[len - 1] : 256;
    } else {
        return APDU_ERR_LENGTH;
    }
    cmd->nc = (uint16_t)lc;
    cmd->data = buf + 5;
    return APDU_OK;
}

int apdu_build(const apdu_cmd_t *cmd, uint8_t *out, size_t cap)
{
    if (cmd->nc > 255 || cmd->ne > 256 || (cmd->nc && !cmd->data))
        return APDU_ERR_PARAM;
    size_t n = 4 + (cmd->nc ? 1u + cmd->nc : 0) + (cmd->ne ? 1u : 0);
    if (n > cap)
        return APDU_ERR_PARAM;
    out[0] = cmd->cla;
    out[1] = cmd->ins;
    out[2] = cmd->p1;
    out[3] = cmd->p2;
    size_t i = 4;
    if (cmd->nc) {
        out[i++] = (uint8_t)cmd->nc;
        memmove(out + i, cmd->data, cmd->nc);
        i += cmd->nc;
    }
    if (cmd->ne)
        out[i++] = (uint8_t)cmd->ne; /* 256 -> 00 */
    return (int)i;
}

int apdu_response(uint8_t *out, size_t cap, const uint8_t *data, size_t len,
                  uint16_t sw)
{
    if (len + 2 > cap || len > 0xFFFF)
        return APDU_ERR_PARAM;
    if (len && data != out)
        memmove(out, data, len);
    out[len] = APDU_SW1(sw);
    out[len + 1] = APDU_SW2(sw);
    return (int)(len + 2);
}

uint16_t apdu_sw(const uint8_t *resp, size_t len)
{
    if (len < 2)
        return 0;
    return (uint16_t)(resp[len - 2] << 8 | resp[len - 1]);
}
