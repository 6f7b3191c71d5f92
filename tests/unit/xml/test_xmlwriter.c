/*
 * tests/unit/xml/test_xmlwriter.c
 *     The XML writer: exact output, indentation, escaping, refusal of text
 *     XML 1.0 cannot carry, sticky errors and the output cap.
 */
#include "centra/xmlwriter.h"

#include <limits.h>
#include <string.h>

#include "testutil.h"

#define BIG_CAP (1024 * 1024) /* a cap no test here reaches */

/* --- output ------------------------------------------------------------------ */

START_TEST(unprefixed_output_without_indentation)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, NULL, false, 0);
    xw_open(&w, "Envelope");
    xw_open(&w, "Body");
    xw_leaf(&w, "a", "1");
    xw_leaf(&w, "b", NULL);
    xw_close(&w, "Body");
    xw_close(&w, "Envelope");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<Envelope><Body><a>1</a><b/></Body></Envelope>");
    dynbuf_free(&b);
}
END_TEST

START_TEST(prefixed_output_without_indentation)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, "soap", false, 0);
    xw_open(&w, "Envelope");
    xw_leaf(&w, "a", "1");
    xw_leaf(&w, "b", "");
    xw_close(&w, "Envelope");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<soap:Envelope><soap:a>1</soap:a><soap:b/></soap:Envelope>");
    dynbuf_free(&b);
}
END_TEST

START_TEST(an_empty_prefix_means_none)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, "", false, 0);
    xw_leaf(&w, "a", "1");
    ck_assert_str_eq(dynbuf_str(&b), "<a>1</a>");
    ck_assert_ptr_null(w.prefix);
    ck_assert_uint_eq(w.prefix_len, 0);
    dynbuf_free(&b);
}
END_TEST

START_TEST(prefixed_output_with_indentation)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, "p", true, 0);
    xw_open(&w, "a");
    xw_leaf(&w, "b", "x");
    xw_open(&w, "c");
    xw_leaf(&w, "d", NULL);
    xw_leafi(&w, "e", 7);
    xw_close(&w, "c");
    xw_close(&w, "a");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<p:a>\n"
                                     "  <p:b>x</p:b>\n"
                                     "  <p:c>\n"
                                     "    <p:d/>\n"
                                     "    <p:e>7</p:e>\n"
                                     "  </p:c>\n"
                                     "</p:a>\n");
    dynbuf_free(&b);
}
END_TEST

START_TEST(unprefixed_output_with_indentation_from_a_starting_depth)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, NULL, true, 2);
    xw_open(&w, "a");
    xw_leaf(&w, "b", "x");
    xw_close(&w, "a");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "    <a>\n"
                                     "      <b>x</b>\n"
                                     "    </a>\n");
    ck_assert_int_eq(w.depth, 2);
    dynbuf_free(&b);
}
END_TEST

/* Indentation is written in chunks of 32 levels: cross 32 and 64 and land on them. */
START_TEST(deep_nesting_is_indented_two_spaces_per_level)
{
    enum { DEPTH = 70 };
    DynBuf b;
    DynBuf want;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    dynbuf_init(&want, BIG_CAP);
    xw_init(&w, &b, "p", true, 0);
    for (int i = 0; i < DEPTH; i++) {
        xw_open(&w, "n");
        for (int j = 0; j < i; j++)
            ck_assert_int_eq(dynbuf_addstr(&want, "  "), ERR_OK);
        ck_assert_int_eq(dynbuf_addstr(&want, "<p:n>\n"), ERR_OK);
    }
    xw_leaf(&w, "leaf", "v");
    for (int j = 0; j < DEPTH; j++)
        ck_assert_int_eq(dynbuf_addstr(&want, "  "), ERR_OK);
    ck_assert_int_eq(dynbuf_addstr(&want, "<p:leaf>v</p:leaf>\n"), ERR_OK);
    for (int i = DEPTH - 1; i >= 0; i--) {
        xw_close(&w, "n");
        for (int j = 0; j < i; j++)
            ck_assert_int_eq(dynbuf_addstr(&want, "  "), ERR_OK);
        ck_assert_int_eq(dynbuf_addstr(&want, "</p:n>\n"), ERR_OK);
    }
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_int_eq(w.depth, 0);
    ck_assert_str_eq(dynbuf_str(&b), dynbuf_str(&want));
    /* Spot checks at the chunk boundaries. */
    ck_assert_contains(dynbuf_str(&b), "\n" /* depth 32: exactly one chunk */
                                       "                                "
                                       "                                <p:n>\n"
                                       "                                "
                                       "                                  <p:n>\n");
    dynbuf_free(&b);
    dynbuf_free(&want);
}
END_TEST

START_TEST(without_indentation_depth_adds_nothing)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, NULL, false, 40);
    xw_open(&w, "a");
    xw_leaf(&w, "b", "x");
    xw_close(&w, "a");
    ck_assert_str_eq(dynbuf_str(&b), "<a><b>x</b></a>");
    dynbuf_free(&b);
}
END_TEST

START_TEST(open_attr_writes_one_escaped_attribute)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, "p", true, 0);
    xw_open_attr(&w, "Envelope", "xmlns:p", "urn:a&b<c>\"d\"'e'\r");
    xw_leaf(&w, "x", "1");
    xw_close(&w, "Envelope");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b),
                     "<p:Envelope xmlns:p=\"urn:a&amp;b&lt;c&gt;&quot;d&quot;'e'&#13;\">\n"
                     "  <p:x>1</p:x>\n"
                     "</p:Envelope>\n");
    dynbuf_free(&b);
}
END_TEST

START_TEST(open_attr_with_an_empty_value)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, NULL, false, 0);
    xw_open_attr(&w, "a", "x", "");
    xw_open_attr(&w, "b", NULL, NULL);
    xw_close(&w, "b");
    xw_close(&w, "a");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<a x=\"\"><b></b></a>");
    dynbuf_free(&b);
}
END_TEST

START_TEST(open_attr_refuses_a_value_xml_cannot_carry)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, NULL, false, 0);
    xw_open_attr(&w, "a", "x", "bad\x01");
    ck_assert_int_eq(xw_status(&w), ERR_DATA);
    dynbuf_free(&b);
}
END_TEST

START_TEST(a_leaf_without_text_is_self_closing)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, "p", false, 0);
    xw_leaf(&w, "x", NULL);
    xw_leaf(&w, "x", "");
    xw_leafn(&w, "x", "ignored", 0);
    xw_leafn(&w, "x", NULL, 5);
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<p:x/><p:x/><p:x/><p:x/>");
    dynbuf_free(&b);
}
END_TEST

START_TEST(leafn_writes_exactly_len_bytes)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, NULL, false, 0);
    xw_leafn(&w, "x", "abc&def", 4);
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<x>abc&amp;</x>");
    dynbuf_free(&b);
}
END_TEST

START_TEST(leafi_writes_decimal_integers)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, "p", false, 0);
    xw_leafi(&w, "i", 0);
    xw_leafi(&w, "i", 7);
    xw_leafi(&w, "i", -1);
    xw_leafi(&w, "i", 1234567890);
    xw_leafi(&w, "i", -1000);
    xw_leafi(&w, "i", LLONG_MAX);
    xw_leafi(&w, "i", LLONG_MIN);
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<p:i>0</p:i>"
                                     "<p:i>7</p:i>"
                                     "<p:i>-1</p:i>"
                                     "<p:i>1234567890</p:i>"
                                     "<p:i>-1000</p:i>"
                                     "<p:i>9223372036854775807</p:i>"
                                     "<p:i>-9223372036854775808</p:i>");
    dynbuf_free(&b);
}
END_TEST

START_TEST(leaff_formats_and_escapes)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, NULL, false, 0);
    xw_leaff(&w, "f", "%d-%s", 42, "a<b");
    xw_leaff(&w, "g", "%s", "");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<f>42-a&lt;b</f><g/>");
    dynbuf_free(&b);
}
END_TEST

/* The formatted text has a 512-byte buffer: 511 bytes fit, 512 do not. */
START_TEST(leaff_refuses_over_long_text)
{
    DynBuf b;
    XmlWriter w;
    char text[513];
    size_t len;

    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, NULL, false, 0);
    xw_leaff(&w, "f", "%.511s", text);
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_uint_eq(dynbuf_len(&b), 511 + strlen("<f></f>"));
    len = dynbuf_len(&b);
    xw_leaff(&w, "f", "%s", text);
    ck_assert_int_eq(xw_status(&w), ERR_TOO_BIG);
    ck_assert_uint_eq(dynbuf_len(&b), len);
    ck_assert_str_eq(xw_error(&w), "document exceeds its size limit");
    /* Sticky: nothing more is written. */
    xw_leaf(&w, "g", "x");
    ck_assert_uint_eq(dynbuf_len(&b), len);
    dynbuf_free(&b);
}
END_TEST

START_TEST(raw_markup_is_appended_as_is)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, "p", true, 1);
    xw_raw(&w, "<q:stored a=\"1\">&amp;</q:stored>XYZ", 32);
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<q:stored a=\"1\">&amp;</q:stored>");
    dynbuf_free(&b);
}
END_TEST

/* --- escaping ------------------------------------------------------------------ */

START_TEST(markup_characters_and_cr_are_escaped)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, NULL, false, 0);
    xw_leaf(&w, "t", "a&b<c>d\"e'f\rg\th\ni");
    xw_leaf(&w, "t", "&&");
    xw_leaf(&w, "t", "<");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<t>a&amp;b&lt;c&gt;d&quot;e'f&#13;g\th\ni</t>"
                                     "<t>&amp;&amp;</t>"
                                     "<t>&lt;</t>");
    dynbuf_free(&b);
}
END_TEST

START_TEST(utf8_text_passes_through_unchanged)
{
    /* é, €, 😀, U+FFFD, U+D7FF, U+E000, U+1FFFF, U+10FFFF, DEL */
    static const char text[] = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD "
                               "\xED\x9F\xBF \xEE\x80\x80 \xF0\x9F\xBF\xBF \xF4\x8F\xBF\xBF \x7F";
    DynBuf b;
    DynBuf want;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    dynbuf_init(&want, BIG_CAP);
    xw_init(&w, &b, NULL, false, 0);
    xw_leaf(&w, "t", text);
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_int_eq(dynbuf_addf(&want, "<t>%s</t>", text), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), dynbuf_str(&want));
    ck_assert(xml_text_valid(text, sizeof(text) - 1, NULL));
    dynbuf_free(&b);
    dynbuf_free(&want);
}
END_TEST

START_TEST(escape_stops_at_len)
{
    DynBuf b;
    size_t bad = 99;

    dynbuf_init(&b, BIG_CAP);
    ck_assert_int_eq(xml_escape(&b, "a&b\x01", 2, &bad), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "a&amp;");
    ck_assert_uint_eq(bad, 99);
    ck_assert_int_eq(xml_escape(&b, "", 0, NULL), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "a&amp;");
    dynbuf_free(&b);
}
END_TEST

/* --- refusal ------------------------------------------------------------------- */

typedef struct BadCase {
    const char *bytes; /* the offending sequence */
    size_t len;        /* its length */
    const char *what;  /* for failure messages */
} BadCase;

static const BadCase bad_cases[] = {
    {"\x00", 1, "NUL"},
    {"\x01", 1, "control character 0x01"},
    {"\x08", 1, "backspace"},
    {"\x0B", 1, "vertical tab"},
    {"\x0C", 1, "form feed"},
    {"\x1F", 1, "control character 0x1F"},
    {"\x80", 1, "lone continuation byte"},
    {"\xBF", 1, "lone continuation byte 0xBF"},
    {"\xC3", 1, "truncated two-byte sequence"},
    {"\xC3\x28", 2, "bad continuation"},
    {"\xC0\xAF", 2, "overlong \"/\" in two bytes"},
    {"\xC1\xBF", 2, "overlong in two bytes"},
    {"\xE0\x80\xAF", 3, "overlong \"/\" in three bytes"},
    {"\xE0\x9F\xBF", 3, "overlong U+07FF"},
    {"\xF0\x80\x80\xAF", 4, "overlong \"/\" in four bytes"},
    {"\xF0\x8F\xBF\xBF", 4, "overlong U+FFFF"},
    {"\xED\xA0\x80", 3, "surrogate U+D800"},
    {"\xED\xBF\xBF", 3, "surrogate U+DFFF"},
    {"\xED\xA0\xBD\xED\xB8\x80", 6, "surrogate pair (CESU-8)"},
    {"\xF4\x90\x80\x80", 4, "above U+10FFFF"},
    {"\xF5\x80\x80\x80", 4, "invalid lead byte 0xF5"},
    {"\xFE", 1, "invalid byte 0xFE"},
    {"\xFF", 1, "invalid byte 0xFF"},
    {"\xE2\x82", 2, "truncated three-byte sequence"},
    {"\xEF\xBF\xBE", 3, "noncharacter U+FFFE"},
    {"\xEF\xBF\xBF", 3, "noncharacter U+FFFF"},
};

/* "ok" + the bad bytes + "tail": the offending offset is 2. */
static size_t
bad_text(const BadCase *c, char *buf, size_t size)
{
    size_t len = 2 + c->len + 4;

    ck_assert_uint_le(len, size);
    memcpy(buf, "ok", 2);
    memcpy(buf + 2, c->bytes, c->len);
    memcpy(buf + 2 + c->len, "tail", 4);
    return len;
}

START_TEST(text_xml_cannot_carry_is_refused)
{
    const BadCase *c = &bad_cases[_i];
    char text[32];
    size_t len = bad_text(c, text, sizeof(text));
    size_t bad = 99;
    DynBuf b;

    ck_assert_msg(!xml_text_valid(text, len, &bad), "%s accepted", c->what);
    ck_assert_msg(bad == 2, "%s: bad offset %zu", c->what, bad);
    ck_assert_msg(!xml_text_valid(text, len, NULL), "%s accepted", c->what);
    dynbuf_init(&b, BIG_CAP);
    bad = 99;
    ck_assert_msg(xml_escape(&b, text, len, &bad) == ERR_DATA, "%s escaped", c->what);
    ck_assert_msg(bad == 2, "%s: bad offset %zu", c->what, bad);
    ck_assert_msg(xml_escape(&b, text, len, NULL) == ERR_DATA, "%s escaped", c->what);
    dynbuf_free(&b);
}
END_TEST

START_TEST(the_writer_refuses_such_text_and_stays_failed)
{
    const BadCase *c = &bad_cases[_i];
    char text[32];
    size_t len = bad_text(c, text, sizeof(text));
    DynBuf b;
    XmlWriter w;
    size_t before;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, "p", true, 0);
    xw_open(&w, "a");
    xw_leafn(&w, "t", text, len);
    ck_assert_msg(xw_status(&w) == ERR_DATA, "%s: status %d", c->what, xw_status(&w));
    ck_assert_str_eq(xw_error(&w), "text holds characters XML 1.0 cannot carry");
    /* Sticky: later calls write nothing and do not change the error. */
    before = dynbuf_len(&b);
    xw_leaf(&w, "u", "fine");
    xw_leafi(&w, "i", 1);
    xw_leaff(&w, "f", "%d", 2);
    xw_open_attr(&w, "o", "x", "y");
    xw_close(&w, "o");
    xw_raw(&w, "<r/>", 4);
    xw_close(&w, "a");
    ck_assert_uint_eq(dynbuf_len(&b), before);
    ck_assert_int_eq(xw_status(&w), ERR_DATA);
    /* Nothing after the offending byte reached the output. */
    ck_assert_not_contains(dynbuf_str(&b), "tail");
    dynbuf_free(&b);
}
END_TEST

START_TEST(tab_newline_and_cr_are_allowed)
{
    size_t bad = 99;

    ck_assert(xml_text_valid("a\tb\nc\rd", 7, &bad));
    ck_assert_uint_eq(bad, 99);
    ck_assert(xml_text_valid(" ~", 2, NULL));
    ck_assert(xml_text_valid("", 0, &bad));
    ck_assert_uint_eq(bad, 99);
}
END_TEST

START_TEST(text_valid_reports_the_first_bad_offset)
{
    size_t bad = 0;

    ck_assert(!xml_text_valid("\xC3\xA9\xE2\x82\xAC!\x02\x03", 8, &bad));
    ck_assert_uint_eq(bad, 6);
    /* A sequence cut off by len is refused at its start. */
    ck_assert(!xml_text_valid("ab\xE2\x82\xAC", 4, &bad));
    ck_assert_uint_eq(bad, 2);
    ck_assert(xml_text_valid("ab\xE2\x82\xAC", 5, &bad));
}
END_TEST

START_TEST(escape_writes_the_text_before_a_refused_byte_only)
{
    DynBuf b;
    size_t bad = 0;

    dynbuf_init(&b, BIG_CAP);
    ck_assert_int_eq(xml_escape(&b, "a&b\x01z", 5, &bad), ERR_DATA);
    ck_assert_uint_eq(bad, 3);
    ck_assert_not_contains(dynbuf_str(&b), "z");
    dynbuf_free(&b);
}
END_TEST

/* --- size limit ------------------------------------------------------------------ */

START_TEST(the_output_cap_is_exact)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, 4);
    xw_init(&w, &b, NULL, false, 0);
    xw_leaf(&w, "a", NULL);
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<a/>");
    xw_raw(&w, "x", 1);
    ck_assert_int_eq(xw_status(&w), ERR_TOO_BIG);
    ck_assert_str_eq(dynbuf_str(&b), "<a/>");
    dynbuf_free(&b);

    dynbuf_init(&b, 3);
    xw_init(&w, &b, NULL, false, 0);
    xw_leaf(&w, "a", NULL);
    ck_assert_int_eq(xw_status(&w), ERR_TOO_BIG);
    ck_assert_uint_le(dynbuf_len(&b), 3);
    dynbuf_free(&b);
}
END_TEST

/* "<a>&amp;</a>" is 12 bytes: the escaped text counts against the cap. */
START_TEST(escaped_text_counts_against_the_cap)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, 12);
    xw_init(&w, &b, NULL, false, 0);
    xw_leaf(&w, "a", "&");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "<a>&amp;</a>");
    dynbuf_free(&b);

    dynbuf_init(&b, 11);
    xw_init(&w, &b, NULL, false, 0);
    xw_leaf(&w, "a", "&");
    ck_assert_int_eq(xw_status(&w), ERR_TOO_BIG);
    ck_assert_uint_le(dynbuf_len(&b), 11);
    dynbuf_free(&b);

    /* The text itself overflows, not the tags. */
    dynbuf_init(&b, 20);
    xw_init(&w, &b, NULL, false, 0);
    xw_leaf(&w, "a", "0123456789abcdefghij");
    ck_assert_int_eq(xw_status(&w), ERR_TOO_BIG);
    ck_assert_str_eq(dynbuf_str(&b), "<a>");
    ck_assert_str_eq(xw_error(&w), "document exceeds its size limit");
    dynbuf_free(&b);
}
END_TEST

START_TEST(too_big_is_sticky_and_not_replaced_by_later_errors)
{
    DynBuf b;
    XmlWriter w;
    size_t len;

    dynbuf_init(&b, 16);
    xw_init(&w, &b, "p", false, 0);
    xw_open(&w, "Envelope");
    xw_open(&w, "Body");
    ck_assert_int_eq(xw_status(&w), ERR_TOO_BIG);
    len = dynbuf_len(&b);
    ck_assert_uint_le(len, 16);
    xw_leaf(&w, "t", "\x01");
    xw_open_attr(&w, "o", "x", "\xFF");
    ck_assert_int_eq(xw_status(&w), ERR_TOO_BIG);
    ck_assert_uint_eq(dynbuf_len(&b), len);
    dynbuf_free(&b);
}
END_TEST

START_TEST(escape_reports_too_big)
{
    DynBuf b;

    /* A reference that does not fit. */
    dynbuf_init(&b, 5);
    ck_assert_int_eq(xml_escape(&b, "ab<", 3, NULL), ERR_TOO_BIG);
    ck_assert_uint_le(dynbuf_len(&b), 5);
    dynbuf_free(&b);
    /* Plain text after the last reference that does not fit. */
    dynbuf_init(&b, 6);
    ck_assert_int_eq(xml_escape(&b, "&abc", 4, NULL), ERR_TOO_BIG);
    ck_assert_uint_le(dynbuf_len(&b), 6);
    dynbuf_free(&b);
    /* Exactly at the cap. */
    dynbuf_init(&b, 8);
    ck_assert_int_eq(xml_escape(&b, "&abc", 4, NULL), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&b), "&amp;abc");
    dynbuf_free(&b);
}
END_TEST

START_TEST(error_messages_name_the_first_error)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, NULL, false, 0);
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(xw_error(&w), "no error");
    xw_leaf(&w, "t", "\xEF\xBF\xBF");
    ck_assert_int_eq(xw_status(&w), ERR_DATA);
    ck_assert_str_eq(xw_error(&w), "text holds characters XML 1.0 cannot carry");
    /* xw_init starts over. */
    xw_init(&w, &b, NULL, false, 0);
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(xw_error(&w), "no error");
    dynbuf_free(&b);
}
END_TEST

static Suite *
xmlwriter_suite(void)
{
    Suite *s = suite_create("xmlwriter");
    TCase *output = tcase_create("output");
    TCase *escaping = tcase_create("escaping");
    TCase *refusal = tcase_create("refusal");
    TCase *limit = tcase_create("limit");

    tcase_add_test(output, unprefixed_output_without_indentation);
    tcase_add_test(output, prefixed_output_without_indentation);
    tcase_add_test(output, an_empty_prefix_means_none);
    tcase_add_test(output, prefixed_output_with_indentation);
    tcase_add_test(output, unprefixed_output_with_indentation_from_a_starting_depth);
    tcase_add_test(output, deep_nesting_is_indented_two_spaces_per_level);
    tcase_add_test(output, without_indentation_depth_adds_nothing);
    tcase_add_test(output, open_attr_writes_one_escaped_attribute);
    tcase_add_test(output, open_attr_with_an_empty_value);
    tcase_add_test(output, open_attr_refuses_a_value_xml_cannot_carry);
    tcase_add_test(output, a_leaf_without_text_is_self_closing);
    tcase_add_test(output, leafn_writes_exactly_len_bytes);
    tcase_add_test(output, leafi_writes_decimal_integers);
    tcase_add_test(output, leaff_formats_and_escapes);
    tcase_add_test(output, leaff_refuses_over_long_text);
    tcase_add_test(output, raw_markup_is_appended_as_is);
    tcase_add_test(escaping, markup_characters_and_cr_are_escaped);
    tcase_add_test(escaping, utf8_text_passes_through_unchanged);
    tcase_add_test(escaping, escape_stops_at_len);
    tcase_add_loop_test(refusal, text_xml_cannot_carry_is_refused, 0, (int)CB_LENGTH(bad_cases));
    tcase_add_loop_test(refusal, the_writer_refuses_such_text_and_stays_failed, 0,
                        (int)CB_LENGTH(bad_cases));
    tcase_add_test(refusal, tab_newline_and_cr_are_allowed);
    tcase_add_test(refusal, text_valid_reports_the_first_bad_offset);
    tcase_add_test(refusal, escape_writes_the_text_before_a_refused_byte_only);
    tcase_add_test(limit, the_output_cap_is_exact);
    tcase_add_test(limit, escaped_text_counts_against_the_cap);
    tcase_add_test(limit, too_big_is_sticky_and_not_replaced_by_later_errors);
    tcase_add_test(limit, escape_reports_too_big);
    tcase_add_test(limit, error_messages_name_the_first_error);
    suite_add_tcase(s, output);
    suite_add_tcase(s, escaping);
    suite_add_tcase(s, refusal);
    suite_add_tcase(s, limit);
    return s;
}

CB_TEST_MAIN(xmlwriter_suite)
