/*
 * tests/unit/util/test_alloc.c
 *     Allocation wrappers: overflow checks, out-of-memory exit, test hooks.
 */
#include "centra/alloc.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

START_TEST(strings_are_copied)
{
    char *a = xstrdup("hello");
    char *b = xstrndup("hello", 3);
    char *c = xstrndup("hi", 10);

    ck_assert_str_eq(a, "hello");
    ck_assert_str_eq(b, "hel");
    ck_assert_str_eq(c, "hi");
    ck_assert_ptr_null(xstrdup(NULL));
    xfree(a);
    xfree(b);
    xfree(c);
    xfree(NULL);
}
END_TEST

START_TEST(calloc_zeroes)
{
    unsigned char *p = xcalloc(64, 4);

    for (int i = 0; i < 256; i++)
        ck_assert_int_eq(p[i], 0);
    p = xrealloc_array(p, 128, 4);
    p[511] = 1;
    xfree(p);
}
END_TEST

/* The exit tests expect the "out of memory" line: keep it off the test's stderr. */
static void
silence_stderr(void)
{
    int fd = open("/dev/null", O_WRONLY);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
}

START_TEST(overflowing_sizes_exit_with_70)
{
    silence_stderr();
    (void)xmalloc_array(SIZE_MAX / 2, 4);
}
END_TEST

START_TEST(out_of_memory_exits_with_70)
{
    silence_stderr();
    alloc_fail_at(1);
    (void)xmalloc(16);
}
END_TEST

START_TEST(raw_allocations_fail_on_request_without_exiting)
{
    void *p;

    alloc_fail_at(2);
    p = alloc_raw_malloc(8);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_null(alloc_raw_realloc(p, 16));
    p = alloc_raw_realloc(p, 16); /* the failure was one-shot */
    ck_assert_ptr_nonnull(p);
    alloc_raw_free(p);
    alloc_fail_at(0);
}
END_TEST

START_TEST(allocations_are_counted)
{
    unsigned long before = alloc_count();

    xfree(xmalloc(1));
    xfree(xstrdup("x"));
    ck_assert_uint_eq(alloc_count() - before, 2);
}
END_TEST

static Suite *
alloc_suite(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("alloc");

    tcase_add_test(tc, strings_are_copied);
    tcase_add_test(tc, calloc_zeroes);
    /* An exit can only be observed from a forked test: without fork (CK_FORK=no, the
     * valgrind run) these two run in the normal and sanitizer passes only. */
    if (getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0) {
        tcase_add_exit_test(tc, overflowing_sizes_exit_with_70, 70);
        tcase_add_exit_test(tc, out_of_memory_exits_with_70, 70);
    }
    tcase_add_test(tc, raw_allocations_fail_on_request_without_exiting);
    tcase_add_test(tc, allocations_are_counted);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(alloc_suite)
