/* SPDX-License-Identifier: MIT */
/* cli/cmd_flash.c - `cardsim flash inspect FILE`: explains an SE flash
 * image (as `cardsim run` saves them, or a raw dump). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "tools/flash_inspect.h"

int cmd_flash(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0)) {
        printf("usage: cardsim flash inspect FILE\n"
               "explains an SE flash image: COS identifier and boot verdict,"
               "\nanti-rollback and loader logs, COS data, erase counters\n");
        return CLI_EXIT_OK;
    }
    if (argc != 3 || strcmp(argv[1], "inspect") != 0)
        return cli_bad_input("flash: usage: cardsim flash inspect FILE");
    char err[1024];
    if (flash_inspect(argv[2], stdout, err, sizeof err) != 0)
        return cli_bad_input("%s", err);
    return CLI_EXIT_OK;
}
