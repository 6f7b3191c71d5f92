/*
 * src/util/csv.c
 *     An incremental RFC 4180 CSV reader (see include/centra/csv.h).
 *
 * A byte-at-a-time state machine: input may be cut anywhere, even inside a
 * CRLF, a doubled quote or the byte order mark.  The current record is the
 * only thing held, in a DynBuf capped at the caller's limit.
 */
#include "centra/csv.h"

#include "centra/alloc.h"
#include "centra/dynbuf.h"

static const char csv_bom[] = "\xEF\xBB\xBF";

typedef enum CsvState {
    CSV_FIELD_START, /* at the start of a field */
    CSV_UNQUOTED,    /* inside an unquoted field */
    CSV_QUOTED,      /* inside a quoted field */
    CSV_QUOTE_SEEN   /* a double quote inside a quoted field: closing, or the first of "" */
} CsvState;

struct CsvReader {
    CsvRecordFn fn;      /* receives the records */
    void *arg;           /* its argument */
    size_t max_record;   /* cap on the bytes of one record */
    DynBuf buf;          /* the fields of the record so far, each followed by NUL */
    size_t *starts;      /* offset of each completed field in buf */
    size_t *lens;        /* length of each completed field */
    const char **fields; /* pointers handed to fn */
    int nfields;         /* completed fields of the record */
    int alloc;           /* entries allocated in starts, lens and fields */
    size_t field_start;  /* offset in buf of the field being read */
    CsvState state;      /* where in the record we are */
    bool in_record;      /* the current line has had a character */
    bool prev_cr;        /* the last byte was CR (so an LF now is part of a CRLF) */
    int bom;             /* bytes of the BOM matched so far; -1 once past the start */
    long line;           /* current line, 1-based */
    long rec_line;       /* line on which the current record started */
    long quote_line;     /* line of the opening quote of the current quoted field */
    ErrKind failed;      /* first error; later calls return it */
};

CsvReader *
csv_new(size_t max_record, CsvRecordFn fn, void *arg)
{
    CsvReader *r = xcalloc(1, sizeof(CsvReader));

    r->fn = fn;
    r->arg = arg;
    r->max_record = max_record;
    /* Room for the NUL after each field too; the record's own bytes are checked below. */
    dynbuf_init(&r->buf, max_record * 2 + 16);
    r->state = CSV_FIELD_START;
    r->line = 1;
    return r;
}

void
csv_free(CsvReader *r)
{
    if (r == NULL)
        return;
    dynbuf_free(&r->buf);
    xfree(r->starts);
    xfree(r->lens);
    xfree(r->fields);
    xfree(r);
}

long
csv_line(const CsvReader *r)
{
    return r->line;
}

static ErrKind
fail(CsvReader *r, ErrKind kind)
{
    r->failed = kind;
    return kind;
}

static ErrKind
too_long(CsvReader *r, Error *err)
{
    return fail(r, err_set(err, ERR_TOO_BIG, "record on line %ld is longer than %zu bytes",
                           r->rec_line, r->max_record));
}

/*
 * Append one byte of field content.  The cap counts the record's bytes
 * and the commas between its fields (a NUL in buf stands for each).
 */
static ErrKind
add_byte(CsvReader *r, char c, Error *err)
{
    if (dynbuf_len(&r->buf) >= r->max_record || dynbuf_addc(&r->buf, c) != ERR_OK)
        return too_long(r, err);
    return ERR_OK;
}

/* The field being read is complete. */
static void
end_field(CsvReader *r)
{
    if (r->nfields == r->alloc) {
        r->alloc = r->alloc == 0 ? 16 : r->alloc * 2;
        r->starts = xrealloc_array(r->starts, (size_t)r->alloc, sizeof(size_t));
        r->lens = xrealloc_array(r->lens, (size_t)r->alloc, sizeof(size_t));
        r->fields = xrealloc_array(r->fields, (size_t)r->alloc, sizeof(char *));
    }
    r->starts[r->nfields] = r->field_start;
    r->lens[r->nfields] = dynbuf_len(&r->buf) - r->field_start;
    r->nfields++;
    /* The separator NUL always fits: the cap leaves room for one per field. */
    (void)dynbuf_addc(&r->buf, '\0');
    r->field_start = dynbuf_len(&r->buf);
    r->state = CSV_FIELD_START;
}

/* The record is complete: hand it over and start the next. */
static ErrKind
end_record(CsvReader *r, Error *err)
{
    CsvRecord rec;
    ErrKind rc;

    end_field(r);
    for (int i = 0; i < r->nfields; i++)
        r->fields[i] = dynbuf_str(&r->buf) + r->starts[i];
    rec.line = r->rec_line;
    rec.nfields = r->nfields;
    rec.fields = r->fields;
    rec.lens = r->lens;
    rc = r->fn(r->arg, &rec, err);
    dynbuf_reset(&r->buf);
    r->nfields = 0;
    r->field_start = 0;
    r->in_record = false;
    return rc != ERR_OK ? fail(r, rc) : ERR_OK;
}

/* A byte of the record's text (outside quotes) other than a line end. */
static ErrKind
record_byte(CsvReader *r, char c, Error *err)
{
    if (!r->in_record) {
        r->in_record = true;
        r->rec_line = r->line;
    }
    if (c == ',') {
        /* A comma is a byte of the record too: a line of commas alone is capped. */
        if (dynbuf_len(&r->buf) >= r->max_record)
            return too_long(r, err);
        end_field(r);
        return ERR_OK;
    }
    if (r->state == CSV_QUOTE_SEEN) {
        err_set(err, ERR_DATA,
                "unexpected character after the closing quote of a field on line %ld", r->line);
        err_detail(err, "A field in double quotes ends at its closing quote: only a comma or the "
                        "end of the line may follow it.");
        err_hint(err, "Write a double quote inside a quoted field twice (\"\"), and quote the "
                      "whole field, not a part of it.");
        return fail(r, ERR_DATA);
    }
    if (r->state == CSV_FIELD_START && c == '"') {
        r->state = CSV_QUOTED;
        r->quote_line = r->line;
        return ERR_OK;
    }
    r->state = CSV_UNQUOTED;
    return add_byte(r, c, err);
}

/* One byte of input after the byte order mark. */
static ErrKind
step(CsvReader *r, char c, Error *err)
{
    bool crlf = r->prev_cr && c == '\n';

    r->prev_cr = c == '\r';
    if (r->state == CSV_QUOTED) {
        if (c == '"') {
            r->state = CSV_QUOTE_SEEN;
            return ERR_OK;
        }
        if (c == '\r' || (c == '\n' && !crlf))
            r->line++;
        return add_byte(r, c, err);
    }
    if (r->state == CSV_QUOTE_SEEN && c == '"') {
        r->state = CSV_QUOTED;
        return add_byte(r, '"', err);
    }
    if (crlf)
        return ERR_OK; /* the CR before it ended the line */
    if (c == '\r' || c == '\n') {
        r->line++;
        return r->in_record ? end_record(r, err) : ERR_OK;
    }
    return record_byte(r, c, err);
}

/* Feed the bytes of the BOM matched so far, which turned out not to be one. */
static ErrKind
replay_bom(CsvReader *r, Error *err)
{
    int n = r->bom;

    r->bom = -1;
    for (int i = 0; i < n; i++) {
        ErrKind rc = step(r, csv_bom[i], err);

        if (rc != ERR_OK)
            return rc;
    }
    return ERR_OK;
}

ErrKind
csv_feed(CsvReader *r, const char *data, size_t len, Error *err)
{
    if (r->failed != ERR_OK)
        return err_set(err, r->failed, "CSV input was fed after an error");
    for (size_t i = 0; i < len; i++) {
        ErrKind rc;

        if (r->bom >= 0) {
            if (data[i] == csv_bom[r->bom]) {
                r->bom = r->bom == 2 ? -1 : r->bom + 1;
                continue;
            }
            rc = replay_bom(r, err);
            if (rc != ERR_OK)
                return rc;
        }
        rc = step(r, data[i], err);
        if (rc != ERR_OK)
            return rc;
    }
    return ERR_OK;
}

ErrKind
csv_finish(CsvReader *r, Error *err)
{
    ErrKind rc;

    if (r->failed != ERR_OK)
        return err_set(err, r->failed, "CSV input was finished after an error");
    if (r->bom > 0) {
        rc = replay_bom(r, err);
        if (rc != ERR_OK)
            return rc;
    }
    r->bom = -1;
    if (r->state == CSV_QUOTED) {
        err_set(err, ERR_DATA, "unterminated quoted field starting on line %ld", r->quote_line);
        err_detail(err, "The input ended inside a field that opens with a double quote.");
        err_hint(err, "A double quote inside a quoted field must be doubled (\"\").");
        return fail(r, ERR_DATA);
    }
    if (r->in_record)
        return end_record(r, err);
    return ERR_OK;
}
