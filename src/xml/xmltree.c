/*
 * src/xml/xmltree.c
 *     The small DOM (see xmltree.h), parsed with expat in namespace mode.
 */
#include "centra/xmltree.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <expat.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"

#define NS_SEP       '\x01' /* between namespace URI and local name: can be in neither */
#define XML_TEXT_CAP (64u * 1024 * 1024)

typedef struct ParseState {
    XML_Parser parser;       /* expat */
    XmlNode *root;           /* first element */
    XmlNode *cur;            /* element being filled */
    DynBuf text;             /* character data of cur so far */
    size_t depth;            /* current nesting */
    size_t nodes;            /* elements so far */
    size_t max_nodes;        /* more are refused */
    const char *fail;        /* our own reason to stop, or NULL */
    unsigned long fail_line; /* where we stopped (the start of the offending markup) */
    unsigned long fail_col;
} ParseState;

/* --- namespaces -------------------------------------------------------------- */

/*
 * A namespace URI is stored once and shared, with a count of the nodes that
 * use it: a document with a long xmlns on a million elements must not hold a
 * million copies of it.  Counted atomically, because copies of a request's
 * nodes outlive the request in another thread.
 */
typedef struct NsRef {
    unsigned long refs; /* nodes using it */
    char uri[];         /* the URI, NUL-terminated */
} NsRef;

static NsRef *
ns_ref(const char *uri)
{
    return (NsRef *)(uintptr_t)(uri - offsetof(NsRef, uri));
}

static const char *
ns_new(const char *uri, size_t len)
{
    NsRef *r = xmalloc(sizeof(NsRef) + len + 1);

    r->refs = 1;
    memcpy(r->uri, uri, len);
    r->uri[len] = '\0';
    return r->uri;
}

static const char *
ns_hold(const char *uri)
{
    if (uri != NULL)
        __atomic_add_fetch(&ns_ref(uri)->refs, 1, __ATOMIC_RELAXED);
    return uri;
}

static void
ns_release(const char *uri)
{
    if (uri != NULL && __atomic_sub_fetch(&ns_ref(uri)->refs, 1, __ATOMIC_ACQ_REL) == 0)
        xfree(ns_ref(uri));
}

/* --- building --------------------------------------------------------------- */

/* A new node; ns is held (not copied) by it. */
static XmlNode *
node_new(const char *name, size_t name_len, const char *ns)
{
    XmlNode *n = xcalloc(1, sizeof(XmlNode));

    n->name = xstrndup(name, name_len);
    n->ns = ns_hold(ns);
    n->text = xstrdup("");
    return n;
}

XmlNode *
xml_new(const char *name, const char *text)
{
    XmlNode *n = node_new(name, strlen(name), NULL);

    xml_set_text(n, text);
    return n;
}

XmlNode *
xml_append(XmlNode *parent, XmlNode *child)
{
    if (parent->nkids == parent->kids_alloc) {
        parent->kids_alloc = parent->kids_alloc == 0 ? 4 : parent->kids_alloc * 2;
        parent->kids = xrealloc_array(parent->kids, parent->kids_alloc, sizeof(XmlNode *));
    }
    child->pos = parent->nkids;
    parent->kids[parent->nkids++] = child;
    child->parent = parent;
    return child;
}

XmlNode *
xml_add(XmlNode *parent, const char *name, const char *text)
{
    return xml_append(parent, xml_new(name, text));
}

void
xml_set_text(XmlNode *n, const char *text)
{
    xfree(n->text);
    n->text = xstrdup(text != NULL ? text : "");
    n->text_len = strlen(n->text);
}

void
xml_free(XmlNode *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        xml_free(n->kids[i]);
    xfree(n->kids);
    xfree(n->name);
    ns_release(n->ns);
    xfree(n->text);
    xfree(n);
}

void
xml_delete(XmlNode *child)
{
    XmlNode *p = child->parent;

    if (p != NULL && child->pos < p->nkids && p->kids[child->pos] == child) {
        size_t i = child->pos;

        memmove(&p->kids[i], &p->kids[i + 1], (p->nkids - i - 1) * sizeof(XmlNode *));
        p->nkids--;
        for (; i < p->nkids; i++)
            p->kids[i]->pos = i;
    }
    xml_free(child);
}

XmlNode *
xml_copy(const XmlNode *n)
{
    XmlNode *c = node_new(n->name, strlen(n->name), n->ns);

    xfree(c->text);
    c->text = xstrndup(n->text, n->text_len);
    c->text_len = n->text_len;
    for (size_t i = 0; i < n->nkids; i++)
        xml_append(c, xml_copy(n->kids[i]));
    return c;
}

/* --- querying ------------------------------------------------------------------ */

XmlNode *
xml_next(const XmlNode *n, const char *name, const XmlNode *after)
{
    size_t i = 0;

    if (n == NULL)
        return NULL;
    if (after != NULL) {
        /* O(1) through pos, so walking all children is linear. */
        if (after->parent != n || after->pos >= n->nkids || n->kids[after->pos] != after)
            return NULL;
        i = after->pos + 1;
    }
    for (; i < n->nkids; i++)
        if (strcmp(n->kids[i]->name, name) == 0)
            return n->kids[i];
    return NULL;
}

XmlNode *
xml_child(const XmlNode *n, const char *name)
{
    return xml_next(n, name, NULL);
}

size_t
xml_count(const XmlNode *n, const char *name)
{
    size_t count = 0;

    for (size_t i = 0; n != NULL && i < n->nkids; i++)
        count += strcmp(n->kids[i]->name, name) == 0;
    return count;
}

const char *
xml_child_text(const XmlNode *n, const char *name)
{
    const XmlNode *c = xml_child(n, name);

    return c != NULL ? c->text : NULL;
}

XmlNode *
xml_path(const XmlNode *n, const char *path)
{
    char part[128];
    const char *p = path;
    const XmlNode *cur = n;

    while (cur != NULL && *p != '\0') {
        size_t len = strcspn(p, "/");

        if (len >= sizeof(part))
            return NULL;
        memcpy(part, p, len);
        part[len] = '\0';
        cur = xml_child(cur, part);
        p += len;
        if (*p == '/')
            p++;
    }
    return (XmlNode *)(uintptr_t)cur;
}

const char *
xml_path_text(const XmlNode *n, const char *path)
{
    const XmlNode *c = xml_path(n, path);

    return c != NULL ? c->text : NULL;
}

bool
xml_equal(const XmlNode *a, const XmlNode *b)
{
    if (a == b)
        return true;
    if (a == NULL || b == NULL || strcmp(a->name, b->name) != 0 || a->text_len != b->text_len ||
        memcmp(a->text, b->text, a->text_len) != 0 || a->nkids != b->nkids)
        return false;
    for (size_t i = 0; i < a->nkids; i++)
        if (!xml_equal(a->kids[i], b->kids[i]))
            return false;
    return true;
}

bool
xml_is_leaf(const XmlNode *n)
{
    return n->nkids == 0;
}

void
xml_write(XmlWriter *w, const XmlNode *n)
{
    if (n->nkids == 0) {
        xw_leafn(w, n->name, n->text, n->text_len);
        return;
    }
    xw_open(w, n->name);
    for (size_t i = 0; i < n->nkids; i++)
        xml_write(w, n->kids[i]);
    xw_close(w, n->name);
}

/* --- parsing --------------------------------------------------------------------- */

/* Stop parsing for a reason of ours, remembering where the offending markup starts. */
static void
refuse(ParseState *st, const char *why)
{
    st->fail = why;
    st->fail_line = (unsigned long)XML_GetCurrentLineNumber(st->parser);
    st->fail_col = (unsigned long)XML_GetCurrentColumnNumber(st->parser);
    XML_StopParser(st->parser, XML_FALSE);
}

/* Store the collected character data in cur (whitespace only if it has children). */
static void
flush_text(ParseState *st)
{
    XmlNode *n = st->cur;
    const char *t = dynbuf_str(&st->text);
    size_t len = dynbuf_len(&st->text);

    if (n == NULL)
        return;
    if (n->nkids > 0) {
        size_t i = 0;

        while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
            i++;
        if (i == len) {
            dynbuf_reset(&st->text);
            return;
        }
    }
    if (len > 0) {
        size_t old = n->text_len;

        n->text = xrealloc(n->text, old + len + 1);
        memcpy(n->text + old, t, len);
        n->text_len = old + len;
        n->text[n->text_len] = '\0';
    }
    dynbuf_reset(&st->text);
}

static void XMLCALL
on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
    ParseState *st = arg;
    const char *sep = strchr(name, NS_SEP);
    XmlNode *n;

    (void)attrs;
    if (++st->depth > XML_MAX_DEPTH) {
        refuse(st, "the document nests too deeply");
        return;
    }
    if (++st->nodes > st->max_nodes) {
        refuse(st, "the document has too many elements");
        return;
    }
    /* Whitespace before a first child is not text of the parent. */
    if (st->cur != NULL && st->cur->nkids == 0) {
        const char *t = dynbuf_str(&st->text);
        size_t len = dynbuf_len(&st->text);
        size_t i = 0;

        while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
            i++;
        if (i == len)
            dynbuf_reset(&st->text);
    }
    flush_text(st);
    if (sep == NULL) {
        n = node_new(name, strlen(name), NULL);
    } else {
        size_t len = (size_t)(sep - name);
        const char *parent_ns = st->cur != NULL ? st->cur->ns : NULL;

        /* Nearly always the parent's namespace: share it. */
        if (parent_ns != NULL && strncmp(parent_ns, name, len) == 0 && parent_ns[len] == '\0') {
            n = node_new(sep + 1, strlen(sep + 1), parent_ns);
        } else {
            const char *ns = ns_new(name, len);

            n = node_new(sep + 1, strlen(sep + 1), ns);
            ns_release(ns); /* the node holds it now */
        }
    }
    n->content_at =
        (size_t)XML_GetCurrentByteIndex(st->parser) + (size_t)XML_GetCurrentByteCount(st->parser);
    if (st->cur == NULL)
        st->root = n;
    else
        xml_append(st->cur, n);
    st->cur = n;
}

static void XMLCALL
on_end(void *arg, const XML_Char *name)
{
    ParseState *st = arg;

    XML_Index at = XML_GetCurrentByteIndex(st->parser);

    (void)name;
    flush_text(st);
    /* An empty-element tag (<x/>) ends where its content would begin. */
    if (at >= 0 && (size_t)at > st->cur->content_at)
        st->cur->content_len = (size_t)at - st->cur->content_at;
    st->depth--;
    st->cur = st->cur->parent;
}

static void XMLCALL
on_text(void *arg, const XML_Char *s, int len)
{
    ParseState *st = arg;

    if (dynbuf_add(&st->text, s, (size_t)len) != ERR_OK)
        refuse(st, "a text node is too large");
}

static void XMLCALL
on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
           int has_internal_subset)
{
    ParseState *st = arg;

    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    refuse(st, "document type declarations (DTDs) are not accepted");
}

static void XMLCALL
on_entity_decl(void *arg, const XML_Char *name, int is_param, const XML_Char *value, int len,
               const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
               const XML_Char *notation)
{
    ParseState *st = arg;

    (void)name;
    (void)is_param;
    (void)value;
    (void)len;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    refuse(st, "entity declarations are not accepted");
}

ErrKind
xml_parse(const char *data, size_t len, XmlNode **out, Error *err)
{
    return xml_parse_limit(data, len, XML_MAX_NODES, out, err);
}

ErrKind
xml_parse_limit(const char *data, size_t len, size_t max_nodes, XmlNode **out, Error *err)
{
    ParseState st;
    enum XML_Status status;
    ErrKind rc = ERR_OK;

    *out = NULL;
    memset(&st, 0, sizeof(st));
    st.max_nodes = max_nodes;
    if (len > (size_t)INT_MAX)
        return err_set(err, ERR_TOO_BIG, "XML document too large to parse in one piece");
    st.parser = XML_ParserCreateNS("UTF-8", NS_SEP);
    if (st.parser == NULL)
        return err_set(err, ERR_INTERNAL, "could not create an XML parser");
    dynbuf_init(&st.text, XML_TEXT_CAP);
    XML_SetUserData(st.parser, &st);
    XML_SetElementHandler(st.parser, on_start, on_end);
    XML_SetCharacterDataHandler(st.parser, on_text);
    XML_SetStartDoctypeDeclHandler(st.parser, on_doctype);
    XML_SetEntityDeclHandler(st.parser, on_entity_decl);
    status = XML_Parse(st.parser, data, (int)len, XML_TRUE);
    if (st.fail != NULL) {
        rc = err_set(err, ERR_DATA, "XML refused at line %lu, column %lu: %s", st.fail_line,
                     st.fail_col + 1, st.fail);
        xml_free(st.root);
        st.root = NULL;
    } else if (status != XML_STATUS_OK) {
        unsigned long line = XML_GetCurrentLineNumber(st.parser);
        unsigned long col = XML_GetCurrentColumnNumber(st.parser);

        rc = err_set(err, ERR_DATA, "malformed XML at line %lu, column %lu: %s", line, col + 1,
                     XML_ErrorString(XML_GetErrorCode(st.parser)));
        xml_free(st.root);
        st.root = NULL;
    } else if (st.root == NULL) {
        rc = err_set(err, ERR_DATA, "the XML document has no element");
    }
    dynbuf_free(&st.text);
    XML_ParserFree(st.parser);
    *out = st.root;
    return rc;
}
