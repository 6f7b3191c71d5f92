/*
 * tests/unit/import/test_archive.c
 *     The answer archive: the directory check, a kept answer (bytes, mode,
 *     name), a discarded one, a name already taken, and writes that fail.
 */
#include "centra/archive.h"

#include <dirent.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "testutil.h"

static char dir[64];

static void
setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/cb-archive-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

/* Names in dir (hidden ones too), how many. */
static int
count_files(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Whole contents of path (caller frees). */
static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = xmalloc(1 << 20);

    ck_assert_ptr_nonnull(f);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* Create path holding text. */
static void
put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Keep an answer of text for run_id; returns its path (caller frees). */
static char *
keep(const char *text, long long run_id)
{
    Archive *a;
    char *name;
    Error err;

    ck_assert_int_eq(archive_open(dir, &a, &err), ERR_OK);
    ck_assert_int_eq(archive_write(a, text, strlen(text), &err), ERR_OK);
    ck_assert_int_eq(archive_keep(a, run_id, false, &name, &err), ERR_OK);
    return name;
}

/* The N of a kept name "...-run<id>-<N>.xml". */
static unsigned long
name_count(const char *name)
{
    const char *p = strrchr(name, '-');

    ck_assert_ptr_nonnull(p);
    return strtoul(p + 1, NULL, 10);
}

START_TEST(test_check_dir)
{
    char path[128];
    Error err;

    ck_assert_int_eq(archive_check_dir(dir, "CENTRA_ARCHIVE_DIR", &err), ERR_OK);

    snprintf(path, sizeof(path), "%s/missing", dir);
    ck_assert_int_eq(archive_check_dir(path, "CENTRA_ARCHIVE_DIR", &err), ERR_CONFIG);
    ck_assert_contains(err.message, "CENTRA_ARCHIVE_DIR \"");
    ck_assert_contains(err.message, "/missing\" cannot be used: No such file or directory");
    ck_assert_contains(err.hint, "Create the directory");

    snprintf(path, sizeof(path), "%s/file", dir);
    put_file(path, "");
    ck_assert_int_eq(archive_check_dir(path, "CENTRA_ARCHIVE_DIR", &err), ERR_CONFIG);
    ck_assert_contains(err.message, "/file\" is not a directory");
}
END_TEST

START_TEST(test_keep)
{
    static const char answer[] = "<soap:Envelope>\0binary \xff bytes too</soap:Envelope>";
    regex_t re;
    Archive *a;
    struct stat st;
    char *name;
    char *got;
    size_t len;
    Error err;

    ck_assert_int_eq(archive_open(dir, &a, &err), ERR_OK);
    ck_assert_int_eq(count_files(), 1);            /* the temporary file */
    for (size_t i = 0; i < sizeof(answer); i += 7) /* in pieces, NUL and all */
        ck_assert_int_eq(
            archive_write(a, answer + i, sizeof(answer) - i < 7 ? sizeof(answer) - i : 7, &err),
            ERR_OK);
    ck_assert_int_eq(archive_keep(a, 42, false, &name, &err), ERR_OK);

    ck_assert_int_eq(count_files(), 1); /* renamed, not copied */
    ck_assert_int_eq(strncmp(name, dir, strlen(dir)), 0);
    ck_assert_int_eq(
        regcomp(&re, "/[0-9]{8}T[0-9]{6}\\.[0-9]{3}Z-run42-[0-9]+\\.xml$", REG_EXTENDED), 0);
    ck_assert_msg(regexec(&re, name, 0, NULL, 0) == 0, "name %s", name);
    regfree(&re);
    ck_assert_int_eq(stat(name, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    got = slurp(name, &len);
    ck_assert_uint_eq(len, sizeof(answer));
    ck_assert_int_eq(memcmp(got, answer, len), 0);
    xfree(got);

    /* The next answer gets the next number. */
    got = keep("<b/>", 42);
    ck_assert_uint_eq(name_count(got), name_count(name) + 1);
    ck_assert_int_eq(count_files(), 2);
    xfree(got);
    xfree(name);
}
END_TEST

START_TEST(test_discard)
{
    Archive *a;
    Error err;

    ck_assert_int_eq(archive_open(dir, &a, &err), ERR_OK);
    ck_assert_int_eq(archive_write(a, "<x/>", 4, &err), ERR_OK);
    archive_discard(a);
    ck_assert_int_eq(count_files(), 0);
    archive_discard(NULL);
}
END_TEST

/* A name already taken (another database's run of the same id, the same millisecond). */
START_TEST(test_name_taken)
{
    const struct timespec at = {1795000000, 123456789}; /* 2026-11-18 11:06:40.123 UTC */
    char *first = keep("<first/>", 7);
    unsigned long next = name_count(first) + 1;
    char taken[512];
    char *name;
    Archive *a;
    struct stat st;
    char *got;
    size_t len;
    Error err;

    snprintf(taken, sizeof(taken), "%s/20261118T110640.123Z-run7-%lu.xml", dir, next);
    put_file(taken, "");

    ck_assert_int_eq(archive_open(dir, &a, &err), ERR_OK);
    archive_set_began(a, &at);
    ck_assert_int_eq(archive_write(a, "<second/>", 9, &err), ERR_OK);
    ck_assert_int_eq(archive_keep(a, 7, false, &name, &err), ERR_OK);
    snprintf(taken + strlen(taken) - 4, 16, "-2.xml");
    ck_assert_str_eq(name, taken);
    got = slurp(name, &len);
    ck_assert_uint_eq(len, 9);
    xfree(got);
    /* The file it would have replaced is untouched. */
    taken[strlen(taken) - 6] = '\0';
    strcat(taken, ".xml");
    ck_assert_int_eq(stat(taken, &st), 0);
    ck_assert_int_eq(st.st_size, 0);
    ck_assert_int_eq(count_files(), 3);
    xfree(name);
    xfree(first);
}
END_TEST

/* Every name taken, up to the last suffix: an error, and nothing replaced. */
START_TEST(test_names_all_taken)
{
    const struct timespec at = {1795000000, 5000000}; /* 2026-11-18 11:06:40.005 UTC */
    char *first = keep("<first/>", 8);
    unsigned long next = name_count(first) + 1;
    char path[512];
    Archive *a;
    Error err;
    char *name = (char *)1;

    for (int same = 1; same <= 100; same++) {
        snprintf(path, sizeof(path), "%s/20261118T110640.005Z-run8-%lu", dir, next);
        if (same > 1)
            snprintf(path + strlen(path), 16, "-%d", same);
        strcat(path, ".xml");
        put_file(path, "");
    }
    ck_assert_int_eq(archive_open(dir, &a, &err), ERR_OK);
    archive_set_began(a, &at);
    ck_assert_int_eq(archive_write(a, "<x/>", 4, &err), ERR_OK);
    ck_assert_int_eq(archive_keep(a, 8, false, &name, &err), ERR_IO);
    ck_assert_ptr_null(name);
    ck_assert_contains(err.message, "could not rename the answer archive file \"");
    ck_assert_contains(err.message, "File exists");
    ck_assert_int_eq(count_files(), 1 + 100); /* the temporary file is gone, nothing replaced */
    xfree(first);
}
END_TEST

/* Leftovers of a killed process that had this pid do not stop the next answer. */
START_TEST(test_incoming_leftovers)
{
    char path[512];
    struct stat st;
    char *name;

    for (int n = 1; n <= 200; n++) {
        snprintf(path, sizeof(path), "%s/.incoming-%ld-%d.xml", dir, (long)getpid(), n);
        put_file(path, "left");
    }
    name = keep("<answer/>", 9);
    ck_assert_int_eq(count_files(), 200 + 1);
    snprintf(path, sizeof(path), "%s/.incoming-%ld-7.xml", dir, (long)getpid());
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 4); /* left alone */
    xfree(name);
}
END_TEST

/* An answer the parser stopped reading at centra_max_response_size says so in its name. */
START_TEST(test_cut)
{
    Archive *a;
    char *name;
    Error err;

    ck_assert_int_eq(archive_open(dir, &a, &err), ERR_OK);
    ck_assert_int_eq(archive_write(a, "<a><b>", 6, &err), ERR_OK);
    ck_assert_int_eq(archive_keep(a, 3, true, &name, &err), ERR_OK);
    ck_assert_msg(strlen(name) > 8 && strcmp(name + strlen(name) - 8, "-cut.xml") == 0, "%s", name);
    xfree(name);
}
END_TEST

START_TEST(test_open_fails)
{
    char path[128];
    Archive *a = (Archive *)1;
    Error err;

    snprintf(path, sizeof(path), "%s/gone", dir);
    ck_assert_int_eq(archive_open(path, &a, &err), ERR_IO);
    ck_assert_ptr_null(a);
    ck_assert_contains(err.message, "could not create the answer archive file \"");
    ck_assert_contains(err.message, "/gone/.incoming-");
    ck_assert_contains(err.message, "No such file or directory");
    ck_assert_contains(err.hint, "Nothing of this answer was stored or acknowledged");
}
END_TEST

/* A write beyond the file size limit fails as a full disk would. */
START_TEST(test_write_fails)
{
    struct rlimit old;
    struct rlimit small;
    char block[4096];
    void (*was)(int);
    Archive *a;
    Error err;
    ErrKind rc = ERR_OK;

    memset(block, 'x', sizeof(block));
    ck_assert_int_eq(archive_open(dir, &a, &err), ERR_OK);
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 3 * sizeof(block);
    was = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    for (int i = 0; i < 4 && rc == ERR_OK; i++)
        rc = archive_write(a, block, sizeof(block), &err);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, was);
    ck_assert_int_eq(rc, ERR_IO);
    ck_assert_contains(err.message, "could not write the answer archive file \"");
    ck_assert_contains(err.message, "File too large");
    archive_discard(a);
    ck_assert_int_eq(count_files(), 0);
}
END_TEST

static Suite *
archive_suite(void)
{
    Suite *s = suite_create("archive");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_check_dir);
    tcase_add_test(tc, test_keep);
    tcase_add_test(tc, test_discard);
    tcase_add_test(tc, test_name_taken);
    tcase_add_test(tc, test_names_all_taken);
    tcase_add_test(tc, test_incoming_leftovers);
    tcase_add_test(tc, test_cut);
    tcase_add_test(tc, test_open_fails);
    tcase_add_test(tc, test_write_fails);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(archive_suite)
