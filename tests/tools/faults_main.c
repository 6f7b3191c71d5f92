/*
 * tests/tools/faults_main.c
 *     centra-bridge-faults: centra-bridge with its crash points armed, for
 *     tests/integration/test_crash.sh only (include/centra/faultpoint.h).
 *
 * "centra-bridge-faults --list-fault-points" prints the points (name, tab,
 * where); anything else is centra-bridge's own command line.  A
 * CB_FAULT_KILL naming an unknown point stops it before anything runs
 * (exit 64), so that a misspelt point cannot make a test that tests nothing.
 */
#include <stdio.h>
#include <string.h>

#include "centra/faultpoint.h"
#include "cli_int.h"

int
main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list-fault-points") == 0) {
        faultpoint_list(stdout);
        return 0;
    }
    if (!faultpoint_init(stderr))
        return 64;
    return cli_main(argc, argv);
}
