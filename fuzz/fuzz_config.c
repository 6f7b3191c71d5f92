/*
 * fuzz/fuzz_config.c
 *     A config file read by config_load_file (src/config/config.c), then
 *     dumped with config_dump.
 *
 * Input: the whole file.  config_load_file reads from a path, so the input
 * is written to a memory file (memfd, mode 0600 so that a password in it is
 * allowed) and loaded through /proc/self/fd/N: the same code as for a file
 * on disk, its reading, NUL check and permission check included.  Checked:
 * every answer is ERR_OK or ERR_CONFIG with a message.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "centra/config.h"
#include "centra/error.h"
#include "centra/log.h"

static int memfd = -1;
static char memfd_path[64];
static FILE *devnull;

static void
setup(void)
{
    memfd = memfd_create("fuzz-config", 0);
    if (memfd < 0 || fchmod(memfd, 0600) != 0)
        fuzz_fail("could not create the memory file");
    snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
    devnull = fopen("/dev/null", "w");
    if (devnull == NULL)
        fuzz_fail("could not open /dev/null");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Config *cfg;
    Error err;
    ErrKind rc;

    fuzz_init();
    if (memfd < 0)
        setup();
    if (ftruncate(memfd, 0) != 0 || (size > 0 && pwrite(memfd, data, size, 0) != (ssize_t)size))
        fuzz_fail("could not write the memory file");

    cfg = config_new();
    err_reset(&err);
    rc = config_load_file(cfg, memfd_path, &err);
    if (rc == ERR_OK)
        config_dump(cfg, devnull);
    else if (rc != ERR_CONFIG)
        fuzz_fail("unexpected error kind %s: %s", err_kind_name(rc), err.message);
    else if (err.message[0] == '\0')
        fuzz_fail("ERR_CONFIG without a message");
    config_free(cfg);
    log_clear_secrets();
    return 0;
}
