/*
 * tests/unit/util/test_utf8.c
 *     UTF-8 validation and JSON string escaping.
 */
#include "centra/utf8.h"

#include <string.h>

#include "centra/json.h"
#include "testutil.h"

typedef struct Utf8Case {
    const char *bytes; /* input */
    size_t len;        /* its length */
    size_t prefix;     /* expected utf8_valid_prefix */
} Utf8Case;

static const Utf8Case utf8_cases[] = {
    {"A", 1, 1},
    {"\xC3\xA5", 2, 2},         /* å */
    {"\xE2\x82\xAC", 3, 3},     /* € */
    {"\xF0\x9F\x98\x80", 4, 4}, /* 😀 */
    {"\xC0\xAF", 2, 0},         /* overlong "/" */
    {"\xE0\x80\xAF", 3, 0},     /* overlong, three bytes */
    {"\xED\xA0\x80", 3, 0},     /* surrogate U+D800 */
    {"\xF4\x90\x80\x80", 4, 0}, /* above U+10FFFF */
    {"\xF5\x80\x80\x80", 4, 0}, /* invalid lead byte */
    {"\x80", 1, 0},             /* lone continuation */
    {"\xC3", 1, 0},             /* truncated */
    {"\xE2\x82", 2, 0},         /* truncated */
    {"\xE2\x28\xA1", 3, 0},     /* bad continuation */
    {"\xFF", 1, 0},
};

START_TEST(sequences_are_validated_per_rfc_3629)
{
    const Utf8Case *c = &utf8_cases[_i];

    ck_assert_uint_eq(utf8_valid_prefix((const unsigned char *)c->bytes, c->len), c->prefix);
}
END_TEST

START_TEST(whole_strings_are_validated)
{
    ck_assert(utf8_is_valid("Ständer & 😀", strlen("Ständer & 😀")));
    ck_assert(utf8_is_valid("", 0));
    ck_assert(!utf8_is_valid("ok\xFFok", 5));
}
END_TEST

START_TEST(scrubbing_replaces_each_stray_byte_and_keeps_characters)
{
    char s[] = "a\xC3\xA5\xC3\xFF\xE2\x82\xF0\x9F\x98\x80\x80z";

    ck_assert_uint_eq(utf8_scrub(s, strlen(s)), 5);
    ck_assert_str_eq(s, "a\xC3\xA5????\xF0\x9F\x98\x80?z");
    ck_assert_uint_eq(utf8_scrub(s, strlen(s)), 0);
}
END_TEST

static char *
escaped(const char *s, size_t len)
{
    static DynBuf b;

    dynbuf_free(&b);
    dynbuf_init(&b, 1024);
    ck_assert_int_eq(json_append_stringn(&b, s, len), ERR_OK);
    return (char *)(uintptr_t)dynbuf_str(&b);
}

START_TEST(json_strings_escape_what_json_requires)
{
    ck_assert_str_eq(escaped("plain", 5), "\"plain\"");
    ck_assert_str_eq(escaped("\"\\", 2), "\"\\\"\\\\\"");
    ck_assert_str_eq(escaped("\n\r\t\x01\x1f", 5), "\"\\n\\r\\t\\u0001\\u001f\"");
    ck_assert_str_eq(escaped("a\0b", 3), "\"a\\u0000b\"");
    ck_assert_str_eq(escaped("/ < > &", 7), "\"/ < > &\"");
}
END_TEST

START_TEST(json_strings_keep_utf8_and_replace_invalid_bytes)
{
    ck_assert_str_eq(escaped("\xC3\xA5\xF0\x9F\x98\x80", 6), "\"\xC3\xA5\xF0\x9F\x98\x80\"");
    ck_assert_str_eq(escaped("x\xFFy\xC3", 4), "\"x" UTF8_REPLACEMENT "y" UTF8_REPLACEMENT "\"");
}
END_TEST

START_TEST(json_strings_respect_the_buffer_cap)
{
    DynBuf b;

    dynbuf_init(&b, 4);
    ck_assert_int_eq(json_append_string(&b, "abcdef"), ERR_TOO_BIG);
    dynbuf_free(&b);
}
END_TEST

static Suite *
utf8_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *utf8 = tcase_create("utf8");
    TCase *json = tcase_create("json");

    tcase_add_loop_test(utf8, sequences_are_validated_per_rfc_3629, 0, (int)CB_LENGTH(utf8_cases));
    tcase_add_test(utf8, whole_strings_are_validated);
    tcase_add_test(utf8, scrubbing_replaces_each_stray_byte_and_keeps_characters);
    tcase_add_test(json, json_strings_escape_what_json_requires);
    tcase_add_test(json, json_strings_keep_utf8_and_replace_invalid_bytes);
    tcase_add_test(json, json_strings_respect_the_buffer_cap);
    suite_add_tcase(s, utf8);
    suite_add_tcase(s, json);
    return s;
}

CB_TEST_MAIN(utf8_suite)
