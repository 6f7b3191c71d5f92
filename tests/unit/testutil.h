/*
 * tests/unit/testutil.h
 *     Shared helpers for the Check unit tests.
 *
 * Each test program builds one Suite per module and runs it with
 * CB_TEST_MAIN.  Log output is captured in memory with log_capture_begin and
 * log_capture_end, so a test can assert what was logged and nothing reaches
 * stderr (the test runner fails a test that writes to stderr).
 */
#ifndef TESTS_UNIT_TESTUTIL_H
#define TESTS_UNIT_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/log.h"

#define CB_TEST_MAIN(make_suite)                                                                   \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(make_suite());                                                \
        int failed;                                                                                \
                                                                                                   \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        failed = srunner_ntests_failed(sr);                                                        \
        srunner_free(sr);                                                                          \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

typedef struct LogCapture {
    FILE *stream; /* memory stream the logger writes to */
    char *buf;    /* its buffer */
    size_t len;   /* its length */
} LogCapture;

static LogCapture log_capture_state;

/* Send log lines to memory until log_capture_end. */
static inline void
log_capture_begin(void)
{
    log_capture_state.buf = NULL;
    log_capture_state.len = 0;
    log_capture_state.stream = open_memstream(&log_capture_state.buf, &log_capture_state.len);
    ck_assert_ptr_nonnull(log_capture_state.stream);
    log_set_stream(log_capture_state.stream);
}

/* Stop capturing; returns what was logged (caller frees with free()). */
static inline char *
log_capture_end(void)
{
    log_set_stream(NULL);
    fclose(log_capture_state.stream);
    return log_capture_state.buf;
}

/* Assert that haystack contains needle, printing both when it does not. */
#define ck_assert_contains(haystack, needle)                                                       \
    ck_assert_msg(strstr((haystack), (needle)) != NULL, "expected \"%s\" in:\n%s", (needle),       \
                  (haystack))
#define ck_assert_not_contains(haystack, needle)                                                   \
    ck_assert_msg(strstr((haystack), (needle)) == NULL, "did not expect \"%s\" in:\n%s", (needle), \
                  (haystack))

#endif /* TESTS_UNIT_TESTUTIL_H */
