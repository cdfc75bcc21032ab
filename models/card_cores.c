/* SPDX-License-Identifier: MIT */
/* models/card_cores.c - the card's cores by name, for tools that attach
 * to one (cardsim run --gdb): "mcu" is the MCU's core, "se<n>" SE n's
 * (one spelling each: "se01" is not SE 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/card.h"
#include "models/card_int.h"
#include "models/card_mcu.h"
#include "models/mcu.h"

static cpu_t *mcu_core(card_t *cd)
{
    mcu_t *m = card_mcu_chip(cd);
    return m ? &m->cpu : NULL;
}

cpu_t *card_core(void *model, const char *name)
{
    card_t *cd = model;
    if (!strcmp(name, "mcu"))
        return mcu_core(cd);
    if (strncmp(name, "se", 2) != 0 || name[2] < '0' || name[2] > '9')
        return NULL;
    char *end;
    unsigned long n = strtoul(name + 2, &end, 10);
    if (*end || (name[2] == '0' && name[3]) || n >= cd->n_se)
        return NULL;
    return &cd->se[n].cpu;
}

void card_core_names(void *model, char *buf, size_t len)
{
    card_t *cd = model;
    size_t at = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    if (mcu_core(cd))
        at += (size_t)snprintf(buf, len, "mcu");
    for (size_t i = 0; i < cd->n_se && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%sse%zu", at ? ", " : "",
                               i);
}
