/*
 * src/xml/xmlwriter.c
 *     XML text writer with escaping and character validation (see xmlwriter.h).
 */
#include "centra/xmlwriter.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "centra/utf8.h"

void
xw_set_prefix(XmlWriter *w, const char *prefix)
{
    w->prefix = prefix != NULL && prefix[0] != '\0' ? prefix : NULL;
    w->prefix_len = w->prefix != NULL ? strlen(w->prefix) : 0;
}

void
xw_init(XmlWriter *w, DynBuf *out, const char *prefix, bool indent, int depth)
{
    w->out = out;
    xw_set_prefix(w, prefix);
    w->indent = indent;
    w->depth = depth;
    w->rc = ERR_OK;
}

/* Append to the output (dynbuf_add is inline: answers are built from many small pieces). */
static inline void
put(XmlWriter *w, const char *s, size_t len)
{
    if (w->rc == ERR_OK && dynbuf_add(w->out, s, len) != ERR_OK)
        w->rc = ERR_TOO_BIG;
}

static void
puts_(XmlWriter *w, const char *s)
{
    put(w, s, strlen(s));
}

static void
indent(XmlWriter *w)
{
    static const char spaces[] = "                                                                ";
    size_t n;

    if (!w->indent || w->depth <= 0)
        return;
    n = (size_t)w->depth * 2;
    while (n > sizeof(spaces) - 1) {
        put(w, spaces, sizeof(spaces) - 1);
        n -= sizeof(spaces) - 1;
    }
    put(w, spaces, n);
}

static void
newline(XmlWriter *w)
{
    if (w->indent)
        put(w, "\n", 1);
}

static void
tag_name(XmlWriter *w, const char *name)
{
    if (w->prefix != NULL) {
        put(w, w->prefix, w->prefix_len);
        put(w, ":", 1);
    }
    puts_(w, name);
}

/* "<p:name" and the attribute, if any: a start tag but for its end. */
static void
tag_start(XmlWriter *w, const char *name, const char *attr, const char *value)
{
    indent(w);
    put(w, "<", 1);
    tag_name(w, name);
    if (attr != NULL) {
        size_t bad;

        put(w, " ", 1);
        puts_(w, attr);
        put(w, "=\"", 2);
        if (w->rc == ERR_OK)
            w->rc = xml_escape(w->out, value, strlen(value), &bad);
        put(w, "\"", 1);
    }
}

void
xw_open_attr(XmlWriter *w, const char *name, const char *attr, const char *value)
{
    tag_start(w, name, attr, value);
    put(w, ">", 1);
    newline(w);
    w->depth++;
}

void
xw_open(XmlWriter *w, const char *name)
{
    xw_open_attr(w, name, NULL, NULL);
}

void
xw_close(XmlWriter *w, const char *name)
{
    w->depth--;
    indent(w);
    put(w, "</", 2);
    tag_name(w, name);
    put(w, ">", 1);
    newline(w);
}

void
xw_leafn(XmlWriter *w, const char *name, const char *text, size_t len)
{
    xw_leafn_attr(w, name, NULL, NULL, text, len);
}

void
xw_leafn_attr(XmlWriter *w, const char *name, const char *attr, const char *value, const char *text,
              size_t len)
{
    size_t bad;

    tag_start(w, name, attr, value);
    if (text == NULL || len == 0) {
        put(w, "/>", 2);
        newline(w);
        return;
    }
    put(w, ">", 1);
    if (w->rc == ERR_OK)
        w->rc = xml_escape(w->out, text, len, &bad);
    put(w, "</", 2);
    tag_name(w, name);
    put(w, ">", 1);
    newline(w);
}

void
xw_leaf(XmlWriter *w, const char *name, const char *text)
{
    xw_leafn(w, name, text, text != NULL ? strlen(text) : 0);
}

void
xw_leaff(XmlWriter *w, const char *name, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        if (w->rc == ERR_OK)
            w->rc = ERR_TOO_BIG;
        return;
    }
    xw_leafn(w, name, buf, (size_t)n);
}

void
xw_leafi(XmlWriter *w, const char *name, long long v)
{
    char buf[24];
    char *p = buf + sizeof(buf);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    xw_leafn(w, name, p, (size_t)(buf + sizeof(buf) - p));
}

void
xw_raw(XmlWriter *w, const char *markup, size_t len)
{
    put(w, markup, len);
}

ErrKind
xw_status(const XmlWriter *w)
{
    return w->rc;
}

const char *
xw_error(const XmlWriter *w)
{
    switch (w->rc) {
    case ERR_OK:
        return "no error";
    case ERR_DATA:
        return "text holds characters XML 1.0 cannot carry";
    case ERR_TOO_BIG:
        return "document exceeds its size limit";
    default:
        return "XML writing failed";
    }
}

/* Length of the XML character at s (1-4 bytes), or 0 if it is not one. */
static size_t
xml_char_len(const unsigned char *s, size_t len)
{
    size_t n = utf8_valid_prefix(s, len);

    if (n == 1 && s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' && s[0] != '\r')
        return 0;
    /* U+FFFE and U+FFFF are not XML characters. */
    if (n == 3 && s[0] == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF))
        return 0;
    return n;
}

bool
xml_text_valid(const char *text, size_t len, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;

    while (i < len) {
        size_t n = xml_char_len(p + i, len - i);

        if (n == 0) {
            if (bad_offset != NULL)
                *bad_offset = i;
            return false;
        }
        i += n;
    }
    return true;
}

ErrKind
xml_escape(DynBuf *out, const char *text, size_t len, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t start = 0;
    size_t i = 0;

    while (i < len) {
        const char *ref = NULL;
        size_t n;

        /* Fast path: printable ASCII that needs no escaping. */
        if (p[i] >= 0x20 && p[i] < 0x7F && p[i] != '&' && p[i] != '<' && p[i] != '>' &&
            p[i] != '"') {
            i++;
            continue;
        }
        switch (p[i]) {
        case '&':
            ref = "&amp;";
            break;
        case '<':
            ref = "&lt;";
            break;
        case '>':
            ref = "&gt;";
            break;
        case '"':
            ref = "&quot;";
            break;
        case '\r':
            ref = "&#13;";
            break;
        default:
            break;
        }
        if (ref != NULL) {
            if (dynbuf_add(out, text + start, i - start) != ERR_OK ||
                dynbuf_addstr(out, ref) != ERR_OK)
                return ERR_TOO_BIG;
            i++;
            start = i;
            continue;
        }
        n = xml_char_len(p + i, len - i);
        if (n == 0) {
            if (bad_offset != NULL)
                *bad_offset = i;
            return ERR_DATA;
        }
        i += n;
    }
    return dynbuf_add(out, text + start, len - start) != ERR_OK ? ERR_TOO_BIG : ERR_OK;
}
