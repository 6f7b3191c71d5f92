/*
 * include/centra/xmlwriter.h
 *     Writing XML text: elements with a fixed namespace prefix, escaped text.
 *
 * Every value is escaped, and text that XML 1.0 cannot carry (invalid UTF-8,
 * control characters other than tab, newline and carriage return, U+FFFE,
 * U+FFFF) is refused with ERR_DATA, so whatever the writer produces is
 * well-formed.  Errors are sticky: after the first one every call is a
 * no-op and xw_status reports it, so callers check once at the end.
 */
#ifndef CENTRA_XMLWRITER_H
#define CENTRA_XMLWRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/attrs.h"
#include "centra/dynbuf.h"
#include "centra/error.h"

typedef struct XmlWriter {
    DynBuf *out;        /* where the text goes (borrowed) */
    const char *prefix; /* namespace prefix of every element; NULL or "" for none */
    size_t prefix_len;  /* strlen(prefix), 0 for none */
    bool indent;        /* two spaces per level and a newline after each line */
    int depth;          /* current nesting, for indentation */
    ErrKind rc;         /* first error, ERR_OK while none */
} XmlWriter;

/* Start writing into out at nesting depth (for indentation). */
void xw_init(XmlWriter *w, DynBuf *out, const char *prefix, bool indent, int depth);

/* <p:name>, with an optional attribute (attr NULL for none), e.g. an xmlns. */
void xw_open(XmlWriter *w, const char *name);
void xw_open_attr(XmlWriter *w, const char *name, const char *attr, const char *value);

/* </p:name> */
void xw_close(XmlWriter *w, const char *name);

/* <p:name>text</p:name>, or <p:name/> when text is NULL or empty. */
void xw_leaf(XmlWriter *w, const char *name, const char *text);

/* As xw_leaf with len bytes of text. */
void xw_leafn(XmlWriter *w, const char *name, const char *text, size_t len);

/* As xw_leafn with an optional attribute on the element, as xw_open_attr. */
void xw_leafn_attr(XmlWriter *w, const char *name, const char *attr, const char *value,
                   const char *text, size_t len);

/* Use prefix (NULL or "" for none) for the elements written from now on. */
void xw_set_prefix(XmlWriter *w, const char *prefix);

/* As xw_leaf with formatted text. */
void xw_leaff(XmlWriter *w, const char *name, const char *fmt, ...) CB_PRINTF(3, 4);

/* As xw_leaf with a decimal integer. */
void xw_leafi(XmlWriter *w, const char *name, long long v);

/* Append markup as is (already serialized, e.g. a stored element). */
void xw_raw(XmlWriter *w, const char *markup, size_t len);

/* ERR_OK, or the first error: ERR_DATA (text XML cannot carry), ERR_TOO_BIG. */
ErrKind xw_status(const XmlWriter *w);

/* A message for the first error (static string). */
const char *xw_error(const XmlWriter *w);

/*
 * Append len bytes of text escaped for element content or attribute values
 * (& < > " and carriage return become references).  ERR_DATA if the text
 * holds something XML 1.0 cannot carry; *bad_offset (may be NULL) then says
 * where.  ERR_TOO_BIG if out's cap is reached.
 */
ErrKind xml_escape(DynBuf *out, const char *text, size_t len, size_t *bad_offset) CB_MUSTCHECK;

/* Whether len bytes of text are well-formed UTF-8 made of XML 1.0 characters. */
bool xml_text_valid(const char *text, size_t len, size_t *bad_offset);

#endif /* CENTRA_XMLWRITER_H */
