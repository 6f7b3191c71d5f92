/*
 * tests/unit/util/test_error.c
 *     The error kinds table and the error object.
 */
#include "centra/error.h"

#include <string.h>

#include "testutil.h"

START_TEST(exit_codes_follow_the_design_contract)
{
    /* DESIGN.md: 64 usage, 69 unreachable, 77 credentials, 78 configuration. */
    ck_assert_int_eq(err_exit_code(ERR_OK), 0);
    ck_assert_int_eq(err_exit_code(ERR_PARTIAL), 1);
    ck_assert_int_eq(err_exit_code(ERR_USAGE), 64);
    ck_assert_int_eq(err_exit_code(ERR_DB_CONNECTION), 69);
    ck_assert_int_eq(err_exit_code(ERR_CONFIG), 78);
    ck_assert_int_eq(err_exit_code(ERR_DB_AUTH), 78);
    ck_assert_int_eq(err_exit_code(ERR_MIGRATION), 78);
    ck_assert_int_eq(err_exit_code(ERR_BUSY), 75);
    ck_assert_int_eq(err_exit_code(ERR_INTERNAL), 70);
    ck_assert_int_eq(err_exit_code(ERR_DB_QUERY), 70);
    ck_assert_int_eq(err_exit_code(ERR_DB_SCHEMA), 78);
    ck_assert_int_eq(err_exit_code(ERR_CENTRA_UNAVAILABLE), 69);
    ck_assert_int_eq(err_exit_code(ERR_CENTRA_AUTH), 77);
    ck_assert_int_eq(err_exit_code(ERR_CENTRA_FAULT), 76);
    ck_assert_int_eq(err_exit_code(ERR_CENTRA_TLS), 78);
    /* Exit 1 means "finished, but something failed": only PARTIAL says that. */
    for (int k = 0; k < ERR_KIND_COUNT_; k++)
        ck_assert_msg(err_exit_code((ErrKind)k) != 1 || k == ERR_PARTIAL, "%s exits 1",
                      err_kind_name((ErrKind)k));
}
END_TEST

START_TEST(an_exit_code_maps_back_to_a_kind_with_that_code)
{
    /* Every code of the table comes back as a kind that exits with it. */
    for (int k = 0; k < ERR_KIND_COUNT_; k++) {
        int code = err_exit_code((ErrKind)k);

        ck_assert_int_eq(err_exit_code(err_kind_for_exit_code(code)), code);
    }
    ck_assert_int_eq(err_kind_for_exit_code(0), ERR_OK);
    ck_assert_int_eq(err_kind_for_exit_code(1), ERR_PARTIAL);
    ck_assert_int_eq(err_kind_for_exit_code(77), ERR_CENTRA_AUTH);
    /* A code no kind has (a child killed by a signal: 128 + n) is an internal error. */
    ck_assert_int_eq(err_kind_for_exit_code(137), ERR_INTERNAL);
    ck_assert_int_eq(err_kind_for_exit_code(-1), ERR_INTERNAL);
}
END_TEST

START_TEST(only_transient_kinds_are_retryable)
{
    for (int k = 0; k < ERR_KIND_COUNT_; k++) {
        bool expect = k == ERR_DB_CONNECTION || k == ERR_DB_CONFLICT || k == ERR_CENTRA_UNAVAILABLE;

        ck_assert_msg(err_is_retryable((ErrKind)k) == expect, "kind %s", err_kind_name((ErrKind)k));
    }
}
END_TEST

START_TEST(every_kind_has_a_unique_name_and_a_description)
{
    for (int a = 0; a < ERR_KIND_COUNT_; a++) {
        ck_assert_str_ne(err_kind_name((ErrKind)a), "unknown");
        ck_assert_int_gt((int)strlen(err_kind_description((ErrKind)a)), 5);
        for (int b = a + 1; b < ERR_KIND_COUNT_; b++)
            ck_assert_str_ne(err_kind_name((ErrKind)a), err_kind_name((ErrKind)b));
    }
}
END_TEST

START_TEST(out_of_range_kinds_are_internal_errors)
{
    ck_assert_int_eq(err_exit_code((ErrKind)999), 70);
    ck_assert_str_eq(err_kind_name((ErrKind)999), "unknown");
    ck_assert(!err_is_retryable((ErrKind)-1));
}
END_TEST

START_TEST(set_returns_the_kind_and_clears_detail_and_hint)
{
    Error err;

    err_reset(&err);
    err_detail(&err, "old detail");
    err_hint(&err, "old hint");
    ck_assert_int_eq(err_set(&err, ERR_CONFIG, "bad \"%s\"", "x"), ERR_CONFIG);
    ck_assert_int_eq(err.kind, ERR_CONFIG);
    ck_assert_str_eq(err.message, "bad \"x\"");
    ck_assert_str_eq(err.detail, "");
    ck_assert_str_eq(err.hint, "");
}
END_TEST

START_TEST(set_on_null_only_returns_the_kind)
{
    ck_assert_int_eq(err_set(NULL, ERR_IO, "ignored"), ERR_IO);
    err_detail(NULL, "ignored");
    err_hint(NULL, "ignored");
    err_prefix(NULL, "ignored");
    err_reset(NULL);
}
END_TEST

START_TEST(detail_append_separates_sentences)
{
    Error err;

    err_set(&err, ERR_PARTIAL, "m");
    err_detail_append(&err, false, "First.");
    ck_assert_str_eq(err.detail, "First.");
    err_detail_append(&err, false, "Second.");
    ck_assert_str_eq(err.detail, "First. Second.");
    err_detail_append(&err, true, "Third.");
    ck_assert_str_eq(err.detail, "First. Second.\nThird.");
}
END_TEST

START_TEST(prefix_names_the_failed_operation)
{
    Error err;

    err_set(&err, ERR_DB_QUERY, "syntax error at or near \"x\"");
    err_prefix(&err, "migration \"%s\" failed", "0002_x.sql");
    ck_assert_str_eq(err.message, "migration \"0002_x.sql\" failed: syntax error at or near \"x\"");
    ck_assert_int_eq(err.kind, ERR_DB_QUERY);
}
END_TEST

START_TEST(long_texts_are_truncated_not_overflowed)
{
    Error err;
    char big[ERR_DETAIL_MAX * 2];

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    err_set(&err, ERR_PARTIAL, "%s", big);
    ck_assert_uint_eq(strlen(err.message), ERR_MESSAGE_MAX - 1);
    err_detail(&err, "%s", big);
    ck_assert_uint_eq(strlen(err.detail), ERR_DETAIL_MAX - 1);
    err_detail_append(&err, true, "more");
    ck_assert_uint_eq(strlen(err.detail), ERR_DETAIL_MAX - 1);
    err_prefix(&err, "%s", big);
    ck_assert_uint_eq(strlen(err.message), ERR_MESSAGE_MAX - 1);
}
END_TEST

static Suite *
error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *kinds = tcase_create("kinds");
    TCase *object = tcase_create("object");

    tcase_add_test(kinds, exit_codes_follow_the_design_contract);
    tcase_add_test(kinds, an_exit_code_maps_back_to_a_kind_with_that_code);
    tcase_add_test(kinds, only_transient_kinds_are_retryable);
    tcase_add_test(kinds, every_kind_has_a_unique_name_and_a_description);
    tcase_add_test(kinds, out_of_range_kinds_are_internal_errors);
    tcase_add_test(object, set_returns_the_kind_and_clears_detail_and_hint);
    tcase_add_test(object, set_on_null_only_returns_the_kind);
    tcase_add_test(object, detail_append_separates_sentences);
    tcase_add_test(object, prefix_names_the_failed_operation);
    tcase_add_test(object, long_texts_are_truncated_not_overflowed);
    suite_add_tcase(s, kinds);
    suite_add_tcase(s, object);
    return s;
}

CB_TEST_MAIN(error_suite)
