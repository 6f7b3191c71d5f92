/*
 * tests/unit/xml/test_jsonxml.c
 *     An outbox payload's JSON as XML: exact output for every rule, exact
 *     refusals with byte and key path, the depth cap, the output cap, and
 *     that a refused or truncated payload leaves the writer as it was.
 */
#include "centra/jsonxml.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "centra/alloc.h"
#include "testutil.h"

#define BIG_CAP (1024 * 1024) /* a cap no test here reaches, unless it says so */
#define BEFORE  "<before/>"   /* what the buffer holds before the payload */

static DynBuf out;
static XmlWriter w;
static Error err;

static void
setup(void)
{
    dynbuf_init(&out, BIG_CAP);
    xw_init(&w, &out, NULL, false, 0);
    err_reset(&err);
}

static void
teardown(void)
{
    dynbuf_free(&out);
}

/* Write json as the item "order"; the payload is NUL-terminated here. */
static ErrKind
write_order(const char *json)
{
    return jsonxml_write(&w, "order", json, strlen(json), &err);
}

/* Assert that json is written as exactly xml. */
static void
assert_xml(const char *json, const char *xml)
{
    ErrKind rc;

    dynbuf_reset(&out);
    rc = write_order(json);
    ck_assert_msg(rc == ERR_OK, "%s: %s (%s)", json, err.message, err.detail);
    ck_assert_str_eq(dynbuf_str(&out), xml);
    ck_assert_int_eq(w.depth, 0);
}

/*
 * Assert that len bytes of json are refused with ERR_DATA and exactly this
 * message, byte and path, and that the buffer still holds only BEFORE.
 */
static void
assert_refused_n(const char *json, size_t len, const char *what, size_t at, const char *path)
{
    char message[ERR_MESSAGE_MAX];
    char detail[ERR_DETAIL_MAX];
    int depth = w.depth;
    ErrKind rc;

    dynbuf_reset(&out);
    ck_assert_int_eq(dynbuf_addstr(&out, BEFORE), ERR_OK);
    rc = jsonxml_write(&w, "order", json, len, &err);
    ck_assert_msg(rc == ERR_DATA, "%s: accepted as %s", json, dynbuf_str(&out));
    snprintf(message, sizeof(message), "invalid outbox payload: %s", what);
    snprintf(detail, sizeof(detail), "The error is at byte %zu of the payload, in \"%s\".", at,
             path);
    ck_assert_str_eq(err.message, message);
    ck_assert_str_eq(err.detail, detail);
    ck_assert_str_eq(dynbuf_str(&out), BEFORE);
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_int_eq(w.depth, depth);
}

static void
assert_refused(const char *json, const char *what, size_t at, const char *path)
{
    assert_refused_n(json, strlen(json), what, at, path);
}

/* --- output ------------------------------------------------------------------ */

START_TEST(members_become_elements_in_order)
{
    assert_xml("{\"id\":\"30\",\"status\":\"confirmed\"}",
               "<order><id>30</id><status>confirmed</status></order>");
}
END_TEST

START_TEST(the_writer_prefix_is_on_every_element)
{
    xw_init(&w, &out, "ns1", false, 0);
    assert_xml("{\"id\":\"30\",\"status\":\"confirmed\",\"line\":[{\"qty\":1}]}",
               "<ns1:order><ns1:id>30</ns1:id><ns1:status>confirmed</ns1:status>"
               "<ns1:line><ns1:qty>1</ns1:qty></ns1:line></ns1:order>");
}
END_TEST

START_TEST(the_writer_indentation_is_kept)
{
    xw_init(&w, &out, "ns1", true, 2);
    dynbuf_reset(&out);
    ck_assert_int_eq(write_order("{\"id\":\"30\",\"customer\":{\"name\":\"A\"},\"e\":{}}"), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&out), "    <ns1:order>\n"
                                       "      <ns1:id>30</ns1:id>\n"
                                       "      <ns1:customer>\n"
                                       "        <ns1:name>A</ns1:name>\n"
                                       "      </ns1:customer>\n"
                                       "      <ns1:e/>\n"
                                       "    </ns1:order>\n");
    ck_assert_int_eq(w.depth, 2);
}
END_TEST

START_TEST(objects_nest)
{
    assert_xml("{\"customer\":{\"name\":\"A\",\"address\":{\"city\":\"B\",\"zip\":\"1\"}},"
               "\"id\":7}",
               "<order><customer><name>A</name><address><city>B</city><zip>1</zip></address>"
               "</customer><id>7</id></order>");
}
END_TEST

START_TEST(an_array_of_objects_repeats_the_element)
{
    assert_xml("{\"line\":[{\"sku\":\"A\",\"qty\":1},{\"sku\":\"B\",\"qty\":2}],\"id\":1}",
               "<order><line><sku>A</sku><qty>1</qty></line>"
               "<line><sku>B</sku><qty>2</qty></line><id>1</id></order>");
}
END_TEST

START_TEST(an_array_of_scalars_repeats_the_element)
{
    assert_xml("{\"tag\":[\"a\",\"b\",3,true,false,null,{}]}",
               "<order><tag>a</tag><tag>b</tag><tag>3</tag><tag>true</tag><tag>false</tag>"
               "<tag/><tag/></order>");
}
END_TEST

START_TEST(an_empty_array_writes_nothing)
{
    assert_xml("{\"a\":[],\"b\":1,\"c\":[ ]}", "<order><b>1</b></order>");
    assert_xml("{\"a\":[]}", "<order></order>");
}
END_TEST

START_TEST(an_empty_object_is_an_empty_element)
{
    assert_xml("{}", "<order/>");
    assert_xml(" { \n } ", "<order/>");
    assert_xml("{\"a\":{},\"b\":{ }}", "<order><a/><b/></order>");
}
END_TEST

START_TEST(null_true_and_false)
{
    assert_xml("{\"a\":null,\"b\":true,\"c\":false}", "<order><a/><b>true</b><c>false</c></order>");
}
END_TEST

START_TEST(numbers_are_written_as_written)
{
    assert_xml("{\"a\":0,\"b\":-1.5e+3,\"c\":12.50,\"d\":-0,\"e\":1E10,\"f\":1e-7,\"g\":0.0,"
               "\"h\":123456789012345678901234567890,\"i\":-0.5E-0}",
               "<order><a>0</a><b>-1.5e+3</b><c>12.50</c><d>-0</d><e>1E10</e><f>1e-7</f>"
               "<g>0.0</g><h>123456789012345678901234567890</h><i>-0.5E-0</i></order>");
}
END_TEST

START_TEST(string_escapes_are_decoded)
{
    assert_xml("{\"s\":\"q\\\"b\\\\s\\/n\\nt\\tr\\r.\"}",
               "<order><s>q&quot;b\\s/n\nt\tr&#13;.</s></order>");
}
END_TEST

START_TEST(unicode_escapes_become_utf8)
{
    assert_xml("{\"a\":\"\\u00e5\",\"b\":\"\\u00C5\",\"c\":\"\\ud83d\\ude00\",\"d\":\"\\u20AC\","
               "\"e\":\"\\u0041\\u007f\\u0085\"}",
               "<order><a>\xC3\xA5</a><b>\xC3\x85</b><c>\xF0\x9F\x98\x80</c><d>\xE2\x82\xAC</d>"
               "<e>A\x7F\xC2\x85</e></order>");
}
END_TEST

START_TEST(utf8_text_passes_through)
{
    assert_xml("{\"s\":\"bl\xC3\xA5\x62\xC3\xA6r \xF0\x9F\x98\x80\"}",
               "<order><s>bl\xC3\xA5\x62\xC3\xA6r \xF0\x9F\x98\x80</s></order>");
}
END_TEST

START_TEST(markup_characters_are_escaped)
{
    assert_xml("{\"s\":\"<a href='x'>&amp;</a>\"}",
               "<order><s>&lt;a href='x'&gt;&amp;amp;&lt;/a&gt;</s></order>");
}
END_TEST

START_TEST(an_empty_string_is_an_empty_element)
{
    assert_xml("{\"s\":\"\"}", "<order><s/></order>");
}
END_TEST

START_TEST(duplicate_keys_are_kept_in_order)
{
    assert_xml("{\"a\":1,\"b\":2,\"a\":3,\"a\":{\"a\":4}}",
               "<order><a>1</a><b>2</b><a>3</a><a><a>4</a></a></order>");
}
END_TEST

START_TEST(keys_may_use_every_name_character)
{
    assert_xml("{\"_x\":1,\"x-y.z_9\":2,\"A9\":3,\"\\u0061b\":4,\"xml\":5}",
               "<order><_x>1</_x><x-y.z_9>2</x-y.z_9><A9>3</A9><ab>4</ab><xml>5</xml></order>");
}
END_TEST

START_TEST(json_whitespace_is_allowed_between_tokens)
{
    assert_xml(" \t\r\n{ \"a\" :\n1 , \"b\"\t: [ 1 ,\r2 ] , \"c\" : { } } \n",
               "<order><a>1</a><b>1</b><b>2</b><c/></order>");
}
END_TEST

START_TEST(the_payload_is_appended_after_what_the_buffer_holds)
{
    xw_open(&w, "Body");
    ck_assert_int_eq(jsonxml_write(&w, "item", "{\"a\":1}", 7, &err), ERR_OK);
    xw_close(&w, "Body");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&out), "<Body><item><a>1</a></item></Body>");
}
END_TEST

START_TEST(the_length_is_respected_without_a_nul)
{
    /* Only the first 7 bytes are the payload; what follows must not be read. */
    ck_assert_int_eq(jsonxml_write(&w, "order", "{\"a\":1}garbage", 7, &err), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&out), "<order><a>1</a></order>");
}
END_TEST

/* --- refusals ---------------------------------------------------------------- */

typedef struct BadCase {
    const char *json; /* the payload */
    size_t len;       /* its length, 0 for strlen(json) */
    const char *what; /* the message after "invalid outbox payload: " */
    size_t at;        /* byte in the detail */
    const char *path; /* key path in the detail */
} BadCase;

static const BadCase bad_cases[] = {
    /* not one object */
    {"", 0, "payload is not a JSON object", 0, "order"},
    {" \n ", 0, "payload is not a JSON object", 3, "order"},
    {"[{\"a\":1}]", 0, "payload is not a JSON object", 0, "order"},
    {"\"x\"", 0, "payload is not a JSON object", 0, "order"},
    {"42", 0, "payload is not a JSON object", 0, "order"},
    {"null", 0, "payload is not a JSON object", 0, "order"},
    {"\xEF\xBB\xBF{}", 0, "payload is not a JSON object", 0, "order"},
    {"{} x", 0, "trailing data after the JSON object", 3, "order"},
    {"{}{}", 0, "trailing data after the JSON object", 2, "order"},
    {"{}\0", 3, "trailing data after the JSON object", 2, "order"},
    {"{\"a\":1}/* c */", 0, "trailing data after the JSON object", 7, "order"},
    /* structure */
    {"{", 0, "expected a key in double quotes, found the end of the payload", 1, "order"},
    {"{\"a\":1,}", 0, "expected a key in double quotes, found \"}\"", 7, "order"},
    {"{a:1}", 0, "expected a key in double quotes, found \"a\"", 1, "order"},
    {"{'a':1}", 0, "expected a key in double quotes, found \"'\"", 1, "order"},
    {"{\"a\" 1}", 0, "expected \":\" after a key, found \"1\"", 5, "order.a"},
    {"{\"a\":1 \"b\":2}", 0, "expected \",\" or \"}\", found '\"'", 7, "order"},
    {"{\"a\":1]", 0, "expected \",\" or \"}\", found \"]\"", 6, "order"},
    {"{\"a\":}", 0, "expected a value, found \"}\"", 5, "order.a"},
    {"{\"a\":\0}", 7, "expected a value, found byte 0x00", 5, "order.a"},
    {"{\"a\":\x80}", 0, "expected a value, found byte 0x80", 5, "order.a"},
    {"{\"a\":[1 2]}", 0, "expected \",\" or \"]\", found \"2\"", 8, "order.a[0]"},
    {"{\"a\":[1,]}", 0, "expected a value, found \"]\"", 8, "order.a[1]"},
    {"{\"a\":[1}", 0, "expected \",\" or \"]\", found \"}\"", 7, "order.a[0]"},
    {"{\"a\":[[1]]}", 0, "array inside an array", 6, "order.a[0]"},
    {"{\"a\":[1,[]]}", 0, "array inside an array", 8, "order.a[1]"},
    /* words and numbers */
    {"{\"n\":tru}", 0, "invalid value \"tru\"", 5, "order.n"},
    {"{\"n\":True}", 0, "invalid value \"True\"", 5, "order.n"},
    {"{\"n\":truex}", 0, "invalid value \"truex\"", 5, "order.n"},
    {"{\"n\":nul", 0, "invalid value \"nul\"", 5, "order.n"},
    {"{\"n\":NaN}", 0, "invalid value \"NaN\"", 5, "order.n"},
    {"{\"n\":Infinity}", 0, "invalid value \"Infinity\"", 5, "order.n"},
    {"{\"n\":01}", 0, "invalid number \"01\"", 5, "order.n"},
    {"{\"n\":-01}", 0, "invalid number \"-01\"", 5, "order.n"},
    {"{\"n\":1.}", 0, "invalid number \"1.\"", 5, "order.n"},
    {"{\"n\":.5}", 0, "invalid number \".5\"", 5, "order.n"},
    {"{\"n\":+1}", 0, "invalid number \"+1\"", 5, "order.n"},
    {"{\"n\":-}", 0, "invalid number \"-\"", 5, "order.n"},
    {"{\"n\":-a}", 0, "invalid number \"-a\"", 5, "order.n"},
    {"{\"n\":1e}", 0, "invalid number \"1e\"", 5, "order.n"},
    {"{\"n\":1e+}", 0, "invalid number \"1e+\"", 5, "order.n"},
    {"{\"n\":1.2.3}", 0, "invalid number \"1.2.3\"", 5, "order.n"},
    {"{\"n\":0x10}", 0, "invalid number \"0x10\"", 5, "order.n"},
    {"{\"n\":1e5x}", 0, "invalid number \"1e5x\"", 5, "order.n"},
    {"{\"n\":1", 0, "expected \",\" or \"}\", found the end of the payload", 6, "order"},
    /* strings */
    {"{\"s\":\"a\x01"
     "b\"}",
     0, "unescaped control character U+0001 in a string", 7, "order.s"},
    {"{\"s\":\"a\tb\"}", 0, "unescaped control character U+0009 in a string", 7, "order.s"},
    {"{\"s\":\"a\nb\"}", 0, "unescaped control character U+000A in a string", 7, "order.s"},
    {"{\"s\":\"a\0b\"}", 11, "unescaped control character U+0000 in a string", 7, "order.s"},
    {"{\"s\":\"\\b\"}", 0, "character U+0008 cannot be carried in XML", 6, "order.s"},
    {"{\"s\":\"\\f\"}", 0, "character U+000C cannot be carried in XML", 6, "order.s"},
    {"{\"s\":\"\\u0000\"}", 0, "character U+0000 cannot be carried in XML", 6, "order.s"},
    {"{\"s\":\"\\u001f\"}", 0, "character U+001F cannot be carried in XML", 6, "order.s"},
    {"{\"s\":\"\\uFFFE\"}", 0, "character U+FFFE cannot be carried in XML", 6, "order.s"},
    {"{\"s\":\"\\uffff\"}", 0, "character U+FFFF cannot be carried in XML", 6, "order.s"},
    {"{\"s\":\"x\xEF\xBF\xBE\"}", 0, "character U+FFFE cannot be carried in XML", 7, "order.s"},
    {"{\"s\":\"x\xEF\xBF\xBF\"}", 0, "character U+FFFF cannot be carried in XML", 7, "order.s"},
    {"{\"s\":\"\\ud83d\"}", 0, "lone surrogate \"\\uD83D\" in a string", 6, "order.s"},
    {"{\"s\":\"\\ude00\\ud83d\"}", 0, "lone surrogate \"\\uDE00\" in a string", 6, "order.s"},
    {"{\"s\":\"\\ud83dx\"}", 0, "lone surrogate \"\\uD83D\" in a string", 6, "order.s"},
    {"{\"s\":\"\\ud83d\\u0041\"}", 0, "lone surrogate \"\\uD83D\" in a string", 6, "order.s"},
    {"{\"s\":\"\\ud83d\\ud83d\"}", 0, "lone surrogate \"\\uD83D\" in a string", 6, "order.s"},
    {"{\"s\":\"\\ud83d\\", 0, "lone surrogate \"\\uD83D\" in a string", 6, "order.s"},
    {"{\"s\":\"\\u12\"}", 0, "invalid \\u escape in a string", 6, "order.s"},
    {"{\"s\":\"\\u12g4\"}", 0, "invalid \\u escape in a string", 6, "order.s"},
    {"{\"s\":\"\\u00", 0, "invalid \\u escape in a string", 6, "order.s"},
    {"{\"s\":\"\\U0041\"}", 0, "invalid escape \"\\U\" in a string", 6, "order.s"},
    {"{\"s\":\"\\x41\"}", 0, "invalid escape \"\\x\" in a string", 6, "order.s"},
    {"{\"s\":\"\\'\"}", 0, "invalid escape \"\\'\" in a string", 6, "order.s"},
    {"{\"s\":\"\\\x01\"}", 0, "invalid escape \"\\\\x01\" in a string", 6, "order.s"},
    {"{\"s\":\"\xC3(\"}", 0, "invalid UTF-8 in a string", 6, "order.s"},
    {"{\"s\":\"x\xFF\"}", 0, "invalid UTF-8 in a string", 7, "order.s"},
    {"{\"s\":\"\xC0\xAF\"}", 0, "invalid UTF-8 in a string", 6, "order.s"},
    {"{\"s\":\"\xE2\x82\"}", 0, "invalid UTF-8 in a string", 6, "order.s"},
    {"{\"s\":\"\xED\xA0\x80\"}", 0, "invalid UTF-8 in a string", 6, "order.s"},
    {"{\"s\":\"\xF4\x90\x80\x80\"}", 0, "invalid UTF-8 in a string", 6, "order.s"},
    {"{\"s\":\"abc", 0, "unterminated string", 5, "order.s"},
    {"{\"s\":\"ab\\", 0, "unterminated string", 5, "order.s"},
    {"{\"s", 0, "unterminated string", 1, "order"},
    /* keys */
    {"{\"1a\":1}", 0, "invalid key \"1a\"", 1, "order"},
    {"{\"a:b\":1}", 0, "invalid key \"a:b\"", 1, "order"},
    {"{\"\":1}", 0, "invalid key \"\"", 1, "order"},
    {"{\"a b\":1}", 0, "invalid key \"a b\"", 1, "order"},
    {"{\"-a\":1}", 0, "invalid key \"-a\"", 1, "order"},
    {"{\".a\":1}", 0, "invalid key \".a\"", 1, "order"},
    {"{\"a\\\"b\":1}", 0, "invalid key \"a\\x22b\"", 1, "order"},
    {"{\"\\u00e5\":1}", 0, "invalid key \"\\xC3\\xA5\"", 1, "order"},
    {"{\"\xC3\xA5\":1}", 0, "invalid key \"\\xC3\\xA5\"", 1, "order"},
    {"{\"a\\u0000\":1}", 0, "character U+0000 cannot be carried in XML", 3, "order"},
    {"{\"a\":{\"b\":1,\"9\":2}}", 0, "invalid key \"9\"", 12, "order.a"},
    {"{\"abcdefghijklmnopqrstuvwxyz0123456789 \":1}", 0,
     "invalid key \"abcdefghijklmnopqrstuvwxyz012345...\"", 1, "order"},
    /* the path names where the error is */
    {"{\"lines\":[{\"qty\":1},{\"qty\":2},{\"qty\":\"\\u0007\"}]}", 0,
     "character U+0007 cannot be carried in XML", 38, "order.lines[2].qty"},
    {"{\"order\":{\"shipments\":{\"shipment\":[{},{},{\"tracking\":01}]}}}", 0,
     "invalid number \"01\"", 53, "order.order.shipments.shipment[2].tracking"},
    {"{\"a\":\"ok\",\"b\":{\"c\":[1,2,3],\"d\":\"\\ud800\"}}", 0,
     "lone surrogate \"\\uD800\" in a string", 32, "order.b.d"},
};

START_TEST(bad_payloads_are_refused_exactly)
{
    const BadCase *c = &bad_cases[_i];

    assert_refused_n(c->json, c->len != 0 ? c->len : strlen(c->json), c->what, c->at, c->path);
}
END_TEST

START_TEST(a_refusal_carries_a_hint_where_one_helps)
{
    assert_refused("{\"1a\":1}", "invalid key \"1a\"", 1, "order");
    ck_assert_int_eq(err.kind, ERR_DATA);
    ck_assert_str_eq(err.hint,
                     "A key must be an XML name without a colon: ASCII letters, digits, "
                     "\"_\", \"-\" and \".\", not starting with a digit, \"-\" or \".\".");
    assert_refused("{\"n\":01}", "invalid number \"01\"", 5, "order.n");
    ck_assert_str_eq(err.hint, "A JSON number has no leading zeros and no \"+\", digits on both "
                               "sides of a decimal point, and is never NaN or Infinity.");
    assert_refused("[]", "payload is not a JSON object", 0, "order");
    ck_assert_str_eq(err.hint, "The payload is one JSON object, such as {\"id\": \"30\"}; its "
                               "members become the elements.");
    assert_refused("{\"a\":[[]]}", "array inside an array", 6, "order.a[0]");
    ck_assert_contains(err.hint, "put the inner array in an object");
    assert_refused("{\"a\":1 }x", "trailing data after the JSON object", 8, "order");
    ck_assert_str_eq(err.hint, "");
}
END_TEST

START_TEST(a_refusal_after_output_removes_all_of_it)
{
    /* Much has been written when the error is found: all of it goes. */
    xw_init(&w, &out, "p", true, 1);
    assert_refused("{\"a\":\"x\",\"b\":{\"c\":[1,{\"d\":true}]},\"e\":\"\\u0001\"}",
                   "character U+0001 cannot be carried in XML", 39, "order.e");
    ck_assert_int_eq(w.depth, 1);
    /* The writer carries on as if the payload had never been offered. */
    xw_leaf(&w, "next", "1");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&out), BEFORE "  <p:next>1</p:next>\n");
}
END_TEST

START_TEST(an_item_that_is_not_a_name_is_refused)
{
    ck_assert_int_eq(jsonxml_write(&w, "1x", "{}", 2, &err), ERR_DATA);
    ck_assert_str_eq(err.message, "invalid element name \"1x\" for an outbox payload");
    ck_assert_int_eq(jsonxml_write(&w, "a:b", "{}", 2, &err), ERR_DATA);
    ck_assert_int_eq(jsonxml_write(&w, "", "{}", 2, &err), ERR_DATA);
    ck_assert_str_eq(dynbuf_str(&out), "");
}
END_TEST

START_TEST(a_writer_that_has_failed_is_not_written_to)
{
    DynBuf small;
    XmlWriter sw;

    dynbuf_init(&small, 4);
    xw_init(&sw, &small, NULL, false, 0);
    xw_leaf(&sw, "abcdef", "x");
    ck_assert_int_eq(jsonxml_write(&sw, "order", "{}", 2, &err), ERR_TOO_BIG);
    ck_assert_str_eq(err.message, "cannot write outbox payload: document exceeds its size limit");
    ck_assert_int_eq(xw_status(&sw), ERR_TOO_BIG);
    dynbuf_free(&small);
}
END_TEST

START_TEST(err_may_be_null)
{
    ck_assert_int_eq(jsonxml_write(&w, "order", "{\"a\":01}", 8, NULL), ERR_DATA);
    ck_assert_int_eq(jsonxml_write(&w, "order", "{\"a\":1}", 7, NULL), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&out), "<order><a>1</a></order>");
}
END_TEST

/* --- robustness -------------------------------------------------------------- */

/* A payload that uses every kind of value, escape and nesting. */
static const char full_payload[] =
    " {\"id\":\"30\",\"a\":[1,-2.5e+3,{\"b\":null,\"c\":[true,false]}],\"t\":true,\"f\":false,"
    "\"s\":\"x\\\"\\\\\\/\\n\\u00e5\\ud83d\\ude00<&>\xC3\xA5\",\"e\":{},\"z\":[],"
    "\"n\":{\"m\":{\"k\":0.5}},\"u\":null} ";

START_TEST(the_full_payload_is_accepted)
{
    assert_xml(full_payload,
               "<order><id>30</id><a>1</a><a>-2.5e+3</a><a><b/><c>true</c><c>false</c></a>"
               "<t>true</t><f>false</f>"
               "<s>x&quot;\\/\n\xC3\xA5\xF0\x9F\x98\x80&lt;&amp;&gt;\xC3\xA5</s><e/>"
               "<n><m><k>0.5</k></m></n><u/></order>");
}
END_TEST

START_TEST(every_truncation_is_refused_cleanly)
{
    size_t full = strlen(full_payload) - 1; /* without the final space, which may go */
    size_t n;

    for (n = 0; n < full; n++) {
        /* A copy of exactly n bytes, so any read past the end is a memory error. */
        char *copy = xmalloc(n + 1);
        ErrKind rc;

        memcpy(copy, full_payload, n);
        dynbuf_reset(&out);
        ck_assert_int_eq(dynbuf_addstr(&out, BEFORE), ERR_OK);
        err_reset(&err);
        rc = jsonxml_write(&w, "order", copy, n, &err);
        ck_assert_msg(rc == ERR_DATA, "prefix of %zu bytes accepted", n);
        ck_assert_str_eq(dynbuf_str(&out), BEFORE);
        ck_assert_contains(err.message, "invalid outbox payload: ");
        ck_assert_contains(err.detail, "The error is at byte ");
        ck_assert_int_eq(w.depth, 0);
        xfree(copy);
    }
}
END_TEST

START_TEST(every_single_byte_change_is_safe)
{
    static const unsigned char subst[] = {0x00, '"', '\\', '{', '}', '[',  ']',  ',',
                                          ':',  '0', 'e',  '-', ' ', 0x80, 0xC3, 0xFF};
    size_t len = strlen(full_payload);
    size_t i;
    size_t k;

    for (i = 0; i < len; i++) {
        for (k = 0; k < sizeof(subst); k++) {
            char *copy = xmalloc(len);
            ErrKind rc;

            memcpy(copy, full_payload, len);
            copy[i] = (char)subst[k];
            dynbuf_reset(&out);
            rc = jsonxml_write(&w, "order", copy, len, &err);
            ck_assert_msg(rc == ERR_OK || rc == ERR_DATA, "byte %zu as 0x%02X", i, subst[k]);
            if (rc == ERR_DATA)
                ck_assert_str_eq(dynbuf_str(&out), "");
            else
                ck_assert(xml_text_valid(dynbuf_str(&out), dynbuf_len(&out), NULL));
            ck_assert_int_eq(w.depth, 0);
            xfree(copy);
        }
    }
}
END_TEST

/* --- depth ------------------------------------------------------------------- */

/* {"a":{"a":...{}...}} with levels objects in all; caller frees. */
static char *
nested_objects(int levels)
{
    DynBuf b;
    int i;

    dynbuf_init(&b, BIG_CAP);
    ck_assert_int_eq(dynbuf_addc(&b, '{'), ERR_OK);
    for (i = 1; i < levels; i++)
        ck_assert_int_eq(dynbuf_addstr(&b, "\"a\":{"), ERR_OK);
    for (i = 0; i < levels; i++)
        ck_assert_int_eq(dynbuf_addc(&b, '}'), ERR_OK);
    return dynbuf_take(&b);
}

START_TEST(nesting_at_the_cap_is_accepted)
{
    char *json = nested_objects(JSONXML_MAX_DEPTH);
    DynBuf want;
    int i;

    dynbuf_init(&want, BIG_CAP);
    ck_assert_int_eq(dynbuf_addstr(&want, "<order>"), ERR_OK);
    for (i = 2; i < JSONXML_MAX_DEPTH; i++)
        ck_assert_int_eq(dynbuf_addstr(&want, "<a>"), ERR_OK);
    ck_assert_int_eq(dynbuf_addstr(&want, "<a/>"), ERR_OK);
    for (i = 2; i < JSONXML_MAX_DEPTH; i++)
        ck_assert_int_eq(dynbuf_addstr(&want, "</a>"), ERR_OK);
    ck_assert_int_eq(dynbuf_addstr(&want, "</order>"), ERR_OK);
    assert_xml(json, dynbuf_str(&want));
    dynbuf_free(&want);
    xfree(json);
}
END_TEST

START_TEST(nesting_beyond_the_cap_is_refused)
{
    char *json = nested_objects(JSONXML_MAX_DEPTH + 1);
    DynBuf path;
    int i;

    dynbuf_init(&path, BIG_CAP);
    ck_assert_int_eq(dynbuf_addstr(&path, "order"), ERR_OK);
    for (i = 0; i < JSONXML_MAX_DEPTH; i++)
        ck_assert_int_eq(dynbuf_addstr(&path, ".a"), ERR_OK);
    /* The first '{' is byte 0, and each level adds 5 bytes: "a":{ */
    assert_refused(json, "nesting deeper than 64 levels", (size_t)JSONXML_MAX_DEPTH * 5,
                   dynbuf_str(&path));
    dynbuf_free(&path);
    xfree(json);
}
END_TEST

START_TEST(arrays_count_towards_the_cap)
{
    DynBuf b;
    int i;

    /* The item's object, 31 array-and-object pairs (62), then one array: 64 levels. */
    dynbuf_init(&b, BIG_CAP);
    ck_assert_int_eq(dynbuf_addc(&b, '{'), ERR_OK);
    for (i = 0; i < 31; i++)
        ck_assert_int_eq(dynbuf_addstr(&b, "\"a\":[{"), ERR_OK);
    ck_assert_int_eq(dynbuf_addstr(&b, "\"a\":[1]"), ERR_OK);
    for (i = 0; i < 31; i++)
        ck_assert_int_eq(dynbuf_addstr(&b, "}]"), ERR_OK);
    ck_assert_int_eq(dynbuf_addc(&b, '}'), ERR_OK);
    ck_assert_int_eq(write_order(dynbuf_str(&b)), ERR_OK);

    /* One more level, an object inside the innermost array, is refused. */
    dynbuf_reset(&b);
    ck_assert_int_eq(dynbuf_addc(&b, '{'), ERR_OK);
    for (i = 0; i < 31; i++)
        ck_assert_int_eq(dynbuf_addstr(&b, "\"a\":[{"), ERR_OK);
    ck_assert_int_eq(dynbuf_addstr(&b, "\"a\":[{}]"), ERR_OK);
    for (i = 0; i < 31; i++)
        ck_assert_int_eq(dynbuf_addstr(&b, "}]"), ERR_OK);
    ck_assert_int_eq(dynbuf_addc(&b, '}'), ERR_OK);
    dynbuf_reset(&out);
    ck_assert_int_eq(write_order(dynbuf_str(&b)), ERR_DATA);
    ck_assert_str_eq(err.message, "invalid outbox payload: nesting deeper than 64 levels");
    ck_assert_contains(err.detail, ".a[0].a[0]\".");
    ck_assert_str_eq(dynbuf_str(&out), "");

    /* So is an array as the level beyond. */
    dynbuf_reset(&b);
    ck_assert_int_eq(dynbuf_addc(&b, '{'), ERR_OK);
    for (i = 0; i < 31; i++)
        ck_assert_int_eq(dynbuf_addstr(&b, "\"a\":[{"), ERR_OK);
    ck_assert_int_eq(dynbuf_addstr(&b, "\"a\":{\"b\":[]}"), ERR_OK);
    for (i = 0; i < 31; i++)
        ck_assert_int_eq(dynbuf_addstr(&b, "}]"), ERR_OK);
    ck_assert_int_eq(dynbuf_addc(&b, '}'), ERR_OK);
    ck_assert_int_eq(write_order(dynbuf_str(&b)), ERR_DATA);
    ck_assert_str_eq(err.message, "invalid outbox payload: nesting deeper than 64 levels");
    ck_assert_contains(err.detail, ".a[0].a.b\".");
    ck_assert_str_eq(dynbuf_str(&out), "");
    dynbuf_free(&b);
}
END_TEST

START_TEST(deep_garbage_stops_at_the_cap)
{
    /* A megabyte of nested objects, or of arrays of objects, recurses only to the cap. */
    static const char *const units[] = {"\"a\":{", "\"a\":[{"};
    size_t len = 1024 * 1024;
    char *json = xmalloc(len);
    size_t u;

    for (u = 0; u < CB_LENGTH(units); u++) {
        size_t ulen = strlen(units[u]);
        size_t i;

        memset(json, ' ', len);
        json[0] = '{';
        for (i = 1; i + ulen <= len; i += ulen)
            memcpy(json + i, units[u], ulen);
        ck_assert_int_eq(jsonxml_write(&w, "order", json, len, &err), ERR_DATA);
        ck_assert_str_eq(err.message, "invalid outbox payload: nesting deeper than 64 levels");
    }
    ck_assert_str_eq(dynbuf_str(&out), "");
    xfree(json);
}
END_TEST

/* --- size limit -------------------------------------------------------------- */

START_TEST(output_beyond_the_cap_is_too_big_and_written_nowhere)
{
    static const char json[] = "{\"id\":\"30\"}";
    static const char xml[] = "<order><id>30</id></order>";
    DynBuf small;
    XmlWriter sw;

    /* Exactly the cap fits. */
    dynbuf_init(&small, strlen(BEFORE) + strlen(xml));
    xw_init(&sw, &small, NULL, false, 0);
    ck_assert_int_eq(dynbuf_addstr(&small, BEFORE), ERR_OK);
    ck_assert_int_eq(jsonxml_write(&sw, "order", json, strlen(json), &err), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&small), BEFORE "<order><id>30</id></order>");
    dynbuf_free(&small);

    /* One byte less does not, and leaves the buffer and writer as they were. */
    dynbuf_init(&small, strlen(BEFORE) + strlen(xml) - 1);
    xw_init(&sw, &small, NULL, false, 0);
    ck_assert_int_eq(dynbuf_addstr(&small, BEFORE), ERR_OK);
    ck_assert_int_eq(jsonxml_write(&sw, "order", json, strlen(json), &err), ERR_TOO_BIG);
    ck_assert_int_eq(err.kind, ERR_TOO_BIG);
    ck_assert_str_eq(err.message, "outbox payload too big for the XML document");
    ck_assert_str_eq(err.detail, "The document may hold at most 34 bytes.");
    ck_assert_str_eq(dynbuf_str(&small), BEFORE);
    ck_assert_int_eq(xw_status(&sw), ERR_OK);
    ck_assert_int_eq(sw.depth, 0);
    dynbuf_free(&small);
}
END_TEST

START_TEST(a_length_no_memory_can_hold_is_too_big)
{
    /* Refused before a byte is read, so the short buffer is safe here. */
    ck_assert_int_eq(jsonxml_write(&w, "order", "{}", SIZE_MAX, &err), ERR_TOO_BIG);
    ck_assert_str_eq(err.message, "outbox payload too big for the XML document");
    ck_assert_str_eq(dynbuf_str(&out), "");
}
END_TEST

START_TEST(an_invalid_payload_is_data_even_when_too_big)
{
    static const char json[] = "{\"id\":\"30\",\"x\":01}";
    DynBuf small;
    XmlWriter sw;

    dynbuf_init(&small, 8);
    xw_init(&sw, &small, NULL, false, 0);
    ck_assert_int_eq(jsonxml_write(&sw, "order", json, strlen(json), &err), ERR_DATA);
    ck_assert_str_eq(err.message, "invalid outbox payload: invalid number \"01\"");
    ck_assert_str_eq(dynbuf_str(&small), "");
    ck_assert_int_eq(xw_status(&sw), ERR_OK);
    dynbuf_free(&small);
}
END_TEST

static Suite *
jsonxml_suite(void)
{
    Suite *s = suite_create("jsonxml");
    TCase *output = tcase_create("output");
    TCase *refusal = tcase_create("refusal");
    TCase *robustness = tcase_create("robustness");
    TCase *depth = tcase_create("depth");
    TCase *limit = tcase_create("limit");

    tcase_add_test(output, members_become_elements_in_order);
    tcase_add_test(output, the_writer_prefix_is_on_every_element);
    tcase_add_test(output, the_writer_indentation_is_kept);
    tcase_add_test(output, objects_nest);
    tcase_add_test(output, an_array_of_objects_repeats_the_element);
    tcase_add_test(output, an_array_of_scalars_repeats_the_element);
    tcase_add_test(output, an_empty_array_writes_nothing);
    tcase_add_test(output, an_empty_object_is_an_empty_element);
    tcase_add_test(output, null_true_and_false);
    tcase_add_test(output, numbers_are_written_as_written);
    tcase_add_test(output, string_escapes_are_decoded);
    tcase_add_test(output, unicode_escapes_become_utf8);
    tcase_add_test(output, utf8_text_passes_through);
    tcase_add_test(output, markup_characters_are_escaped);
    tcase_add_test(output, an_empty_string_is_an_empty_element);
    tcase_add_test(output, duplicate_keys_are_kept_in_order);
    tcase_add_test(output, keys_may_use_every_name_character);
    tcase_add_test(output, json_whitespace_is_allowed_between_tokens);
    tcase_add_test(output, the_payload_is_appended_after_what_the_buffer_holds);
    tcase_add_test(output, the_length_is_respected_without_a_nul);
    tcase_add_loop_test(refusal, bad_payloads_are_refused_exactly, 0, (int)CB_LENGTH(bad_cases));
    tcase_add_test(refusal, a_refusal_carries_a_hint_where_one_helps);
    tcase_add_test(refusal, a_refusal_after_output_removes_all_of_it);
    tcase_add_test(refusal, an_item_that_is_not_a_name_is_refused);
    tcase_add_test(refusal, a_writer_that_has_failed_is_not_written_to);
    tcase_add_test(refusal, err_may_be_null);
    tcase_add_test(robustness, the_full_payload_is_accepted);
    tcase_add_test(robustness, every_truncation_is_refused_cleanly);
    tcase_add_test(robustness, every_single_byte_change_is_safe);
    tcase_add_test(depth, nesting_at_the_cap_is_accepted);
    tcase_add_test(depth, nesting_beyond_the_cap_is_refused);
    tcase_add_test(depth, arrays_count_towards_the_cap);
    tcase_add_test(depth, deep_garbage_stops_at_the_cap);
    tcase_add_test(limit, output_beyond_the_cap_is_too_big_and_written_nowhere);
    tcase_add_test(limit, an_invalid_payload_is_data_even_when_too_big);
    tcase_add_test(limit, a_length_no_memory_can_hold_is_too_big);
    tcase_add_checked_fixture(output, setup, teardown);
    tcase_add_checked_fixture(refusal, setup, teardown);
    tcase_add_checked_fixture(robustness, setup, teardown);
    tcase_add_checked_fixture(depth, setup, teardown);
    tcase_add_checked_fixture(limit, setup, teardown);
    suite_add_tcase(s, output);
    suite_add_tcase(s, refusal);
    suite_add_tcase(s, robustness);
    suite_add_tcase(s, depth);
    suite_add_tcase(s, limit);
    return s;
}

CB_TEST_MAIN(jsonxml_suite)
