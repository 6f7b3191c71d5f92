/*
 * src/cli/main.c
 *     The centra-bridge binary: everything happens in cli_main.
 */
#include "cli_int.h"

int
main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
