/*
 * fuzz/standalone.c
 *     A main() for a fuzz target without libFuzzer: runs
 *     LLVMFuzzerTestOneInput once on each file named on the command line, and
 *     on each file of each directory named (not recursively, in name order;
 *     a directory may be empty, as long as some input is found).
 *
 * The normal build links every target with it and runs it over the target's
 * seed corpus as a unit test, so the targets keep building and the corpus is
 * a regression suite.  It also reproduces a finding without clang:
 * build/fuzz/fuzz_config crash-1234.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/strutil.h"

#define INPUT_CAP (64 * 1024 * 1024)

/* Run the target on the file at path; false if it could not be read. */
static bool
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    DynBuf buf;
    char chunk[65536];
    size_t n;
    bool ok = true;

    if (f == NULL) {
        char ebuf[128];

        fprintf(stderr, "standalone: %s: %s\n", path, str_errno(errno, ebuf, sizeof(ebuf)));
        return false;
    }
    dynbuf_init(&buf, INPUT_CAP);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (dynbuf_add(&buf, chunk, n) != ERR_OK) {
            fprintf(stderr, "standalone: %s: larger than %d bytes\n", path, INPUT_CAP);
            ok = false;
            break;
        }
    if (ferror(f)) {
        fprintf(stderr, "standalone: %s: read error\n", path);
        ok = false;
    }
    fclose(f);
    if (ok)
        (void)LLVMFuzzerTestOneInput((const uint8_t *)dynbuf_str(&buf), dynbuf_len(&buf));
    dynbuf_free(&buf);
    return ok;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Run the target on every regular file in dir; the number run, -1 on error. */
static int
run_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    int ran = 0;

    if (n < 0) {
        char ebuf[128];

        fprintf(stderr, "standalone: %s: %s\n", dir, str_errno(errno, ebuf, sizeof(ebuf)));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat sb;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (!run_file(path))
                ran = -1;
            else if (ran >= 0)
                ran++;
        }
    }
    for (int i = 0; i < n; i++)
        xfree(names[i]); /* scandir allocates with malloc: xfree frees it */
    xfree(names);
    return ran;
}

int
main(int argc, char **argv)
{
    int total = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 64;
    }
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        int ran;

        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            ran = run_dir(argv[i]);
        else
            ran = run_file(argv[i]) ? 1 : -1;
        if (ran < 0)
            return 1;
        total += ran;
    }
    if (total == 0) {
        fprintf(stderr, "standalone: no input in %s%s\n", argv[1], argc > 2 ? " ..." : "");
        return 1;
    }
    printf("standalone: %d inputs, no finding\n", total);
    return 0;
}
