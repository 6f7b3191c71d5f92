/*
 * tests/unit/xml/test_xmltree.c
 *     The small DOM: parsing SOAP-like documents, refusing what is not
 *     well-formed or is dangerous (DTDs, entity bombs, deep nesting),
 *     querying, editing, copying and writing back.
 */
#include "centra/xmltree.h"

#include <limits.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "testutil.h"

#define SOAP_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define BIG_CAP (16 * 1024 * 1024) /* a cap no test here reaches */

/* --- helpers --------------------------------------------------------------------- */

static XmlNode unset; /* what *out points at before a call, to see that it is set */

/* Parse len bytes that must be accepted; the caller frees the tree. */
static XmlNode *
parse_len_ok(const char *doc, size_t len)
{
    XmlNode *root = &unset; /* not NULL, to see that it is set */
    Error err;
    ErrKind rc;

    err_reset(&err);
    rc = xml_parse(doc, len, &root, &err);
    ck_assert_msg(rc == ERR_OK, "parse failed (%d): %s", rc, err.message);
    ck_assert_str_eq(err.message, "");
    ck_assert_ptr_nonnull(root);
    ck_assert_ptr_null(root->parent);
    return root;
}

static XmlNode *
parse_ok(const char *doc)
{
    return parse_len_ok(doc, strlen(doc));
}

/* Parse len bytes that must be refused with ERR_DATA and exactly message. */
static void
parse_len_fails(const char *doc, size_t len, const char *message)
{
    XmlNode *root = &unset;
    Error err;

    err_reset(&err);
    ck_assert_int_eq(xml_parse(doc, len, &root, &err), ERR_DATA);
    ck_assert_int_eq(err.kind, ERR_DATA);
    ck_assert_ptr_null(root);
    ck_assert_str_eq(err.message, message);
}

/* Assert that two trees have the same names, namespaces, texts and shape. */
static void
assert_same_tree(const XmlNode *a, const XmlNode *b)
{
    ck_assert_str_eq(a->name, b->name);
    if (a->ns == NULL || b->ns == NULL)
        ck_assert_msg(a->ns == b->ns, "<%s>: namespace \"%s\" against \"%s\"", a->name,
                      a->ns != NULL ? a->ns : "(none)", b->ns != NULL ? b->ns : "(none)");
    else
        ck_assert_str_eq(a->ns, b->ns);
    ck_assert_uint_eq(a->text_len, b->text_len);
    ck_assert_uint_eq(strlen(a->text), a->text_len);
    ck_assert_int_eq(memcmp(a->text, b->text, a->text_len), 0);
    ck_assert_uint_eq(a->nkids, b->nkids);
    for (size_t i = 0; i < a->nkids; i++) {
        ck_assert_ptr_eq(a->kids[i]->parent, a);
        ck_assert_ptr_eq(b->kids[i]->parent, b);
        assert_same_tree(a->kids[i], b->kids[i]);
    }
}

/* Serialize n into a fresh string (caller frees with xfree); asserts success. */
static char *
write_tree(const XmlNode *n, const char *prefix, bool indent)
{
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, prefix, indent, 0);
    xml_write(&w, n);
    ck_assert_msg(xw_status(&w) == ERR_OK, "write failed: %s", xw_error(&w));
    return dynbuf_take(&b);
}

/* A document of depth elements nested in one another, each "<d>"; innermost as given. */
static char *
nested_doc(int depth, const char *innermost)
{
    DynBuf b;

    dynbuf_init(&b, BIG_CAP);
    for (int i = 0; i < depth - 1; i++)
        ck_assert_int_eq(dynbuf_addstr(&b, "<d>"), ERR_OK);
    ck_assert_int_eq(dynbuf_addstr(&b, innermost), ERR_OK);
    for (int i = 0; i < depth - 1; i++)
        ck_assert_int_eq(dynbuf_addstr(&b, "</d>"), ERR_OK);
    return dynbuf_take(&b);
}

/* --- parsing ------------------------------------------------------------------------ */

static const char soap_default_ns[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                      "<Envelope xmlns=\"" SOAP_NS "\">\n"
                                      "  <Header/>\n"
                                      "  <Body>\n"
                                      "    <loginResponse xmlns=\"urn:centra\">\n"
                                      "      <sessionId>abc-123</sessionId>\n"
                                      "      <user><id>7</id><name>Ann</name></user>\n"
                                      "    </loginResponse>\n"
                                      "  </Body>\n"
                                      "</Envelope>\n";

START_TEST(soap_with_default_namespaces_is_parsed)
{
    XmlNode *root = parse_ok(soap_default_ns);
    XmlNode *body;
    XmlNode *resp;

    ck_assert_str_eq(root->name, "Envelope");
    ck_assert_str_eq(root->ns, SOAP_NS);
    ck_assert_str_eq(root->text, "");
    ck_assert_uint_eq(root->text_len, 0);
    ck_assert_uint_eq(root->nkids, 2);
    ck_assert_str_eq(root->kids[0]->name, "Header");
    ck_assert_str_eq(root->kids[0]->ns, SOAP_NS);
    body = root->kids[1];
    ck_assert_str_eq(body->name, "Body");
    ck_assert_ptr_eq(body->parent, root);
    ck_assert_uint_eq(body->nkids, 1);
    resp = body->kids[0];
    ck_assert_str_eq(resp->name, "loginResponse");
    ck_assert_str_eq(resp->ns, "urn:centra");
    ck_assert_str_eq(resp->kids[0]->name, "sessionId");
    ck_assert_str_eq(resp->kids[0]->ns, "urn:centra");
    ck_assert_str_eq(resp->kids[0]->text, "abc-123");
    ck_assert_uint_eq(resp->kids[0]->text_len, 7);
    ck_assert_str_eq(xml_path_text(root, "Body/loginResponse/user/name"), "Ann");
    xml_free(root);
}
END_TEST

START_TEST(prefixed_elements_are_matched_by_local_name)
{
    XmlNode *root = parse_ok("<soapenv:Envelope xmlns:soapenv=\"" SOAP_NS "\""
                             " xmlns:c=\"urn:c\">"
                             "<soapenv:Body>"
                             "<c:getUser><c:id>42</c:id><plain>p</plain></c:getUser>"
                             "</soapenv:Body>"
                             "</soapenv:Envelope>");
    XmlNode *get;

    ck_assert_str_eq(root->name, "Envelope");
    ck_assert_str_eq(root->ns, SOAP_NS);
    get = xml_path(root, "Body/getUser");
    ck_assert_ptr_nonnull(get);
    ck_assert_str_eq(get->ns, "urn:c");
    ck_assert_str_eq(xml_child_text(get, "id"), "42");
    ck_assert_str_eq(xml_child(get, "id")->ns, "urn:c");
    /* No default namespace is in scope: an unprefixed element has none. */
    ck_assert_str_eq(xml_child(get, "plain")->text, "p");
    ck_assert_ptr_null(xml_child(get, "plain")->ns);
    /* Prefixed names are not names. */
    ck_assert_ptr_null(xml_child(root, "soapenv:Body"));
    xml_free(root);
}
END_TEST

START_TEST(a_prefix_and_a_default_namespace_for_one_uri_are_the_same)
{
    XmlNode *a = parse_ok("<e:Envelope xmlns:e=\"urn:e\"><e:Body>1</e:Body></e:Envelope>");
    XmlNode *b = parse_ok("<Envelope xmlns=\"urn:e\"><Body>1</Body></Envelope>");

    assert_same_tree(a, b);
    xml_free(a);
    xml_free(b);
}
END_TEST

START_TEST(a_namespace_uri_may_hold_a_space)
{
    /* Not a valid URI, but well-formed XML: expat only refuses its own separator in one. */
    XmlNode *root = parse_ok("<e:Envelope xmlns:e=\"urn:a b\"><e:Body>1</e:Body></e:Envelope>");

    ck_assert_str_eq(root->name, "Envelope");
    ck_assert_str_eq(root->ns, "urn:a b");
    ck_assert_str_eq(root->kids[0]->name, "Body");
    xml_free(root);
}
END_TEST

START_TEST(documents_without_namespaces_have_none)
{
    XmlNode *root = parse_ok("<a x=\"1\" y=\"&amp;\"><b z=\"2\">t</b></a>");

    ck_assert_str_eq(root->name, "a");
    ck_assert_ptr_null(root->ns);
    /* Attributes are neither children nor text. */
    ck_assert_uint_eq(root->nkids, 1);
    ck_assert_str_eq(root->text, "");
    ck_assert_ptr_null(root->kids[0]->ns);
    ck_assert_str_eq(root->kids[0]->text, "t");
    xml_free(root);
}
END_TEST

START_TEST(whitespace_between_elements_is_dropped_but_leaf_text_is_kept)
{
    XmlNode *root = parse_ok("\n<a>\n\t <b>  </b> \r\n <c> x \n</c>\n  <d/>\n</a>\n");

    ck_assert_str_eq(root->text, "");
    ck_assert_uint_eq(root->text_len, 0);
    ck_assert_uint_eq(root->nkids, 3);
    ck_assert_str_eq(xml_child_text(root, "b"), "  ");
    ck_assert_str_eq(xml_child_text(root, "c"), " x \n");
    ck_assert_str_eq(xml_child_text(root, "d"), "");
    xml_free(root);
}
END_TEST

START_TEST(text_is_accumulated_across_references_and_cdata)
{
    XmlNode *root = parse_ok("<t>a &amp; b &lt;c&gt; &quot;&apos;"
                             "<![CDATA[<raw> & ]]>&#x20AC;&#8364;\xE2\x82\xAC end</t>");
    static const char want[] = "a & b <c> \"'<raw> & \xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC end";

    ck_assert_str_eq(root->text, want);
    ck_assert_uint_eq(root->text_len, sizeof(want) - 1);
    xml_free(root);
}
END_TEST

START_TEST(line_ends_are_normalized_but_cr_references_are_kept)
{
    XmlNode *root = parse_ok("<t>a\r\nb\rc&#13;d&#10;e</t>");

    ck_assert_str_eq(root->text, "a\nb\nc\rd\ne");
    xml_free(root);
}
END_TEST

START_TEST(comments_and_processing_instructions_are_skipped)
{
    XmlNode *root = parse_ok("<?xml version=\"1.0\"?><!-- before -->"
                             "<a> <!-- c --> <?pi data?> <b>x<!-- c -->y<?pi z?>z</b> </a>"
                             "<!-- after -->\n");

    ck_assert_str_eq(root->text, "");
    ck_assert_uint_eq(root->nkids, 1);
    ck_assert_str_eq(xml_child_text(root, "b"), "xyz");
    xml_free(root);
}
END_TEST

START_TEST(a_lone_root_leaf_is_a_document)
{
    XmlNode *root = parse_ok("<only/>");

    ck_assert_str_eq(root->name, "only");
    ck_assert_str_eq(root->text, "");
    ck_assert(xml_is_leaf(root));
    xml_free(root);
}
END_TEST

/* Depth counts the root as 1: XML_MAX_DEPTH levels are accepted. */
START_TEST(exactly_xml_max_depth_levels_are_accepted)
{
    char *doc = nested_doc(XML_MAX_DEPTH, "<d>bottom</d>");
    XmlNode *root = parse_ok(doc);
    const XmlNode *n = root;
    int depth = 1;

    while (n->nkids > 0) {
        ck_assert_uint_eq(n->nkids, 1);
        n = n->kids[0];
        depth++;
    }
    ck_assert_int_eq(depth, XML_MAX_DEPTH);
    ck_assert_str_eq(n->text, "bottom");
    xml_free(root);
    xfree(doc);
}
END_TEST

/*
 * 256 "<d>" tags fill columns 1-768; the 257th spans 769-771.  Refusals from
 * our own handlers point at the start of the offending tag.
 */
START_TEST(one_level_deeper_is_refused)
{
    char *doc = nested_doc(XML_MAX_DEPTH + 1, "<d>bottom</d>");

    parse_len_fails(doc, strlen(doc),
                    "XML refused at line 1, column 769: the document nests too deeply");
    xfree(doc);
}
END_TEST

/*
 * expat still reports the end of an empty element after the start handler
 * stops the parser, so this is the case where the end handler runs for an
 * element that was never built.
 */
START_TEST(one_level_deeper_is_refused_when_the_deepest_element_is_empty)
{
    char *doc = nested_doc(XML_MAX_DEPTH + 1, " <d/> ");

    parse_len_fails(doc, strlen(doc),
                    "XML refused at line 1, column 770: the document nests too deeply");
    xfree(doc);
}
END_TEST

START_TEST(very_deep_documents_are_refused)
{
    char *doc = nested_doc(100000, "<d/>");
    XmlNode *root = &unset;
    Error err;

    ck_assert_int_eq(xml_parse(doc, strlen(doc), &root, &err), ERR_DATA);
    ck_assert_ptr_null(root);
    ck_assert_contains(err.message, "the document nests too deeply");
    xfree(doc);
}
END_TEST

/* max_nodes elements pass; one more is refused, wherever it sits. */
START_TEST(element_count_is_capped)
{
    DynBuf b;
    XmlNode *root = &unset;
    Error err;

    dynbuf_init(&b, 1024u * 1024);
    dynbuf_addstr(&b, "<r>");
    for (unsigned i = 1; i < 100; i++)
        dynbuf_addstr(&b, "<x/>");
    dynbuf_addstr(&b, "</r>");
    ck_assert_int_eq(xml_parse_limit(dynbuf_str(&b), dynbuf_len(&b), 100, &root, &err), ERR_OK);
    ck_assert_uint_eq(root->nkids, 99);
    xml_free(root);
    dynbuf_truncate(&b, dynbuf_len(&b) - 4);
    dynbuf_addstr(&b, "<x><y/></x></r>");
    ck_assert_int_eq(xml_parse_limit(dynbuf_str(&b), dynbuf_len(&b), 100, &root, &err), ERR_DATA);
    ck_assert_ptr_null(root);
    ck_assert_str_eq(err.message, "XML refused at line 1, column 400: the document has too many "
                                  "elements");
    /* The default limit is the same check with XML_MAX_NODES. */
    ck_assert_int_eq(xml_parse_limit(dynbuf_str(&b), dynbuf_len(&b), XML_MAX_NODES, &root, &err),
                     ERR_OK);
    xml_free(root);
    dynbuf_free(&b);
}
END_TEST

/* The byte range between the tags, whatever the tags hold: for masking text in place. */
START_TEST(content_offsets_span_the_text_between_the_tags)
{
    static const char doc[] = "<a xmlns:p=\"urn:x\"><p:pw t=\"x\">s&amp;<![CDATA[c]]></p:pw>"
                              "<e/><f></f>\n<g>\n</g></a>";
    XmlNode *root = parse_ok(doc);
    const XmlNode *pw = xml_child(root, "pw");
    const XmlNode *g = xml_child(root, "g");

    ck_assert_str_eq(pw->text, "s&c");
    ck_assert_uint_eq(pw->content_len, strlen("s&amp;<![CDATA[c]]>"));
    ck_assert(memcmp(doc + pw->content_at, "s&amp;<![CDATA[c]]>", pw->content_len) == 0);
    ck_assert_uint_eq(xml_child(root, "e")->content_len, 0);
    ck_assert_uint_eq(xml_child(root, "f")->content_len, 0);
    ck_assert_uint_eq(g->content_len, 1);
    ck_assert_int_eq(doc[g->content_at], '\n');
    ck_assert_uint_eq(root->content_at, strlen("<a xmlns:p=\"urn:x\">"));
    xml_free(root);
}
END_TEST

START_TEST(equal_compares_names_text_and_order)
{
    XmlNode *a = parse_ok("<r><x>1</x><y>2</y></r>");
    XmlNode *b = parse_ok("<q:r xmlns:q=\"urn:q\"><q:x>1</q:x><q:y>2</q:y></q:r>");
    XmlNode *c = parse_ok("<r><y>2</y><x>1</x></r>");
    XmlNode *d = parse_ok("<r><x>1</x><y>3</y></r>");
    XmlNode *e = parse_ok("<r><x>1</x><y>2</y><z/></r>");
    XmlNode *f = parse_ok("<r><x>1</x><y>2<z/></y></r>");

    ck_assert(xml_equal(a, a));
    ck_assert(xml_equal(a, b)); /* namespaces aside */
    ck_assert(!xml_equal(a, c));
    ck_assert(!xml_equal(a, d));
    ck_assert(!xml_equal(a, e));
    ck_assert(!xml_equal(e, a));
    ck_assert(!xml_equal(a, f));
    ck_assert(!xml_equal(a, NULL));
    ck_assert(xml_equal(NULL, NULL));
    xml_set_text(xml_child(d, "y"), "2");
    ck_assert(xml_equal(a, d));
    xml_free(a);
    xml_free(b);
    xml_free(c);
    xml_free(d);
    xml_free(e);
    xml_free(f);
}
END_TEST

/* One copy of a namespace for all the elements in it, freed with the last of them. */
START_TEST(a_namespace_is_stored_once_and_outlives_its_document_in_copies)
{
    XmlNode *root = parse_ok("<r xmlns=\"urn:long\"><a/><b><c xmlns=\"urn:other\"><d/></c></b>"
                             "<e xmlns:p=\"urn:long\"><p:f/></e></r>");
    XmlNode *copy;

    ck_assert_ptr_eq(xml_child(root, "a")->ns, root->ns);
    ck_assert_ptr_eq(xml_path(root, "b")->ns, root->ns);
    ck_assert_str_eq(xml_path(root, "b/c")->ns, "urn:other");
    ck_assert_ptr_eq(xml_path(root, "b/c/d")->ns, xml_path(root, "b/c")->ns);
    ck_assert_str_eq(xml_path(root, "e/f")->ns, "urn:long");
    copy = xml_copy(xml_path(root, "b/c"));
    xml_free(root);
    ck_assert_str_eq(copy->ns, "urn:other"); /* still there: the copy holds it */
    ck_assert_str_eq(xml_child(copy, "d")->ns, "urn:other");
    xml_free(copy);
}
END_TEST

/* Walking with xml_next stays right after deletions (positions are renumbered). */
START_TEST(next_walks_correctly_after_a_delete)
{
    XmlNode *root = parse_ok("<r><i>1</i><j/><i>2</i><i>3</i><i>4</i></r>");
    XmlNode *second = xml_next(root, "i", xml_child(root, "i"));
    const XmlNode *n;

    xml_delete(xml_child(root, "j"));
    xml_delete(xml_child(root, "i"));
    ck_assert_str_eq(xml_child(root, "i")->text, "2");
    ck_assert_ptr_eq(xml_child(root, "i"), second);
    n = xml_next(root, "i", second);
    ck_assert_str_eq(n->text, "3");
    n = xml_next(root, "i", n);
    ck_assert_str_eq(n->text, "4");
    ck_assert_ptr_null(xml_next(root, "i", n));
    ck_assert_uint_eq(xml_count(root, "i"), 3);
    xml_free(root);
}
END_TEST

/* --- refusal ------------------------------------------------------------------------ */

typedef struct BadDoc {
    const char *doc;     /* the document */
    const char *message; /* the exact primary message */
} BadDoc;

static const BadDoc bad_docs[] = {
    /* Empty documents. */
    {"", "malformed XML at line 1, column 1: no element found"},
    {"   \n  ", "malformed XML at line 2, column 3: no element found"},
    {"<?xml version=\"1.0\"?>", "malformed XML at line 1, column 22: no element found"},
    {"<!-- only a comment -->", "malformed XML at line 1, column 24: no element found"},
    /* Malformed. */
    {"<a", "malformed XML at line 1, column 1: unclosed token"},
    {"<a>", "malformed XML at line 1, column 4: no element found"},
    {"<a></a", "malformed XML at line 1, column 4: unclosed token"},
    {"<a><b></a>", "malformed XML at line 1, column 9: mismatched tag"},
    {"<a>\n  <b>\n</a>", "malformed XML at line 3, column 3: mismatched tag"},
    {"<1a/>", "malformed XML at line 1, column 2: not well-formed (invalid token)"},
    {"<a b=\"1\" b=\"2\"/>", "malformed XML at line 1, column 10: duplicate attribute"},
    {"<a>&foo;</a>", "malformed XML at line 1, column 4: undefined entity"},
    {"<a>x&#0;</a>", "malformed XML at line 1, column 5: reference to invalid character number"},
    {"<a>x&#1;</a>", "malformed XML at line 1, column 5: reference to invalid character number"},
    {"<a>\xFF</a>", "malformed XML at line 1, column 4: not well-formed (invalid token)"},
    {"<p:a/>", "malformed XML at line 1, column 1: unbound prefix"},
    /* Trailing garbage after the root. */
    {"<a/>junk", "malformed XML at line 1, column 5: junk after document element"},
    {"<a/><b/>", "malformed XML at line 1, column 5: junk after document element"},
    {"<a><b></b>\n</a>\n<c/>", "malformed XML at line 3, column 1: junk after document element"},
    {"<a/>\n<!DOCTYPE a>", "malformed XML at line 2, column 1: junk after document element"},
    /* DTDs, and with them entity declarations ("billion laughs" last), refused at the DOCTYPE. */
    {"<!DOCTYPE a><a/>", "XML refused at line 1, column 12: "
                         "document type declarations (DTDs) are not accepted"},
    {"<!DOCTYPE a SYSTEM \"http://example.com/a.dtd\"><a/>",
     "XML refused at line 1, column 46: document type declarations (DTDs) are not accepted"},
    {"<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>",
     "XML refused at line 1, column 13: document type declarations (DTDs) are not accepted"},
    {"<?xml version=\"1.0\"?>\n"
     "<!DOCTYPE lolz [\n"
     " <!ENTITY lol \"lol\">\n"
     " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
     " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
     " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
     "]>\n"
     "<lolz>&lol3;</lolz>\n",
     "XML refused at line 2, column 16: document type declarations (DTDs) are not accepted"},
};

START_TEST(bad_documents_are_refused_with_line_and_column)
{
    const BadDoc *c = &bad_docs[_i];

    parse_len_fails(c->doc, strlen(c->doc), c->message);
}
END_TEST

START_TEST(a_nul_byte_is_refused)
{
    parse_len_fails("<a>\0</a>", 8,
                    "malformed XML at line 1, column 4: not well-formed (invalid token)");
}
END_TEST

START_TEST(a_refused_document_needs_no_error_object)
{
    XmlNode *root = &unset;

    ck_assert_int_eq(xml_parse("<a><b></a>", 10, &root, NULL), ERR_DATA);
    ck_assert_ptr_null(root);
}
END_TEST

/* The length is refused before a byte is read, so a short buffer stands in. */
START_TEST(documents_too_large_for_one_piece_are_refused)
{
    XmlNode *root = &unset;
    Error err;

    ck_assert_int_eq(xml_parse("<a/>", (size_t)INT_MAX + 1, &root, &err), ERR_TOO_BIG);
    ck_assert_ptr_null(root);
    ck_assert_str_eq(err.message, "XML document too large to parse in one piece");
}
END_TEST

START_TEST(only_len_bytes_are_parsed)
{
    XmlNode *root = parse_len_ok("<a>x</a>garbage", 8);

    ck_assert_str_eq(root->text, "x");
    xml_free(root);
}
END_TEST

/* --- querying --------------------------------------------------------------------- */

static const char list_doc[] = "<r>"
                               "<item>1</item><other>o</other><item>2</item>"
                               "<empty/><item>3</item>"
                               "</r>";

START_TEST(child_next_and_count_walk_repeated_children_in_order)
{
    XmlNode *root = parse_ok(list_doc);
    XmlNode *it;
    const char *want[] = {"1", "2", "3"};
    size_t i = 0;

    ck_assert_uint_eq(xml_count(root, "item"), 3);
    ck_assert_uint_eq(xml_count(root, "other"), 1);
    ck_assert_uint_eq(xml_count(root, "none"), 0);
    ck_assert_uint_eq(xml_count(root, "ite"), 0);
    for (it = xml_child(root, "item"); it != NULL; it = xml_next(root, "item", it)) {
        ck_assert_uint_lt(i, 3);
        ck_assert_str_eq(it->text, want[i]);
        i++;
    }
    ck_assert_uint_eq(i, 3);
    ck_assert_ptr_eq(xml_next(root, "item", NULL), xml_child(root, "item"));
    ck_assert_ptr_eq(xml_next(root, "other", root->kids[0]), root->kids[1]);
    ck_assert_ptr_null(xml_next(root, "other", root->kids[1]));
    ck_assert_ptr_null(xml_next(root, "item", root->kids[root->nkids - 1]));
    xml_free(root);
}
END_TEST

START_TEST(next_after_a_node_that_is_not_a_child_gives_null)
{
    XmlNode *root = parse_ok(list_doc);
    XmlNode *stranger = xml_new("item", "x");

    ck_assert_ptr_null(xml_next(root, "item", stranger));
    ck_assert_ptr_null(xml_next(root, "item", root));
    xml_free(stranger);
    xml_free(root);
}
END_TEST

START_TEST(child_text_tells_a_missing_child_from_an_empty_one)
{
    XmlNode *root = parse_ok(list_doc);

    ck_assert_str_eq(xml_child_text(root, "item"), "1");
    ck_assert_str_eq(xml_child_text(root, "empty"), "");
    ck_assert_ptr_null(xml_child_text(root, "missing"));
    ck_assert_ptr_null(xml_child(root, "missing"));
    xml_free(root);
}
END_TEST

START_TEST(path_follows_child_names)
{
    XmlNode *root = parse_ok("<r><login><username>u</username><password/></login>"
                             "<login><username>second</username></login></r>");

    ck_assert_str_eq(xml_path_text(root, "login/username"), "u");
    ck_assert_str_eq(xml_path_text(root, "login/password"), "");
    ck_assert_ptr_eq(xml_path(root, "login"), root->kids[0]);
    ck_assert_ptr_eq(xml_path(root, "login/"), root->kids[0]);
    ck_assert_ptr_eq(xml_path(root, ""), root);
    ck_assert_ptr_null(xml_path(root, "login/missing"));
    ck_assert_ptr_null(xml_path(root, "missing/username"));
    ck_assert_ptr_null(xml_path(root, "login/username/deeper"));
    ck_assert_ptr_null(xml_path(root, "login//username"));
    ck_assert_ptr_null(xml_path(root, "r/login"));
    ck_assert_ptr_null(xml_path_text(root, "login/missing"));
    xml_free(root);
}
END_TEST

/* A path part is copied into a 128-byte buffer: 127 bytes work, longer parts find nothing. */
START_TEST(path_parts_up_to_127_bytes_are_followed)
{
    char name[129];
    char doc[512];
    XmlNode *root;

    memset(name, 'n', sizeof(name) - 1);
    name[127] = '\0';
    snprintf(doc, sizeof(doc), "<r><%s>x</%s></r>", name, name);
    root = parse_ok(doc);
    ck_assert_str_eq(xml_path_text(root, name), "x");
    xml_free(root);

    name[127] = 'n';
    name[128] = '\0';
    snprintf(doc, sizeof(doc), "<r><%s>x</%s></r>", name, name);
    root = parse_ok(doc);
    ck_assert_str_eq(xml_child_text(root, name), "x");
    ck_assert_ptr_null(xml_path(root, name));
    xml_free(root);
}
END_TEST

START_TEST(queries_on_null_find_nothing)
{
    ck_assert_ptr_null(xml_child(NULL, "a"));
    ck_assert_ptr_null(xml_next(NULL, "a", NULL));
    ck_assert_uint_eq(xml_count(NULL, "a"), 0);
    ck_assert_ptr_null(xml_child_text(NULL, "a"));
    ck_assert_ptr_null(xml_path(NULL, "a/b"));
    ck_assert_ptr_null(xml_path_text(NULL, "a"));
}
END_TEST

START_TEST(leaves_are_elements_without_children)
{
    XmlNode *root = parse_ok("<r><a>text</a><b><c/></b></r>");

    ck_assert(!xml_is_leaf(root));
    ck_assert(xml_is_leaf(xml_child(root, "a")));
    ck_assert(!xml_is_leaf(xml_child(root, "b")));
    ck_assert(xml_is_leaf(xml_path(root, "b/c")));
    xml_free(root);
}
END_TEST

/* --- building and editing ------------------------------------------------------------- */

START_TEST(new_makes_a_detached_element)
{
    XmlNode *a = xml_new("a", NULL);
    XmlNode *b = xml_new("b", "text");

    ck_assert_str_eq(a->name, "a");
    ck_assert_ptr_null(a->ns);
    ck_assert_str_eq(a->text, "");
    ck_assert_uint_eq(a->text_len, 0);
    ck_assert_uint_eq(a->nkids, 0);
    ck_assert_ptr_null(a->parent);
    ck_assert_str_eq(b->text, "text");
    ck_assert_uint_eq(b->text_len, 4);
    xml_free(a);
    xml_free(b);
}
END_TEST

START_TEST(add_and_append_keep_document_order)
{
    XmlNode *root = xml_new("r", NULL);
    XmlNode *child = xml_new("c", "0");
    char text[32];

    ck_assert_ptr_eq(xml_append(root, child), child);
    ck_assert_ptr_eq(child->parent, root);
    for (int i = 1; i < 100; i++) {
        XmlNode *n;

        snprintf(text, sizeof(text), "%d", i);
        n = xml_add(root, "c", text);
        ck_assert_ptr_eq(n->parent, root);
        ck_assert_ptr_eq(root->kids[root->nkids - 1], n);
    }
    ck_assert_uint_eq(root->nkids, 100);
    ck_assert_uint_eq(xml_count(root, "c"), 100);
    for (size_t i = 0; i < root->nkids; i++) {
        snprintf(text, sizeof(text), "%zu", i);
        ck_assert_str_eq(root->kids[i]->text, text);
    }
    /* A child can itself get children. */
    xml_add(xml_add(child, "g", NULL), "gg", "deep");
    ck_assert_str_eq(xml_path_text(root, "c/g/gg"), "deep");
    xml_free(root);
}
END_TEST

START_TEST(set_text_replaces_the_text)
{
    XmlNode *n = xml_new("a", "old");

    xml_set_text(n, "a longer new text");
    ck_assert_str_eq(n->text, "a longer new text");
    ck_assert_uint_eq(n->text_len, 17);
    xml_set_text(n, NULL);
    ck_assert_str_eq(n->text, "");
    ck_assert_uint_eq(n->text_len, 0);
    xml_set_text(n, "x");
    ck_assert_str_eq(n->text, "x");
    ck_assert_uint_eq(n->text_len, 1);
    xml_free(n);
}
END_TEST

START_TEST(delete_unlinks_the_child_and_keeps_the_order)
{
    XmlNode *root = parse_ok("<r><a/><b><x/></b><c/><d/><e/></r>");

    xml_delete(xml_child(root, "b"));
    ck_assert_uint_eq(root->nkids, 4);
    ck_assert_str_eq(root->kids[0]->name, "a");
    ck_assert_str_eq(root->kids[1]->name, "c");
    ck_assert_str_eq(root->kids[2]->name, "d");
    ck_assert_str_eq(root->kids[3]->name, "e");
    ck_assert_ptr_null(xml_child(root, "b"));
    xml_delete(root->kids[0]);
    xml_delete(root->kids[root->nkids - 1]);
    ck_assert_uint_eq(root->nkids, 2);
    ck_assert_str_eq(root->kids[0]->name, "c");
    ck_assert_str_eq(root->kids[1]->name, "d");
    xml_delete(root->kids[0]);
    xml_delete(root->kids[0]);
    ck_assert_uint_eq(root->nkids, 0);
    ck_assert(xml_is_leaf(root));
    /* Children can be added again after all were deleted. */
    xml_add(root, "z", "1");
    ck_assert_str_eq(xml_child_text(root, "z"), "1");
    /* A detached element is simply freed. */
    xml_delete(root);
}
END_TEST

START_TEST(copy_is_deep_and_independent)
{
    XmlNode *orig = parse_ok(soap_default_ns);
    XmlNode *copy = xml_copy(orig);
    XmlNode *sub;

    ck_assert_ptr_ne(copy, orig);
    ck_assert_ptr_null(copy->parent);
    assert_same_tree(orig, copy);
    ck_assert_ptr_ne(copy->name, orig->name);
    ck_assert_ptr_eq(copy->ns, orig->ns); /* namespaces are shared, and immutable */
    ck_assert_ptr_ne(copy->kids[1], orig->kids[1]);

    /* Changing the copy leaves the original alone, and the other way round. */
    xml_set_text(xml_path(copy, "Body/loginResponse/sessionId"), "changed");
    xml_delete(xml_child(copy, "Header"));
    xml_add(copy, "Extra", "e");
    ck_assert_str_eq(xml_path_text(orig, "Body/loginResponse/sessionId"), "abc-123");
    ck_assert_ptr_nonnull(xml_child(orig, "Header"));
    ck_assert_ptr_null(xml_child(orig, "Extra"));
    xml_delete(xml_path(orig, "Body/loginResponse/user"));
    ck_assert_str_eq(xml_path_text(copy, "Body/loginResponse/user/name"), "Ann");

    /* A copy of a subtree has no parent; its children point at the copy. */
    sub = xml_copy(xml_path(orig, "Body/loginResponse"));
    ck_assert_ptr_null(sub->parent);
    ck_assert_str_eq(sub->ns, "urn:centra");
    ck_assert_uint_eq(sub->nkids, 1);
    ck_assert_ptr_eq(sub->kids[0]->parent, sub);
    xml_free(orig);
    ck_assert_str_eq(xml_child_text(sub, "sessionId"), "abc-123");
    xml_free(sub);
    xml_free(copy);
}
END_TEST

START_TEST(free_of_null_is_a_no_op)
{
    xml_free(NULL);
}
END_TEST

/* --- writing ---------------------------------------------------------------------------- */

START_TEST(write_gives_exact_markup)
{
    XmlNode *root = xml_new("a", NULL);
    XmlNode *d;
    char *out;

    xml_add(root, "b", "x & y < z");
    xml_add(root, "c", NULL);
    d = xml_add(root, "d", NULL);
    xml_add(d, "e", "1");
    out = write_tree(root, "p", false);
    ck_assert_str_eq(out, "<p:a><p:b>x &amp; y &lt; z</p:b><p:c/><p:d><p:e>1</p:e></p:d></p:a>");
    xfree(out);
    out = write_tree(root, NULL, true);
    ck_assert_str_eq(out, "<a>\n"
                          "  <b>x &amp; y &lt; z</b>\n"
                          "  <c/>\n"
                          "  <d>\n"
                          "    <e>1</e>\n"
                          "  </d>\n"
                          "</a>\n");
    xfree(out);
    xml_free(root);
}
END_TEST

static const char round_trip_doc[] =
    "<r>\n"
    "  <plain>hello</plain>\n"
    "  <escaped>a &amp; b &lt; c &gt; d &quot; e ' f</escaped>\n"
    "  <cr>line&#13;\nnext</cr>\n"
    "  <spaces>   </spaces>\n"
    "  <padded>  x  </padded>\n"
    "  <empty/>\n"
    "  <utf8>caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80</utf8>\n"
    "  <cdata><![CDATA[<not-markup/> & ]]></cdata>\n"
    "  <list><item>1</item><item>2</item><item><sub>3</sub></item></list>\n"
    "  <a><b><c><d><e>deep</e></d></c></b></a>\n"
    "</r>\n";

START_TEST(parse_write_parse_gives_the_same_tree)
{
    XmlNode *first = parse_ok(round_trip_doc);

    for (int indent = 0; indent <= 1; indent++) {
        char *out = write_tree(first, NULL, indent != 0);
        XmlNode *second = parse_ok(out);
        char *again;

        assert_same_tree(first, second);
        /* Writing is a fixed point. */
        again = write_tree(second, NULL, indent != 0);
        ck_assert_str_eq(again, out);
        xfree(again);
        xfree(out);
        xml_free(second);
    }
    ck_assert_str_eq(xml_child_text(first, "cr"), "line\r\nnext");
    ck_assert_str_eq(xml_child_text(first, "spaces"), "   ");
    xml_free(first);
}
END_TEST

/* With a prefix the writer needs the prefix declared: write inside a wrapper that does. */
START_TEST(a_prefixed_write_keeps_the_namespace)
{
    XmlNode *first = parse_ok("<Envelope xmlns=\"urn:c\"><Body><x>1</x><y/></Body></Envelope>");
    DynBuf b;
    XmlWriter w;
    XmlNode *second;

    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, "c", true, 0);
    xw_open_attr(&w, "wrap", "xmlns:c", "urn:c");
    xml_write(&w, first);
    xw_close(&w, "wrap");
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    ck_assert_contains(dynbuf_str(&b), "  <c:Envelope>\n");
    second = parse_ok(dynbuf_str(&b));
    ck_assert_str_eq(second->name, "wrap");
    ck_assert_uint_eq(second->nkids, 1);
    ck_assert_str_eq(second->kids[0]->ns, "urn:c");
    assert_same_tree(first, second->kids[0]);
    xml_free(second);
    xml_free(first);
    dynbuf_free(&b);
}
END_TEST

START_TEST(a_tree_at_the_depth_limit_round_trips_indented)
{
    char *doc = nested_doc(XML_MAX_DEPTH, "<d>bottom</d>");
    XmlNode *first = parse_ok(doc);
    char *out = write_tree(first, NULL, true);
    XmlNode *second = parse_ok(out);

    assert_same_tree(first, second);
    xml_free(second);
    xml_free(first);
    xfree(out);
    xfree(doc);
}
END_TEST

START_TEST(write_refuses_text_xml_cannot_carry)
{
    XmlNode *root = xml_new("a", NULL);
    DynBuf b;
    XmlWriter w;

    xml_add(root, "ok", "fine");
    xml_add(root, "bad", "bell\x07");
    xml_add(root, "after", "never written");
    dynbuf_init(&b, BIG_CAP);
    xw_init(&w, &b, NULL, false, 0);
    xml_write(&w, root);
    ck_assert_int_eq(xw_status(&w), ERR_DATA);
    ck_assert_not_contains(dynbuf_str(&b), "never written");
    dynbuf_free(&b);
    xml_free(root);
}
END_TEST

START_TEST(write_respects_the_output_cap)
{
    XmlNode *root = parse_ok(round_trip_doc);
    DynBuf b;
    XmlWriter w;

    dynbuf_init(&b, 64);
    xw_init(&w, &b, NULL, false, 0);
    xml_write(&w, root);
    ck_assert_int_eq(xw_status(&w), ERR_TOO_BIG);
    ck_assert_uint_le(dynbuf_len(&b), 64);
    dynbuf_free(&b);
    xml_free(root);
}
END_TEST

static Suite *
xmltree_suite(void)
{
    Suite *s = suite_create("xmltree");
    TCase *parse = tcase_create("parse");
    TCase *refuse = tcase_create("refuse");
    TCase *query = tcase_create("query");
    TCase *edit = tcase_create("edit");
    TCase *write = tcase_create("write");

    tcase_add_test(parse, soap_with_default_namespaces_is_parsed);
    tcase_add_test(parse, prefixed_elements_are_matched_by_local_name);
    tcase_add_test(parse, a_prefix_and_a_default_namespace_for_one_uri_are_the_same);
    tcase_add_test(parse, a_namespace_uri_may_hold_a_space);
    tcase_add_test(parse, documents_without_namespaces_have_none);
    tcase_add_test(parse, whitespace_between_elements_is_dropped_but_leaf_text_is_kept);
    tcase_add_test(parse, text_is_accumulated_across_references_and_cdata);
    tcase_add_test(parse, line_ends_are_normalized_but_cr_references_are_kept);
    tcase_add_test(parse, comments_and_processing_instructions_are_skipped);
    tcase_add_test(parse, a_lone_root_leaf_is_a_document);
    tcase_add_test(parse, exactly_xml_max_depth_levels_are_accepted);
    tcase_add_test(parse, only_len_bytes_are_parsed);
    tcase_add_loop_test(refuse, bad_documents_are_refused_with_line_and_column, 0,
                        (int)CB_LENGTH(bad_docs));
    tcase_add_test(refuse, a_nul_byte_is_refused);
    tcase_add_test(refuse, one_level_deeper_is_refused);
    tcase_add_test(refuse, one_level_deeper_is_refused_when_the_deepest_element_is_empty);
    tcase_add_test(refuse, very_deep_documents_are_refused);
    tcase_add_test(refuse, element_count_is_capped);
    tcase_add_test(refuse, a_refused_document_needs_no_error_object);
    tcase_add_test(refuse, documents_too_large_for_one_piece_are_refused);
    tcase_add_test(query, child_next_and_count_walk_repeated_children_in_order);
    tcase_add_test(query, next_after_a_node_that_is_not_a_child_gives_null);
    tcase_add_test(query, child_text_tells_a_missing_child_from_an_empty_one);
    tcase_add_test(query, path_follows_child_names);
    tcase_add_test(query, path_parts_up_to_127_bytes_are_followed);
    tcase_add_test(query, queries_on_null_find_nothing);
    tcase_add_test(query, leaves_are_elements_without_children);
    tcase_add_test(query, content_offsets_span_the_text_between_the_tags);
    tcase_add_test(query, equal_compares_names_text_and_order);
    tcase_add_test(query, next_walks_correctly_after_a_delete);
    tcase_add_test(query, a_namespace_is_stored_once_and_outlives_its_document_in_copies);
    tcase_add_test(edit, new_makes_a_detached_element);
    tcase_add_test(edit, add_and_append_keep_document_order);
    tcase_add_test(edit, set_text_replaces_the_text);
    tcase_add_test(edit, delete_unlinks_the_child_and_keeps_the_order);
    tcase_add_test(edit, copy_is_deep_and_independent);
    tcase_add_test(edit, free_of_null_is_a_no_op);
    tcase_add_test(write, write_gives_exact_markup);
    tcase_add_test(write, parse_write_parse_gives_the_same_tree);
    tcase_add_test(write, a_prefixed_write_keeps_the_namespace);
    tcase_add_test(write, a_tree_at_the_depth_limit_round_trips_indented);
    tcase_add_test(write, write_refuses_text_xml_cannot_carry);
    tcase_add_test(write, write_respects_the_output_cap);
    suite_add_tcase(s, parse);
    suite_add_tcase(s, refuse);
    suite_add_tcase(s, query);
    suite_add_tcase(s, edit);
    suite_add_tcase(s, write);
    return s;
}

CB_TEST_MAIN(xmltree_suite)
