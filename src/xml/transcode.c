/*
 * src/xml/transcode.c
 *     The answer's declared encoding to UTF-8, streaming (iconv).
 *
 * Design constraints: never holds the answer (the first bytes up to the end
 * of the XML declaration, HEAD_MAX at most, then one chunk's output); UTF-8
 * costs nothing once known; the output is the same however the input is
 * chunked.  See transcode_int.h.
 */
#include "transcode_int.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "centra/alloc.h"
#include "centra/strutil.h"

#define HEAD_MAX     1024  /* bytes held to find the declaration's end */
#define ENC_NAME_MAX 64    /* bytes of an encoding name */
#define CARRY_MAX    16    /* bytes of an incomplete sequence carried to the next chunk */
#define OUT_STEP     16384 /* bytes converted per iconv call */
#define REPLACEMENT  "\xEF\xBF\xBD"

typedef enum TcState {
    TC_DETECT, /* holding the first bytes */
    TC_PASS,   /* UTF-8: bytes pass as they are */
    TC_ICONV   /* converted with cd */
} TcState;

struct Transcoder {
    TcState state;               /* see TcState */
    char head[HEAD_MAX];         /* the first bytes while detecting */
    size_t nhead;                /* bytes in head */
    iconv_t cd;                  /* to UTF-8, when TC_ICONV */
    char name[ENC_NAME_MAX + 4]; /* the encoding, as declared (or of the byte order mark) */
    const char *origin;          /* where the name comes from, for messages */
    size_t unit;                 /* bytes skipped after an invalid sequence (1, 2 or 4) */
    char carry[CARRY_MAX];       /* an incomplete sequence at the end of the last chunk */
    size_t ncarry;               /* bytes in carry */
    DynBuf in;                   /* carry and the next chunk, when there is a carry */
    DynBuf out;                  /* the output of the last call */
    long long in_off;            /* offset in the answer of the first byte not converted */
    long long lines;             /* newlines output so far */
    bool bad;                    /* an invalid sequence was met */
    long long bad_off;           /* ... at this offset in the answer */
    long long bad_line;          /* ... on this line of the output */
};

Transcoder *
tc_new(void)
{
    Transcoder *t = xcalloc(1, sizeof(Transcoder));

    t->cd = (iconv_t)-1;
    t->unit = 1;
    dynbuf_init(&t->in, SIZE_MAX / 2);
    dynbuf_init(&t->out, SIZE_MAX / 2);
    return t;
}

void
tc_free(Transcoder *t)
{
    if (t == NULL)
        return;
    if (t->cd != (iconv_t)-1)
        iconv_close(t->cd);
    dynbuf_free(&t->in);
    dynbuf_free(&t->out);
    xfree(t);
}

bool
tc_passthrough(const Transcoder *t)
{
    return t->state == TC_PASS;
}

/* ---------------------------------------------------------------------------
 * Detection
 * ------------------------------------------------------------------------- */

static bool
starts(const char *s, size_t len, const char *prefix, size_t plen)
{
    return len >= plen && memcmp(s, prefix, plen) == 0;
}

/* Use iconv from name; origin says where it was found. */
static bool
use_iconv(Transcoder *t, const char *name, const char *origin, size_t unit)
{
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->origin = origin;
    t->unit = unit;
    t->cd = iconv_open("UTF-8", name);
    if (t->cd == (iconv_t)-1)
        return false;
    t->state = TC_ICONV;
    return true;
}

/* The encoding a byte order mark or the first bytes of "<?xml" give; *skip: BOM bytes. */
static const char *
wide_encoding(const unsigned char *h, size_t n, size_t *skip, size_t *unit)
{
    static const struct {
        const char *bytes;
        size_t len;
        size_t skip;
        const char *name;
    } marks[] = {
        {"\x00\x00\xFE\xFF", 4, 4, "UTF-32BE"}, {"\xFF\xFE\x00\x00", 4, 4, "UTF-32LE"},
        {"\xFE\xFF", 2, 2, "UTF-16BE"},         {"\xFF\xFE", 2, 2, "UTF-16LE"},
        {"\x00\x00\x00<", 4, 0, "UTF-32BE"},    {"<\x00\x00\x00", 4, 0, "UTF-32LE"},
        {"\x00<\x00?", 4, 0, "UTF-16BE"},       {"<\x00?\x00", 4, 0, "UTF-16LE"},
    };

    for (size_t i = 0; i < CB_LENGTH(marks); i++) {
        if (starts((const char *)h, n, marks[i].bytes, marks[i].len)) {
            *skip = marks[i].skip;
            *unit = marks[i].name[4] == '3' ? 4 : 2;
            return marks[i].name;
        }
    }
    return NULL;
}

/*
 * The encoding name of the declaration decl[0..len) (which ends before "?>")
 * into name; false when it names none or not a valid EncName (expat then
 * judges the declaration).  *long_name: it is longer than ENC_NAME_MAX.
 */
static bool
declared_name(const char *decl, size_t len, char *name, bool *long_name)
{
    size_t i = 5;
    size_t n = 0;
    char quote;

    *long_name = false;
    for (; i + 8 <= len; i++)
        if (str_is_xml_space(decl[i - 1]) && memcmp(decl + i, "encoding", 8) == 0)
            break;
    if (i + 8 > len)
        return false;
    for (i += 8; i < len && str_is_xml_space(decl[i]); i++)
        ;
    if (i >= len || decl[i++] != '=')
        return false;
    while (i < len && str_is_xml_space(decl[i]))
        i++;
    if (i >= len || (decl[i] != '"' && decl[i] != '\''))
        return false;
    quote = decl[i++];
    for (; i < len && decl[i] != quote; i++, n++) {
        char c = decl[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (n > 0 && ((c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'));

        if (!ok)
            return false;
        if (n < ENC_NAME_MAX)
            name[n] = c;
    }
    if (i >= len || n == 0)
        return false;
    *long_name = n > ENC_NAME_MAX;
    name[n < ENC_NAME_MAX ? n : ENC_NAME_MAX] = '\0';
    return true;
}

/* Whether name is UTF-8 or a subset of it: read as it is. */
static bool
is_utf8_name(const char *name)
{
    return strcasecmp(name, "UTF-8") == 0 || strcasecmp(name, "UTF8") == 0 ||
           strcasecmp(name, "US-ASCII") == 0 || strcasecmp(name, "ASCII") == 0;
}

/* Whether name is a 16- or 32-bit encoding (which a declaration in single bytes cannot be). */
static bool
is_wide_name(const char *name)
{
    static const char *const wide[] = {"UTF-16", "UTF16", "UTF-32", "UTF32",  "UCS-2",
                                       "UCS2",   "UCS-4", "UCS4",   "UNICODE"};

    for (size_t i = 0; i < CB_LENGTH(wide); i++)
        if (strncasecmp(name, wide[i], strlen(wide[i])) == 0)
            return true;
    return false;
}

static ErrKind
unknown_encoding(const Transcoder *t, const char *source, bool long_name, Error *err)
{
    err_set(err, ERR_CENTRA_FAULT, "%s is in an unknown encoding \"%s%s\"", source, t->name,
            long_name ? "..." : "");
    err_detail(err, "Its XML declaration names encoding \"%s%s\", which iconv does not know.",
               t->name, long_name ? "..." : "");
    err_hint(err, "Convert the answer to UTF-8 (\"iconv -l\" lists the encodings iconv knows), "
                  "or correct the encoding its declaration names.");
    return ERR_CENTRA_FAULT;
}

/*
 * Decide the encoding from the bytes held (final: there are no more).
 * *decided false: more bytes are needed.  *skip: bytes of a byte order mark
 * not to convert.
 */
static ErrKind
detect(Transcoder *t, const char *source, bool final, bool *decided, size_t *skip, Error *err)
{
    const unsigned char *h = (const unsigned char *)t->head;
    size_t n = t->nhead;
    bool full = final || n == HEAD_MAX;
    const char *wide;
    const char *end;
    char name[ENC_NAME_MAX + 1];
    bool long_name;
    size_t unit;

    *decided = false;
    *skip = 0;
    if (n < 4 && !full)
        return ERR_OK;
    *decided = true;
    if (starts(t->head, n, "\xEF\xBB\xBF", 3))
        t->state = TC_PASS; /* UTF-8 with a byte order mark: expat skips it */
    else if ((wide = wide_encoding(h, n, skip, &unit)) != NULL) {
        if (!use_iconv(t, wide, *skip > 0 ? "its byte order mark" : "its first bytes", unit))
            return err_set(err, ERR_INTERNAL, "iconv cannot convert from %s", wide);
    } else if (n < 6 && !full && starts(t->head, n, "<?xml", n < 5 ? n : 5))
        *decided = false;
    else if (!starts(t->head, n, "<?xml", 5) || !str_is_xml_space(t->head[5]))
        t->state = TC_PASS;
    else if ((end = str_find(t->head, n, "?>", 2)) == NULL) {
        *decided = full; /* no end in HEAD_MAX: expat judges the declaration */
        if (full)
            t->state = TC_PASS;
    } else if (!declared_name(t->head, (size_t)(end - t->head), name, &long_name) ||
               is_utf8_name(name) || is_wide_name(name))
        t->state = TC_PASS;
    else if (long_name || !use_iconv(t, name, "its XML declaration", 1)) {
        snprintf(t->name, sizeof(t->name), "%s", name);
        return unknown_encoding(t, source, long_name, err);
    }
    return ERR_OK;
}

/* ---------------------------------------------------------------------------
 * Conversion
 * ------------------------------------------------------------------------- */

/* Append converted bytes to the output, counting lines for messages. */
static void
out_add(Transcoder *t, const char *s, size_t len)
{
    for (const char *nl = s; (nl = memchr(nl, '\n', len - (size_t)(nl - s))) != NULL; nl++)
        t->lines++;
    (void)dynbuf_add(&t->out, s, len);
}

/* An invalid sequence at offset off: U+FFFD, the first one remembered. */
static void
invalid_at(Transcoder *t, long long off, TcChunk *out)
{
    if (!t->bad) {
        t->bad = true;
        t->bad_off = off;
        t->bad_line = t->lines + 1;
        out->bad = true;
        out->bad_at = t->out.len;
    }
    out_add(t, REPLACEMENT, 3);
}

/* Convert s[0..len) (which starts at t->in_off) to the output. */
static void
convert(Transcoder *t, const char *s, size_t len, bool final, TcChunk *out)
{
    char *ip = (char *)(uintptr_t)s; /* iconv's prototype is not const-correct */
    size_t il = len;

    while (il > 0) {
        char buf[OUT_STEP];
        char *op = buf;
        size_t ol = sizeof(buf);
        size_t r = iconv(t->cd, &ip, &il, &op, &ol);
        int e = errno;

        out_add(t, buf, (size_t)(op - buf));
        if (r != (size_t)-1 || e == E2BIG)
            continue;
        if (e == EINVAL && !final && il <= CARRY_MAX) {
            memcpy(t->carry, ip, il); /* completed by the next chunk */
            t->ncarry = il;
            break;
        }
        if (e == EINVAL && final)
            break; /* cut by the end: a truncated answer, which expat reports as such */
        /* EILSEQ (or a sequence longer than CARRY_MAX): skip one unit. */
        invalid_at(t, t->in_off + (ip - s), out);
        ip += il < t->unit ? il : t->unit;
        il -= il < t->unit ? il : t->unit;
        (void)iconv(t->cd, NULL, NULL, NULL, NULL);
    }
    t->in_off += (long long)(len - t->ncarry);
}

/* Convert data[0..len) after what was carried over. */
static void
convert_chunk(Transcoder *t, const char *data, size_t len, bool final, TcChunk *out)
{
    if (t->ncarry == 0) {
        convert(t, data, len, final, out);
        return;
    }
    dynbuf_reset(&t->in);
    (void)dynbuf_add(&t->in, t->carry, t->ncarry);
    (void)dynbuf_add(&t->in, data, len);
    t->ncarry = 0;
    convert(t, t->in.data, t->in.len, final, out);
}

ErrKind
tc_feed(Transcoder *t, const char *source, const char *data, size_t len, bool final, TcChunk *out,
        Error *err)
{
    memset(out, 0, sizeof(*out));
    dynbuf_reset(&t->out);
    if (t->state == TC_DETECT) {
        size_t take = len < HEAD_MAX - t->nhead ? len : HEAD_MAX - t->nhead;
        size_t skip;
        bool decided;
        ErrKind rc;

        memcpy(t->head + t->nhead, data, take);
        t->nhead += take;
        data += take;
        len -= take;
        rc = detect(t, source, final && len == 0, &decided, &skip, err);
        if (rc != ERR_OK || !decided)
            return rc;
        if (t->state == TC_PASS && take == t->nhead) {
            out->data = data - take; /* all held bytes are this chunk's: no copy */
            out->len = len + take;
            return ERR_OK;
        }
        if (t->state == TC_PASS) {
            /* Hand out what was held with the rest of this chunk, once. */
            (void)dynbuf_add(&t->out, t->head, t->nhead);
            (void)dynbuf_add(&t->out, data, len);
            out->data = t->out.data;
            out->len = t->out.len;
            return ERR_OK;
        }
        t->in_off = (long long)skip;
        convert_chunk(t, t->head + skip, t->nhead - skip, final && len == 0, out);
    }
    if (t->state == TC_PASS) {
        out->data = data;
        out->len = len;
        return ERR_OK;
    }
    if (len > 0 || final)
        convert_chunk(t, data, len, final, out);
    out->data = t->out.data != NULL ? t->out.data : "";
    out->len = t->out.len;
    return ERR_OK;
}

/* ---------------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------------- */

ErrKind
tc_invalid_error(const Transcoder *t, const char *source, Error *err)
{
    err_set(err, ERR_CENTRA_FAULT, "%s has bytes that are not valid in its encoding \"%s\"", source,
            t->name);
    err_detail(err,
               "Its encoding, %s, is taken from %s; the bytes at offset %lld (line %lld) are not "
               "a character in it.",
               t->name, t->origin, t->bad_off, t->bad_line);
    err_hint(err, "Convert it with \"iconv -f %s -t UTF-8\", which stops at the same offset.",
             t->name);
    return ERR_CENTRA_FAULT;
}

void
tc_invalid_reason(const Transcoder *t, DynBuf *b)
{
    (void)dynbuf_addf(b,
                      "bytes not valid in its encoding \"%s\" (from %s) at offset %lld, line %lld",
                      t->name, t->origin, t->bad_off, t->bad_line);
}
