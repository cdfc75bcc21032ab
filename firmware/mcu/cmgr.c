/* SPDX-License-Identifier: MIT */
/* firmware/mcu/cmgr.c - card manager commands (cmgr.h).
 *
 * Reference: ISO/IEC 7816-4 5.1 (short APDUs), 11.2.2 (SELECT by DF
 * name); the card manager's own commands are proprietary (CLA 80). */
#include "cmgr.h"

#include "apdu.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

static const uint8_t cm_aid[CM_AID_LEN] = CM_AID;

size_t cmgr_select_aid(const uint8_t *apdu, size_t len, const uint8_t **aid)
{
    apdu_cmd_t c;
    if (apdu_parse(apdu, len, &c) != APDU_OK)
        return 0;
    if (c.cla != 0x00 || c.ins != 0xA4 || c.p1 != 0x04 || c.nc == 0)
        return 0;
    *aid = c.data;
    return c.nc;
}

bool cmgr_is_select(const uint8_t *apdu, size_t len)
{
    const uint8_t *aid;
    size_t n = cmgr_select_aid(apdu, len, &aid);
    return n == CM_AID_LEN && apdu[3] == 0x00 &&
           memcmp(aid, cm_aid, CM_AID_LEN) == 0;
}

bool cmgr_is_command(const uint8_t *apdu, size_t len)
{
    if (len < 4 || apdu[0] != CM_CLA)
        return false;
    switch (apdu[1]) {
    case CM_INS_LIST:
    case CM_INS_OPEN:
    case CM_INS_RESET:
    case CM_INS_CLOSE:
        return true;
    default:
        return false;
    }
}

uint16_t cmgr_decode(const uint8_t *apdu, size_t len, unsigned nse,
                     cmgr_cmd_t *cmd)
{
    apdu_cmd_t c;
    if (apdu_parse(apdu, len, &c) != APDU_OK)
        return CM_SW_LENGTH;
    if (c.cla != CM_CLA)
        return CM_SW_CLA;
    switch (c.ins) {
    case CM_INS_LIST:
    case CM_INS_OPEN:
    case CM_INS_RESET:
    case CM_INS_CLOSE:
        break;
    default:
        return CM_SW_INS;
    }
    if (c.nc != 0)
        return CM_SW_LENGTH;
    bool se_in_p1 = c.ins == CM_INS_OPEN || c.ins == CM_INS_RESET;
    if (c.p2 != 0 || (!se_in_p1 && c.p1 != 0))
        return CM_SW_WRONG_P1P2;
    if (se_in_p1 && c.p1 >= nse)
        return CM_SW_NO_SE;
    cmd->ins = c.ins;
    cmd->se = se_in_p1 ? c.p1 : 0;
    return CM_SW_OK;
}

void cmgr_record(uint8_t out[CM_REC_LEN], unsigned se, unsigned state,
                 unsigned version, bool session)
{
    out[0] = (uint8_t)se;
    out[1] = (uint8_t)state;
    out[2] = (uint8_t)version;
    out[3] = session ? CM_FLAG_SESSION : 0;
}
