/*
 * tests/unit/util/test_strutil.c
 *     String helpers: numbers, durations, suggestions, lists, byte search.
 */
#include "centra/strutil.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "centra/alloc.h"

#include "testutil.h"

typedef struct DurationCase {
    const char *text; /* input */
    bool ok;          /* parses */
    long long ms;     /* value when it does */
} DurationCase;

static const DurationCase duration_cases[] = {
    {"0", true, 0},
    {"30", true, 30000},
    {"30s", true, 30000},
    {"250ms", true, 250},
    {"5min", true, 300000},
    {"2h", true, 7200000},
    {"", false, 0},
    {"s", false, 0},
    {"-1", false, 0},
    {"1.5s", false, 0},
    {"10 s", false, 0},
    {"10sec", false, 0},
    {"1m", false, 0},
    {" 5", false, 0},
    {"99999999999999999999", false, 0},
    {"9223372036854775807h", false, 0},
};

START_TEST(durations_parse_with_units)
{
    const DurationCase *c = &duration_cases[_i];
    long long ms = -1;
    bool ok = str_to_duration_ms(c->text, &ms);

    ck_assert_msg(ok == c->ok, "\"%s\": ok=%d", c->text, ok);
    if (ok)
        ck_assert_int_eq(ms, c->ms);
}
END_TEST

START_TEST(sizes_parse_with_units_in_any_case)
{
    static const DurationCase cases[] = {
        {"0", true, 0},
        {"512", true, 512},
        {"7B", true, 7},
        {"8kB", true, 8192},
        {"8KB", true, 8192},
        {"512MB", true, 512LL * 1024 * 1024},
        {"1gb", true, 1024LL * 1024 * 1024},
        {"", false, 0},
        {"MB", false, 0},
        {"-1MB", false, 0},
        {"1.5MB", false, 0},
        {"1 MB", false, 0},
        {"1TB", false, 0},
        {"9223372036854775807GB", false, 0},
    };

    for (size_t i = 0; i < CB_LENGTH(cases); i++) {
        long long v = -1;
        bool ok = str_to_size(cases[i].text, &v);

        ck_assert_msg(ok == cases[i].ok, "\"%s\": ok=%d", cases[i].text, ok);
        if (ok)
            ck_assert_int_eq(v, cases[i].ms);
    }
}
END_TEST

START_TEST(sizes_format_in_the_largest_exact_unit)
{
    char buf[32];

    ck_assert_str_eq(str_format_size(0, buf, sizeof(buf)), "0B");
    ck_assert_str_eq(str_format_size(1000, buf, sizeof(buf)), "1000B");
    ck_assert_str_eq(str_format_size(64 * 1024, buf, sizeof(buf)), "64kB");
    ck_assert_str_eq(str_format_size(8 * 1024 * 1024, buf, sizeof(buf)), "8MB");
    ck_assert_str_eq(str_format_size(1024LL * 1024 * 1024, buf, sizeof(buf)), "1GB");
}
END_TEST

START_TEST(durations_format_in_the_largest_exact_unit)
{
    char buf[32];

    ck_assert_str_eq(str_format_duration(0, buf, sizeof(buf)), "0s");
    ck_assert_str_eq(str_format_duration(10, buf, sizeof(buf)), "10ms");
    ck_assert_str_eq(str_format_duration(1500, buf, sizeof(buf)), "1500ms");
    ck_assert_str_eq(str_format_duration(30000, buf, sizeof(buf)), "30s");
    ck_assert_str_eq(str_format_duration(600000, buf, sizeof(buf)), "10min");
    ck_assert_str_eq(str_format_duration(86400000, buf, sizeof(buf)), "24h");
}
END_TEST

START_TEST(integers_parse_whole_strings_only)
{
    long long v = 0;

    ck_assert(str_to_ll("42", &v) && v == 42);
    ck_assert(str_to_ll("-7", &v) && v == -7);
    ck_assert(str_to_ll("9223372036854775807", &v) && v == LLONG_MAX);
    ck_assert(!str_to_ll("9223372036854775808", &v));
    ck_assert(!str_to_ll("12abc", &v));
    ck_assert(!str_to_ll("", &v));
    ck_assert(!str_to_ll(" 1", &v));
    ck_assert(!str_to_ll(NULL, &v));
}
END_TEST

START_TEST(edit_distance_is_levenshtein)
{
    ck_assert_uint_eq(str_edit_distance("kitten", "sitting", 5), 3);
    ck_assert_uint_eq(str_edit_distance("same", "same", 2), 0);
    ck_assert_uint_eq(str_edit_distance("", "abc", 5), 3);
    ck_assert_uint_eq(str_edit_distance("abcdef", "a", 2), 3); /* capped at cap + 1 */
}
END_TEST

START_TEST(closest_suggests_only_near_words)
{
    static const char *const words[] = {"migrate", "config", "help"};

    ck_assert_str_eq(str_closest("migrte", words, 3), "migrate");
    ck_assert_str_eq(str_closest("confg", words, 3), "config");
    ck_assert_ptr_null(str_closest("export", words, 3));
}
END_TEST

START_TEST(lists_are_joined_as_prose)
{
    static const char *const words[] = {"a", "b", "c"};
    char buf[64];

    ck_assert_str_eq(str_join_quoted(words, 1, buf, sizeof(buf)), "\"a\"");
    ck_assert_str_eq(str_join_quoted(words, 2, buf, sizeof(buf)), "\"a\" and \"b\"");
    ck_assert_str_eq(str_join_quoted(words, 3, buf, sizeof(buf)), "\"a\", \"b\" and \"c\"");
    ck_assert_str_eq(str_join_quoted(words, 3, buf, 6), "\"a\", ");
}
END_TEST

START_TEST(errno_text_is_thread_safe_and_never_empty)
{
    char buf[64];

    ck_assert_str_eq(str_errno(ENOENT, buf, sizeof(buf)), "No such file or directory");
    ck_assert_int_gt((int)strlen(str_errno(123456, buf, sizeof(buf))), 0);
}
END_TEST

START_TEST(prefixes_are_matched)
{
    ck_assert(str_starts_with("CENTRA_URL", "CENTRA_"));
    ck_assert(!str_starts_with("CENTR", "CENTRA_"));
}
END_TEST

/* Offset of str_find's result in hay, or -1 for NULL. */
static long
find_at(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    const char *p = str_find(hay, hlen, needle, nlen);

    if (p != NULL)
        ck_assert_msg(p >= hay && p + nlen <= hay + hlen, "result outside the haystack");
    return p != NULL ? (long)(p - hay) : -1;
}

START_TEST(find_locates_the_first_occurrence)
{
    ck_assert_int_eq(find_at("needle in hay", 13, "needle", 6), 0);
    ck_assert_int_eq(find_at("hay and needle", 14, "needle", 6), 8);
    ck_assert_int_eq(find_at("a needle, another needle", 24, "needle", 6), 2);
    ck_assert_int_eq(find_at("abc", 3, "c", 1), 2);
    ck_assert_int_eq(find_at("abc", 3, "abc", 3), 0);
    ck_assert_int_eq(find_at("hay only", 8, "needle", 6), -1);
    ck_assert_int_eq(find_at("abc", 3, "x", 1), -1);
}
END_TEST

START_TEST(find_respects_both_lengths)
{
    /* A match beyond hlen does not count, nor does one with more of needle than nlen. */
    ck_assert_int_eq(find_at("abcneedle", 6, "needle", 6), -1);
    ck_assert_int_eq(find_at("abcneedle", 8, "needle", 6), -1);
    ck_assert_int_eq(find_at("abcneedle", 9, "needle", 6), 3);
    ck_assert_int_eq(find_at("abcnee", 6, "needle", 3), 3);
    /* Needle longer than the haystack. */
    ck_assert_int_eq(find_at("nee", 3, "needle", 6), -1);
    ck_assert_int_eq(find_at("", 0, "a", 1), -1);
}
END_TEST

START_TEST(find_of_an_empty_needle_is_the_start)
{
    static const char hay[] = "abc";

    ck_assert_ptr_eq(str_find(hay, 3, "", 0), hay);
    ck_assert_ptr_eq(str_find(hay, 0, "", 0), hay);
}
END_TEST

START_TEST(find_skips_partial_matches)
{
    ck_assert_int_eq(find_at("aaab", 4, "aab", 3), 1);
    ck_assert_int_eq(find_at("abababc", 7, "ababc", 5), 2);
    ck_assert_int_eq(find_at("nenenedle needle", 16, "needle", 6), 10);
    ck_assert_int_eq(find_at("needl needl", 11, "needle", 6), -1);
    /* The first byte matches at the very end only. */
    ck_assert_int_eq(find_at("xxxxn", 5, "ne", 2), -1);
}
END_TEST

START_TEST(trimmed_copy_drops_white_space_around_only)
{
    static const char cell[] = " \t kind  of id \r\nrest";
    char *t = str_trimmed_copy(cell, sizeof(cell) - 1 - strlen("rest"));

    ck_assert_str_eq(t, "kind  of id");
    xfree(t);
    t = str_trimmed_copy("  \t ", 4);
    ck_assert_str_eq(t, "");
    xfree(t);
    t = str_trimmed_copy("abc", 2); /* only len bytes */
    ck_assert_str_eq(t, "ab");
    xfree(t);
}
END_TEST

START_TEST(find_handles_binary_data_with_nul_bytes)
{
    static const char hay[] = "a\0b\0\0c\0d";
    const size_t hlen = sizeof(hay) - 1;

    ck_assert_int_eq(find_at(hay, hlen, "\0c", 2), 4);
    ck_assert_int_eq(find_at(hay, hlen, "\0\0", 2), 3);
    ck_assert_int_eq(find_at(hay, hlen, "\0", 1), 1);
    ck_assert_int_eq(find_at(hay, hlen, "c\0d", 3), 5);
    ck_assert_int_eq(find_at(hay, hlen, "b\0\0c", 4), 2);
    ck_assert_int_eq(find_at(hay, hlen, "d\0", 2), -1);
    ck_assert_int_eq(find_at(hay, hlen, "\0\0\0", 3), -1);
    ck_assert_int_eq(find_at("\xFF\x80\xFF\xFE", 4, "\xFF\xFE", 2), 2);
}
END_TEST

static Suite *
strutil_suite(void)
{
    Suite *s = suite_create("strutil");
    TCase *tc = tcase_create("strutil");

    tcase_add_loop_test(tc, durations_parse_with_units, 0, (int)CB_LENGTH(duration_cases));
    tcase_add_test(tc, durations_format_in_the_largest_exact_unit);
    tcase_add_test(tc, sizes_parse_with_units_in_any_case);
    tcase_add_test(tc, sizes_format_in_the_largest_exact_unit);
    tcase_add_test(tc, integers_parse_whole_strings_only);
    tcase_add_test(tc, edit_distance_is_levenshtein);
    tcase_add_test(tc, closest_suggests_only_near_words);
    tcase_add_test(tc, lists_are_joined_as_prose);
    tcase_add_test(tc, errno_text_is_thread_safe_and_never_empty);
    tcase_add_test(tc, prefixes_are_matched);
    tcase_add_test(tc, find_locates_the_first_occurrence);
    tcase_add_test(tc, find_respects_both_lengths);
    tcase_add_test(tc, find_of_an_empty_needle_is_the_start);
    tcase_add_test(tc, find_skips_partial_matches);
    tcase_add_test(tc, find_handles_binary_data_with_nul_bytes);
    tcase_add_test(tc, trimmed_copy_drops_white_space_around_only);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(strutil_suite)
