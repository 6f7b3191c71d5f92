/*
 * tests/unit/util/test_dynbuf.c
 *     The capped growable buffer.
 */
#include "centra/dynbuf.h"

#include <string.h>

#include "centra/alloc.h"
#include "testutil.h"

START_TEST(empty_buffer_reads_as_empty_string)
{
    DynBuf b;

    dynbuf_init(&b, 10);
    ck_assert_str_eq(dynbuf_str(&b), "");
    ck_assert_uint_eq(dynbuf_len(&b), 0);
    dynbuf_free(&b);
}
END_TEST

START_TEST(add_appends_and_terminates)
{
    DynBuf b;

    dynbuf_init(&b, 1000);
    ck_assert_int_eq(dynbuf_addstr(&b, "abc"), ERR_OK);
    ck_assert_int_eq(dynbuf_addc(&b, '-'), ERR_OK);
    ck_assert_int_eq(dynbuf_add(&b, "xyz", 2), ERR_OK);
    ck_assert_int_eq(dynbuf_addf(&b, "%d/%s", 42, "q"), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "abc-xy42/q");
    ck_assert_uint_eq(dynbuf_len(&b), 10);
    dynbuf_free(&b);
}
END_TEST

START_TEST(the_cap_is_exact)
{
    DynBuf b;

    dynbuf_init(&b, 5);
    ck_assert_int_eq(dynbuf_addstr(&b, "12345"), ERR_OK);
    ck_assert_int_eq(dynbuf_addc(&b, '6'), ERR_TOO_BIG);
    ck_assert_str_eq(dynbuf_str(&b), "12345");
    dynbuf_reset(&b);
    ck_assert_int_eq(dynbuf_addstr(&b, "123456"), ERR_TOO_BIG);
    ck_assert_str_eq(dynbuf_str(&b), "");
    ck_assert_int_eq(dynbuf_addf(&b, "%s", "123456"), ERR_TOO_BIG);
    ck_assert_uint_eq(dynbuf_len(&b), 0);
    dynbuf_free(&b);
}
END_TEST

START_TEST(growth_never_allocates_beyond_the_cap)
{
    DynBuf b;

    dynbuf_init(&b, 100);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(dynbuf_addc(&b, 'x'), ERR_OK);
    ck_assert_uint_le(b.alloc, 101);
    ck_assert_int_eq(dynbuf_addc(&b, 'x'), ERR_TOO_BIG);
    dynbuf_free(&b);
}
END_TEST

START_TEST(large_appends_grow_geometrically)
{
    DynBuf b;
    char chunk[1000];
    unsigned long before;

    memset(chunk, 'z', sizeof(chunk));
    dynbuf_init(&b, 10 * 1000 * 1000);
    before = alloc_count();
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(dynbuf_add(&b, chunk, sizeof(chunk)), ERR_OK);
    /* 10 MB in 1 kB appends: about log2(10 MB / 64 B) = 18 reallocations. */
    ck_assert_uint_lt(alloc_count() - before, 30);
    ck_assert_uint_eq(dynbuf_len(&b), 10 * 1000 * 1000);
    dynbuf_free(&b);
}
END_TEST

START_TEST(take_hands_over_and_empties)
{
    DynBuf b;
    char *s;

    dynbuf_init(&b, 100);
    s = dynbuf_take(&b);
    ck_assert_str_eq(s, "");
    xfree(s);
    ck_assert_int_eq(dynbuf_addstr(&b, "hello"), ERR_OK);
    s = dynbuf_take(&b);
    ck_assert_str_eq(s, "hello");
    ck_assert_uint_eq(dynbuf_len(&b), 0);
    ck_assert_int_eq(dynbuf_addstr(&b, "again"), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "again");
    xfree(s);
    dynbuf_free(&b);
}
END_TEST

START_TEST(truncate_shortens_only)
{
    DynBuf b;

    dynbuf_init(&b, 100);
    ck_assert_int_eq(dynbuf_addstr(&b, "abcdef"), ERR_OK);
    dynbuf_truncate(&b, 10);
    ck_assert_str_eq(dynbuf_str(&b), "abcdef");
    dynbuf_truncate(&b, 3);
    ck_assert_str_eq(dynbuf_str(&b), "abc");
    dynbuf_free(&b);
}
END_TEST

START_TEST(binary_data_with_nul_bytes_is_kept)
{
    DynBuf b;

    dynbuf_init(&b, 100);
    ck_assert_int_eq(dynbuf_add(&b, "a\0b", 3), ERR_OK);
    ck_assert_uint_eq(dynbuf_len(&b), 3);
    ck_assert_int_eq(memcmp(dynbuf_str(&b), "a\0b", 4), 0);
    dynbuf_free(&b);
}
END_TEST

static Suite *
dynbuf_suite(void)
{
    Suite *s = suite_create("dynbuf");
    TCase *tc = tcase_create("dynbuf");

    tcase_add_test(tc, empty_buffer_reads_as_empty_string);
    tcase_add_test(tc, add_appends_and_terminates);
    tcase_add_test(tc, the_cap_is_exact);
    tcase_add_test(tc, growth_never_allocates_beyond_the_cap);
    tcase_add_test(tc, large_appends_grow_geometrically);
    tcase_add_test(tc, take_hands_over_and_empties);
    tcase_add_test(tc, truncate_shortens_only);
    tcase_add_test(tc, binary_data_with_nul_bytes_is_kept);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(dynbuf_suite)
