/*
 * include/centra/xmltree.h
 *     A small DOM for small documents: SOAP requests, update responses,
 *     stored objects.  Never for event streams, which are parsed as they
 *     arrive.
 *
 * Elements are matched by local name; the namespace URI is kept for callers
 * that check it.  Whitespace between elements is dropped; the text of mixed
 * content is joined into the element's text, and xml_write writes text only
 * for elements without children (SOAP has no mixed content).  Attributes are
 * not kept.  Parsing refuses DTDs and entity declarations and caps depth,
 * element count and text size.
 */
#ifndef CENTRA_XMLTREE_H
#define CENTRA_XMLTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/attrs.h"
#include "centra/error.h"
#include "centra/xmlwriter.h"

typedef struct XmlNode XmlNode;
struct XmlNode {
    char *name;         /* local name */
    const char *ns;     /* namespace URI, NULL for none; shared by the nodes that have it */
    char *text;         /* character data directly inside; "" when none */
    size_t text_len;    /* its length in bytes */
    XmlNode **kids;     /* child elements in document order */
    size_t nkids;       /* number of children */
    size_t kids_alloc;  /* allocated entries of kids */
    XmlNode *parent;    /* NULL for the root */
    size_t pos;         /* index in parent->kids */
    size_t content_at;  /* parsed nodes: byte offset of the content after the start tag */
    size_t content_len; /* its length up to the end tag (0 for <x/>); 0 for built nodes */
};

#define XML_MAX_DEPTH 256      /* deeper documents are refused */
#define XML_MAX_NODES 1000000u /* documents with more elements are refused */

/*
 * Parse a whole document of len bytes.  On success *out is the root element,
 * freed by the caller with xml_free.  ERR_DATA with line and column when the
 * text is not well-formed XML, declares a DTD, nests deeper than
 * XML_MAX_DEPTH or holds more than XML_MAX_NODES elements.
 */
ErrKind xml_parse(const char *data, size_t len, XmlNode **out, Error *err) CB_MUSTCHECK;

/* As xml_parse with at most max_nodes elements instead of XML_MAX_NODES. */
ErrKind xml_parse_limit(const char *data, size_t len, size_t max_nodes, XmlNode **out,
                        Error *err) CB_MUSTCHECK;

/* Free n and everything below it; xml_free(NULL) is a no-op. */
void xml_free(XmlNode *n);

/* New element (no namespace) with text (NULL for none).  Caller owns it. */
XmlNode *xml_new(const char *name, const char *text);

/* Append child to parent (which takes ownership); returns child. */
XmlNode *xml_append(XmlNode *parent, XmlNode *child);

/* Append a new element with text to parent; returns it (owned by parent). */
XmlNode *xml_add(XmlNode *parent, const char *name, const char *text);

/* Remove child from its parent and free it. */
void xml_delete(XmlNode *child);

/* Replace n's text (NULL means ""). */
void xml_set_text(XmlNode *n, const char *text);

/* Deep copy of n, without parent.  Caller owns it. */
XmlNode *xml_copy(const XmlNode *n);

/* First child named name, or NULL. */
XmlNode *xml_child(const XmlNode *n, const char *name);

/* Next child named name after the child after (NULL: the first). */
XmlNode *xml_next(const XmlNode *n, const char *name, const XmlNode *after);

/* Number of children named name. */
size_t xml_count(const XmlNode *n, const char *name);

/* Text of the first child named name, or NULL when there is no such child. */
const char *xml_child_text(const XmlNode *n, const char *name);

/* Follow a path of child names separated by '/', e.g. "login/username". */
XmlNode *xml_path(const XmlNode *n, const char *path);

/* Text at path, or NULL. */
const char *xml_path_text(const XmlNode *n, const char *path);

/*
 * Whether a and b hold the same elements with the same names and text, in
 * the same order (namespaces and byte offsets aside).
 */
bool xml_equal(const XmlNode *a, const XmlNode *b);

/* Whether n has no child elements. */
bool xml_is_leaf(const XmlNode *n);

/* Serialize n (and everything below) with w's prefix.  Errors are in w. */
void xml_write(XmlWriter *w, const XmlNode *n);

#endif /* CENTRA_XMLTREE_H */
