/*
 * src/xml/jsonxml.c
 *     An outbox payload's JSON as XML elements (see jsonxml.h).
 *
 * A strict RFC 8259 parser by recursive descent that writes as it reads.
 * Made to survive any bytes (it is fuzzed): every read is checked against
 * len, NULs are ordinary bytes, recursion stops at JSONXML_MAX_DEPTH, and the
 * scratch memory is two buffers sized from len up front (a decoded string or
 * key is never longer than its JSON form), so nothing grows with the input
 * beyond that.
 *
 * Text is checked here, byte by byte, against what XML 1.0 can carry, so an
 * error names the payload byte; the writer's own check stays behind it.  On
 * any error the output buffer is cut back to its length on entry and the
 * writer's state restored, so nothing of a refused payload is ever written.
 */
#include "centra/jsonxml.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/utf8.h"

#define SHOW_MAX 32 /* bytes of a bad key, number or word quoted in a message */

#define HINT_OBJECT                                                                                \
    "The payload is one JSON object, such as {\"id\": \"30\"}; its members become the elements."
#define HINT_KEY                                                                                   \
    "A key must be an XML name without a colon: ASCII letters, digits, \"_\", \"-\" and \".\", "   \
    "not starting with a digit, \"-\" or \".\"."
#define HINT_VALUE                                                                                 \
    "A value is a string in double quotes, a number, true, false, null, an object or an array."
#define HINT_NUMBER                                                                                \
    "A JSON number has no leading zeros and no \"+\", digits on both sides of a decimal point, "   \
    "and is never NaN or Infinity."
#define HINT_ESCAPE                                                                                \
    "The JSON escapes are \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t and \\u followed by four "      \
    "hexadecimal digits."
#define HINT_SURROGATE                                                                             \
    "A character beyond U+FFFF is escaped as a surrogate pair, such as \\ud83d\\ude00."
#define HINT_CONTROL                                                                               \
    "JSON strings carry control characters only escaped, such as \\n; XML 1.0 carries none but "   \
    "tab, newline and carriage return."
#define HINT_XML_CHAR                                                                              \
    "XML 1.0 cannot carry control characters other than tab, newline and carriage return, nor "    \
    "U+FFFE and U+FFFF."
#define HINT_UTF8 "The payload must be UTF-8."
#define HINT_NESTED_ARRAY                                                                          \
    "An array item needs an element name: put the inner array in an object, such as "              \
    "[{\"item\": [1, 2]}]."

typedef struct JsonXml {
    const unsigned char *s; /* the payload */
    size_t len;             /* its length in bytes */
    size_t pos;             /* next byte to read */
    int depth;              /* objects and arrays open */
    XmlWriter *w;           /* output (borrowed) */
    char *names;            /* names of the open elements, each NUL-terminated: a stack */
    size_t names_len;       /* bytes used in names */
    char *text;             /* the string just read, decoded, NUL-terminated */
    size_t text_len;        /* its length in bytes */
    DynBuf path;            /* where we are, for messages: "order.lines[2].qty" */
    Error *err;             /* the caller's, set on failure */
} JsonXml;

static ErrKind write_value(JsonXml *p, const char *name);

/* --- errors ------------------------------------------------------------------ */

static ErrKind fail(JsonXml *p, size_t at, const char *hint, const char *fmt, ...) CB_PRINTF(4, 5);

/* Set ERR_DATA: "invalid outbox payload: <what>", the byte and path in the detail. */
static ErrKind
fail(JsonXml *p, size_t at, const char *hint, const char *fmt, ...)
{
    char what[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    err_set(p->err, ERR_DATA, "invalid outbox payload: %s", what);
    err_detail(p->err, "The error is at byte %zu of the payload, in \"%s\".", at,
               dynbuf_str(&p->path));
    if (hint != NULL)
        err_hint(p->err, "%s", hint);
    return ERR_DATA;
}

/*
 * Write up to SHOW_MAX bytes of s into buf (at least SHOW_MAX * 4 + 4 bytes)
 * for a message: printable ASCII as is, anything else as \xNN, "..." if cut.
 */
static const char *
show(const char *s, size_t len, char *buf, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    size_t i;

    for (i = 0; i < len && i < SHOW_MAX && o + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            buf[o++] = (char)c;
            continue;
        }
        buf[o++] = '\\';
        buf[o++] = 'x';
        buf[o++] = hex[c >> 4];
        buf[o++] = hex[c & 0xF];
    }
    if (i < len && o + 4 <= size) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* "expected <what>, found <the byte at pos>". */
static ErrKind
expected(JsonXml *p, const char *what, const char *hint)
{
    char buf[16];
    const char *found = buf;

    if (p->pos >= p->len)
        found = "the end of the payload";
    else if (p->s[p->pos] == '"')
        found = "'\"'";
    else if (p->s[p->pos] >= 0x20 && p->s[p->pos] < 0x7F)
        snprintf(buf, sizeof(buf), "\"%c\"", p->s[p->pos]);
    else
        snprintf(buf, sizeof(buf), "byte 0x%02X", p->s[p->pos]);
    return fail(p, p->pos, hint, "expected %s, found %s", what, found);
}

/* --- characters -------------------------------------------------------------- */

static bool
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool
is_letter(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The byte at pos, or -1 at the end. */
static int
peek(const JsonXml *p)
{
    return p->pos < p->len ? p->s[p->pos] : -1;
}

/* Skip JSON whitespace: space, tab, newline, carriage return (nothing else). */
static void
skip_ws(JsonXml *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

/* Whether s is an XML name without a colon, ASCII only (see jsonxml.h). */
static bool
name_valid(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || !(is_letter(s[0]) || s[0] == '_'))
        return false;
    for (i = 1; i < len; i++)
        if (!(is_letter(s[i]) || is_digit(s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.'))
            return false;
    return true;
}

/* Whether code point cp is an XML 1.0 character (surrogates are dealt with before). */
static bool
xml_char(unsigned long cp)
{
    if (cp < 0x20)
        return cp == '\t' || cp == '\n' || cp == '\r';
    return cp != 0xFFFE && cp != 0xFFFF;
}

/* --- strings ----------------------------------------------------------------- */

/* Append code point cp (at most U+10FFFF, not a surrogate) to text as UTF-8. */
static void
text_put(JsonXml *p, unsigned long cp)
{
    char *t = p->text + p->text_len;

    if (cp < 0x80) {
        t[0] = (char)cp;
        p->text_len += 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        p->text_len += 2;
    } else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        p->text_len += 3;
    } else {
        t[0] = (char)(0xF0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (char)(0x80 | (cp & 0x3F));
        p->text_len += 4;
    }
}

/* The four hex digits at byte at as a number, or -1 if there are not four. */
static long
hex4(const JsonXml *p, size_t at)
{
    long v = 0;
    size_t i;

    if (at > p->len || p->len - at < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        int c = p->s[at + i];
        int d;

        if (is_digit(c))
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A \u escape at pos (a surrogate pair takes two): decode it into text. */
static ErrKind
read_u_escape(JsonXml *p)
{
    size_t at = p->pos;
    size_t next = at + 6;
    long u = hex4(p, at + 2);
    unsigned long cp;

    if (u < 0)
        return fail(p, at, HINT_ESCAPE, "invalid \\u escape in a string");
    cp = (unsigned long)u;
    if (cp >= 0xD800 && cp <= 0xDFFF) {
        long lo = -1;

        /* A high surrogate needs a low one right after it, as \uDC00-\uDFFF. */
        if (cp <= 0xDBFF && next + 1 < p->len && p->s[next] == '\\' && p->s[next + 1] == 'u')
            lo = hex4(p, next + 2);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(p, at, HINT_SURROGATE, "lone surrogate \"\\u%04lX\" in a string", cp);
        cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
        next += 6;
    }
    if (!xml_char(cp))
        return fail(p, at, HINT_XML_CHAR, "character U+%04lX cannot be carried in XML", cp);
    text_put(p, cp);
    p->pos = next;
    return ERR_OK;
}

/* The escape at pos (a backslash; start is the string's quote): decode it into text. */
static ErrKind
read_escape(JsonXml *p, size_t start)
{
    char buf[SHOW_MAX * 4 + 4];
    unsigned long cp;

    if (p->len - p->pos < 2)
        return fail(p, start, NULL, "unterminated string");
    switch (p->s[p->pos + 1]) {
    case '"':
    case '\\':
    case '/':
        cp = p->s[p->pos + 1];
        break;
    case 'n':
        cp = '\n';
        break;
    case 'r':
        cp = '\r';
        break;
    case 't':
        cp = '\t';
        break;
    case 'b':
    case 'f':
        return fail(p, p->pos, HINT_XML_CHAR, "character U+%04X cannot be carried in XML",
                    p->s[p->pos + 1] == 'b' ? 0x08U : 0x0CU);
    case 'u':
        return read_u_escape(p);
    default:
        return fail(p, p->pos, HINT_ESCAPE, "invalid escape \"\\%s\" in a string",
                    show((const char *)p->s + p->pos + 1, 1, buf, sizeof(buf)));
    }
    text_put(p, cp);
    p->pos += 2;
    return ERR_OK;
}

/* A raw byte of 0x80 or more at pos: copy its UTF-8 sequence into text, if XML can carry it. */
static ErrKind
read_utf8(JsonXml *p)
{
    const unsigned char *c = p->s + p->pos;
    size_t n = utf8_valid_prefix(c, p->len - p->pos);

    if (n == 0)
        return fail(p, p->pos, HINT_UTF8, "invalid UTF-8 in a string");
    if (n == 3 && c[0] == 0xEF && c[1] == 0xBF && (c[2] == 0xBE || c[2] == 0xBF))
        return fail(p, p->pos, HINT_XML_CHAR, "character U+FFF%c cannot be carried in XML",
                    c[2] == 0xBE ? 'E' : 'F');
    memcpy(p->text + p->text_len, c, n);
    p->text_len += n;
    p->pos += n;
    return ERR_OK;
}

/* The string at pos (its opening quote): decode it into text and step past it. */
static ErrKind
read_string(JsonXml *p)
{
    size_t start = p->pos;
    ErrKind rc = ERR_OK;

    p->pos++;
    p->text_len = 0;
    while (rc == ERR_OK) {
        unsigned char c;

        if (p->pos >= p->len)
            return fail(p, start, NULL, "unterminated string");
        c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            p->text[p->text_len] = '\0';
            return ERR_OK;
        }
        if (c == '\\') {
            rc = read_escape(p, start);
        } else if (c < 0x20) {
            rc = fail(p, p->pos, HINT_CONTROL, "unescaped control character U+%04X in a string", c);
        } else if (c >= 0x80) {
            rc = read_utf8(p);
        } else {
            p->text[p->text_len++] = (char)c;
            p->pos++;
        }
    }
    return rc;
}

/* --- values ------------------------------------------------------------------ */

/* <name>text</name>, or <name/> for no text. */
static void
leaf(JsonXml *p, const char *name, const char *text, size_t len)
{
    xw_leafn(p->w, name, text, len);
}

/* Length of the number-like run at start (for messages). */
static size_t
number_run(const JsonXml *p, size_t start)
{
    size_t i = start;

    while (i < p->len && (is_digit(p->s[i]) || is_letter(p->s[i]) || p->s[i] == '.' ||
                          p->s[i] == '+' || p->s[i] == '-'))
        i++;
    return i - start;
}

/* Step past digits from i; returns the new index. */
static size_t
digits(const JsonXml *p, size_t i)
{
    while (i < p->len && is_digit(p->s[i]))
        i++;
    return i;
}

/* A number at pos: checked against the JSON grammar, written exactly as it is. */
static ErrKind
write_number(JsonXml *p, const char *name)
{
    char buf[SHOW_MAX * 4 + 4];
    size_t start = p->pos;
    size_t i = start;
    bool ok = true;

    if (i < p->len && p->s[i] == '-')
        i++;
    if (i < p->len && p->s[i] == '0')
        i++;
    else if (i < p->len && p->s[i] >= '1' && p->s[i] <= '9')
        i = digits(p, i);
    else
        ok = false;
    if (ok && i < p->len && p->s[i] == '.') {
        ok = i + 1 < p->len && is_digit(p->s[i + 1]);
        i = digits(p, i + 1);
    }
    if (ok && i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
            i++;
        ok = i < p->len && is_digit(p->s[i]);
        i = digits(p, i);
    }
    /* What could go on a number makes it a wrong one ("01", "1.2.3", "1e5x"). */
    if (ok && i < p->len &&
        (is_digit(p->s[i]) || is_letter(p->s[i]) || p->s[i] == '.' || p->s[i] == '+' ||
         p->s[i] == '-'))
        ok = false;
    if (!ok)
        return fail(p, start, HINT_NUMBER, "invalid number \"%s\"",
                    show((const char *)p->s + start, number_run(p, start), buf, sizeof(buf)));
    leaf(p, name, (const char *)p->s + start, i - start);
    p->pos = i;
    return ERR_OK;
}

/* A word at pos: true, false or null; any other is refused (NaN, Infinity, tru). */
static ErrKind
write_word(JsonXml *p, const char *name)
{
    char buf[SHOW_MAX * 4 + 4];
    const char *w = (const char *)p->s + p->pos;
    size_t n = 0;

    while (p->pos + n < p->len && is_letter(p->s[p->pos + n]))
        n++;
    if (n == 4 && memcmp(w, "true", 4) == 0)
        leaf(p, name, "true", 4);
    else if (n == 5 && memcmp(w, "false", 5) == 0)
        leaf(p, name, "false", 5);
    else if (n == 4 && memcmp(w, "null", 4) == 0)
        leaf(p, name, NULL, 0);
    else
        return fail(p, p->pos, HINT_VALUE, "invalid value \"%s\"", show(w, n, buf, sizeof(buf)));
    p->pos += n;
    return ERR_OK;
}

/* Enter an object or array at pos, unless that would nest too deep. */
static ErrKind
enter(JsonXml *p)
{
    if (p->depth >= JSONXML_MAX_DEPTH)
        return fail(p, p->pos, NULL, "nesting deeper than %d levels", JSONXML_MAX_DEPTH);
    p->depth++;
    p->pos++;
    skip_ws(p);
    return ERR_OK;
}

/* One member at pos (after whitespace): "key": value as the element <key>. */
static ErrKind
write_member(JsonXml *p)
{
    char buf[SHOW_MAX * 4 + 4];
    size_t at = p->pos;
    size_t names_mark = p->names_len;
    size_t path_mark = dynbuf_len(&p->path);
    char *name;
    ErrKind rc;

    if (peek(p) != '"')
        return expected(p, "a key in double quotes", NULL);
    rc = read_string(p);
    if (rc != ERR_OK)
        return rc;
    if (!name_valid(p->text, p->text_len))
        return fail(p, at, HINT_KEY, "invalid key \"%s\"",
                    show(p->text, p->text_len, buf, sizeof(buf)));
    name = p->names + p->names_len;
    memcpy(name, p->text, p->text_len + 1);
    p->names_len += p->text_len + 1;
    (void)dynbuf_addc(&p->path, '.');
    (void)dynbuf_add(&p->path, name, p->text_len);
    skip_ws(p);
    if (peek(p) != ':')
        return expected(p, "\":\" after a key", NULL);
    p->pos++;
    skip_ws(p);
    rc = write_value(p, name);
    p->names_len = names_mark;
    dynbuf_truncate(&p->path, path_mark);
    return rc;
}

/* An object at pos: <name>members</name>, or <name/> when it has none. */
static ErrKind
write_object(JsonXml *p, const char *name)
{
    ErrKind rc = enter(p);

    if (rc != ERR_OK)
        return rc;
    if (peek(p) == '}') {
        leaf(p, name, NULL, 0);
    } else {
        xw_open(p->w, name);
        for (;;) {
            rc = write_member(p);
            if (rc != ERR_OK)
                return rc;
            skip_ws(p);
            if (peek(p) != ',')
                break;
            p->pos++;
            skip_ws(p);
        }
        if (peek(p) != '}')
            return expected(p, "\",\" or \"}\"", NULL);
        xw_close(p->w, name);
    }
    p->pos++;
    p->depth--;
    return ERR_OK;
}

/* An array at pos: one <name> per item, none when empty; an array item is refused. */
static ErrKind
write_array(JsonXml *p, const char *name)
{
    size_t path_mark = dynbuf_len(&p->path);
    size_t index = 0;
    ErrKind rc = enter(p);

    if (rc != ERR_OK)
        return rc;
    if (peek(p) != ']') {
        for (;;) {
            dynbuf_truncate(&p->path, path_mark);
            (void)dynbuf_addf(&p->path, "[%zu]", index++);
            if (peek(p) == '[')
                return fail(p, p->pos, HINT_NESTED_ARRAY, "array inside an array");
            rc = write_value(p, name);
            if (rc != ERR_OK)
                return rc;
            skip_ws(p);
            if (peek(p) != ',')
                break;
            p->pos++;
            skip_ws(p);
        }
        if (peek(p) != ']')
            return expected(p, "\",\" or \"]\"", NULL);
        dynbuf_truncate(&p->path, path_mark);
    }
    p->pos++;
    p->depth--;
    return ERR_OK;
}

/* The value at pos (after whitespace) as the element name (or elements, for an array). */
static ErrKind
write_value(JsonXml *p, const char *name)
{
    int c = peek(p);
    ErrKind rc;

    if (c == '{')
        return write_object(p, name);
    if (c == '[')
        return write_array(p, name);
    if (c == '"') {
        rc = read_string(p);
        if (rc == ERR_OK)
            leaf(p, name, p->text, p->text_len);
        return rc;
    }
    if (c == '-' || c == '+' || c == '.' || is_digit(c))
        return write_number(p, name);
    if (is_letter(c))
        return write_word(p, name);
    return expected(p, "a value", HINT_VALUE);
}

/* The whole payload: one object, then only whitespace. */
static ErrKind
write_document(JsonXml *p, const char *item)
{
    ErrKind rc;

    skip_ws(p);
    if (peek(p) != '{')
        return fail(p, p->pos, HINT_OBJECT, "payload is not a JSON object");
    rc = write_object(p, item);
    if (rc != ERR_OK)
        return rc;
    skip_ws(p);
    if (p->pos < p->len)
        return fail(p, p->pos, NULL, "trailing data after the JSON object");
    return ERR_OK;
}

/* The writer failed although the payload is valid: most likely its cap. */
static ErrKind
writer_failed(JsonXml *p)
{
    const DynBuf *out = p->w->out;

    if (xw_status(p->w) == ERR_TOO_BIG) {
        err_set(p->err, ERR_TOO_BIG, "outbox payload too big for the XML document");
        err_detail(p->err, "The document may hold at most %zu bytes.", out->cap);
        return ERR_TOO_BIG;
    }
    /* Not reached: every string is checked as it is decoded.  Kept as a second line. */
    return fail(p, 0, HINT_XML_CHAR, "%s", xw_error(p->w));
}

ErrKind
jsonxml_write(XmlWriter *w, const char *item, const char *json, size_t len, Error *err)
{
    char buf[SHOW_MAX * 4 + 4];
    size_t item_len = strlen(item);
    size_t out_mark = dynbuf_len(w->out);
    int depth_mark = w->depth;
    JsonXml p;
    ErrKind rc;

    if (xw_status(w) != ERR_OK)
        return err_set(err, xw_status(w), "cannot write outbox payload: %s", xw_error(w));
    if (!name_valid(item, item_len))
        return err_set(err, ERR_DATA, "invalid element name \"%s\" for an outbox payload",
                       show(item, item_len, buf, sizeof(buf)));
    if (len > SIZE_MAX / 2 - item_len)
        return err_set(err, ERR_TOO_BIG, "outbox payload too big for the XML document");
    p.s = (const unsigned char *)json;
    p.len = len;
    p.pos = 0;
    p.depth = 0;
    p.w = w;
    /* A decoded key is no longer than its JSON form with quotes, so len covers all names. */
    p.names = xmalloc(item_len + 1 + len);
    memcpy(p.names, item, item_len + 1);
    p.names_len = item_len + 1;
    p.text = xmalloc(len + 1);
    p.text_len = 0;
    dynbuf_init(&p.path, SIZE_MAX);
    (void)dynbuf_add(&p.path, item, item_len);
    p.err = err;

    rc = write_document(&p, p.names);
    if (rc == ERR_OK && xw_status(w) != ERR_OK)
        rc = writer_failed(&p);
    if (rc != ERR_OK) {
        dynbuf_truncate(w->out, out_mark);
        w->depth = depth_mark;
        w->rc = ERR_OK;
    }
    dynbuf_free(&p.path);
    xfree(p.text);
    xfree(p.names);
    return rc;
}
