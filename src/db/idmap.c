/*
 * src/db/idmap.c
 *     "idmap import" and "idmap export": centra.id_map to and from the CSV
 *     format of Centra's ID conversion table (docs/idmap.md).
 *
 * Import streams and is set-based: the file goes through the incremental
 * CSV reader, every row is validated and the valid ones are COPYed into a
 * temporary table as they come, so memory does not grow with the file and
 * there is no round trip per row.  Conflicts between rows (one external id
 * with two Centra ids, or the reverse) are found in SQL on that table.  Only
 * when the whole file is valid does one transaction upsert it into
 * centra.id_map, holding a lock that keeps the importer's own id learning
 * out until COMMIT.
 */
#include "centra/idmap.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/csv.h"
#include "centra/db.h"
#include "centra/dynbuf.h"
#include "centra/log.h"
#include "centra/migrate.h"
#include "centra/strutil.h"
#include "centra/utf8.h"

#define IDMAP_RECORD_MAX  (64 * 1024)  /* bytes of one CSV record */
#define IDMAP_COPY_FLUSH  (256 * 1024) /* COPY data sent in pieces of about this size */
#define IDMAP_VALUE_SHOWN 40           /* bytes of a value quoted in a message */
#define IDMAP_READ_CHUNK  65536        /* bytes read from the file at a time */

/* ---------------------------------------------------------------------------
 * Kinds
 * ------------------------------------------------------------------------- */

/* The kinds of centra.id_map: what the importer learns, plus the objects *_Update creates. */
static const char *const idmap_kinds[] = {
    "order",   "product", "variation",      "market",  "pricelist",    "warehouse", "customer",
    "account", "buyer",   "deliverywindow", "invoice", "paymentterms", "salesrep",  "shippingterms",
};

/* Names Centra's admin uses for them, normalised (see normalise_name). */
static const struct {
    const char *alias; /* normalised name */
    const char *kind;  /* the kind */
} idmap_aliases[] = {
    {"variant", "variation"},
    {"productvariant", "variation"},
    {"productvariation", "variation"},
    {"wholesaleaccount", "account"},
    {"paymentterm", "paymentterms"},
    {"shippingterm", "shippingterms"},
    {"salesrepresentative", "salesrep"},
};

/* Lower-case s without spaces, '_' and '-' into out; false when it does not fit. */
static bool
normalise_name(const char *s, char *out, size_t size)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        if (*s == ' ' || *s == '_' || *s == '-' || *s == '\t')
            continue;
        if (n + 1 >= size)
            return false;
        out[n++] = (char)tolower((unsigned char)*s);
    }
    out[n] = '\0';
    return true;
}

static const char *
lookup_kind(const char *norm)
{
    for (size_t i = 0; i < CB_LENGTH(idmap_kinds); i++)
        if (strcmp(norm, idmap_kinds[i]) == 0)
            return idmap_kinds[i];
    for (size_t i = 0; i < CB_LENGTH(idmap_aliases); i++)
        if (strcmp(norm, idmap_aliases[i].alias) == 0)
            return idmap_aliases[i].kind;
    return NULL;
}

const char *
idmap_kind_parse(const char *name)
{
    char norm[64];
    const char *kind;
    size_t len;

    if (!normalise_name(name, norm, sizeof(norm)) || norm[0] == '\0')
        return NULL;
    kind = lookup_kind(norm);
    len = strlen(norm);
    if (kind == NULL && len > 1 && norm[len - 1] == 's') {
        norm[len - 1] = '\0';
        kind = lookup_kind(norm);
    }
    return kind;
}

const char *
idmap_kinds_list(void)
{
    static char list[256];

    if (list[0] == '\0')
        str_join_quoted(idmap_kinds, CB_LENGTH(idmap_kinds), list, sizeof(list));
    return list;
}

/* ---------------------------------------------------------------------------
 * Reading and validating the file
 * ------------------------------------------------------------------------- */

typedef enum IdmapCol { COL_TYPE, COL_CENTRA_ID, COL_EXTERNAL_ID, COL_NAME, COL_COUNT_ } IdmapCol;

/* Header names of each column, normalised by header_key. */
static const char *const col_names[COL_COUNT_][5] = {
    [COL_TYPE] = {"type", "kind", NULL},
    [COL_CENTRA_ID] = {"centra_id", "internal_id", NULL},
    [COL_EXTERNAL_ID] = {"external_id", "erp_id", NULL},
    [COL_NAME] = {"name", NULL},
};

typedef struct IdmapProblem {
    long line;  /* line of the row */
    char *text; /* "line N, column "c": what"; owned */
} IdmapProblem;

typedef struct ImportState {
    const char *path;         /* the file, as named in messages */
    DbConn *db;               /* COPY goes here */
    bool have_header;         /* the header line has been read */
    int nfields;              /* fields of the header */
    int col[COL_COUNT_];      /* field index of each column; -1 when absent */
    char *header[COL_COUNT_]; /* each column's name as the header spells it */
    long long rows;           /* data rows read */
    long long bad;            /* bad rows */
    bool unknown_type;        /* a row had an unknown type (the hint lists them) */
    bool not_utf8;            /* a row was not UTF-8 (the hint says how to convert) */
    IdmapProblem problems[2 * IDMAP_BAD_ROWS_SHOWN]; /* the first ones of each pass */
    int nproblems;                                   /* entries used in problems */
    int shown;                                       /* problems of the current pass kept */
    DynBuf copy;                                     /* COPY data not sent yet */
    bool row_failed; /* the error came from a row's handling, not the CSV reader */
} ImportState;

/* s (len bytes) for a message: at most IDMAP_VALUE_SHOWN bytes, control characters as '?'. */
static const char *
shown_value(const char *s, size_t len, char *out, size_t size)
{
    size_t n = 0;

    for (size_t i = 0; i < len && n + 4 < size && n < IDMAP_VALUE_SHOWN; i++) {
        unsigned char c = (unsigned char)s[i];

        out[n++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
    }
    /* Do not end inside a UTF-8 sequence. */
    while (n > 0 && !utf8_is_valid(out, n))
        n--;
    if (n < len) {
        out[n++] = '.';
        out[n++] = '.';
        out[n++] = '.';
    }
    out[n] = '\0';
    return out;
}

/* Record a bad row: count it and keep its message while there is room. */
static void bad_row(ImportState *st, long line, const char *col, const char *fmt, ...)
    CB_PRINTF(4, 5);

static void
bad_row(ImportState *st, long line, const char *col, const char *fmt, ...)
{
    va_list ap;
    DynBuf b;

    st->bad++;
    if (st->shown >= IDMAP_BAD_ROWS_SHOWN)
        return;
    st->shown++;
    dynbuf_init(&b, 1024);
    if (col != NULL)
        dynbuf_addf(&b, "line %ld, column \"%s\": ", line, col);
    else
        dynbuf_addf(&b, "line %ld: ", line);
    va_start(ap, fmt);
    dynbuf_addvf(&b, fmt, ap);
    va_end(ap);
    st->problems[st->nproblems].line = line;
    st->problems[st->nproblems].text = dynbuf_take(&b);
    st->nproblems++;
}

/* The header's name for a column: lower case, trimmed, spaces and '-' as '_'. */
static void
header_key(const char *s, size_t len, char *out, size_t size)
{
    size_t n = 0;

    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    for (size_t i = 0; i < len && n + 1 < size; i++) {
        unsigned char c = (unsigned char)s[i];

        if (n == 0 && isspace(c))
            continue;
        out[n++] = c == ' ' || c == '-' ? '_' : (char)tolower(c);
    }
    out[n] = '\0';
}

static int
column_of(const char *key)
{
    for (int c = 0; c < COL_COUNT_; c++)
        for (int a = 0; col_names[c][a] != NULL; a++)
            if (strcmp(key, col_names[c][a]) == 0)
                return c;
    return -1;
}

static ErrKind
read_header(ImportState *st, const CsvRecord *rec, Error *err)
{
    static const char *const required[] = {"type", "centra_id", "external_id"};

    st->have_header = true;
    st->nfields = rec->nfields;
    for (int i = 0; i < rec->nfields; i++) {
        char key[64];
        int c;

        header_key(rec->fields[i], rec->lens[i], key, sizeof(key));
        c = column_of(key);
        if (c < 0)
            continue; /* extra columns are ignored */
        if (st->col[c] >= 0) {
            char *again = str_trimmed_copy(rec->fields[i], rec->lens[i]);

            err_set(err, ERR_DATA,
                    "the header of \"%s\" names column \"%s\" twice (as \"%s\" and \"%s\")",
                    st->path, col_names[c][0], st->header[c], again);
            xfree(again);
            return ERR_DATA;
        }
        st->col[c] = i;
        st->header[c] = str_trimmed_copy(rec->fields[i], rec->lens[i]);
    }
    for (int c = 0; c < COL_NAME; c++) {
        if (st->col[c] >= 0)
            continue;
        err_set(err, ERR_DATA, "the header of \"%s\" has no column \"%s\"", st->path, required[c]);
        err_detail(err,
                   "Line %ld must name the columns: type (or kind), centra_id (or \"centra "
                   "id\", internal_id, \"internal id\"), external_id (or \"external id\", "
                   "erp_id) and optionally name, in any order.",
                   rec->line);
        if (rec->nfields == 1 && memchr(rec->fields[0], ';', rec->lens[0]) != NULL)
            err_hint(err, "The columns are separated by commas, and this header has semicolons "
                          "(a spreadsheet's CSV in some languages): save the file with commas. "
                          "See docs/idmap.md for the format.");
        else
            err_hint(err, "See docs/idmap.md for the format.");
        return ERR_DATA;
    }
    return ERR_OK;
}

/* Whether the UTF-8 text s holds a C0 or C1 control character or DEL. */
static bool
has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7F)
            return true;
        if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9F)
            return true;
    }
    return false;
}

static size_t
utf8_chars(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Trim spaces and tabs around s: its first byte in *start, the length returned. */
static size_t
trimmed(const char *s, size_t len, const char **start)
{
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    *start = s;
    return len;
}

/*
 * A centra_id field: digits, positive, in bigint; *empty when blank.
 * NULL when it is one (or blank), else what it is not, for the message.
 */
static const char *
parse_centra_id(const char *s, size_t len, long long *id, bool *empty)
{
    static const char not_positive[] = "not a positive integer";
    const char *p;
    char digits[24];

    len = trimmed(s, len, &p);
    *empty = len == 0;
    if (len == 0)
        return NULL;
    while (len > 1 && p[0] == '0') { /* "0012" is 12, however many zeros */
        p++;
        len--;
    }
    for (size_t i = 0; i < len; i++)
        if (p[i] < '0' || p[i] > '9')
            return not_positive;
    if (len >= sizeof(digits))
        return "too large for a centra_id (at most 2^63 - 1)";
    memcpy(digits, p, len);
    digits[len] = '\0';
    if (!str_to_ll(digits, id))
        return "too large for a centra_id (at most 2^63 - 1)";
    return *id > 0 ? NULL : not_positive;
}

/* Append s to a COPY text-format field, escaping what the format needs. */
static void
copy_field(DynBuf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '\\':
            dynbuf_add(b, "\\\\", 2);
            break;
        case '\t':
            dynbuf_add(b, "\\t", 2);
            break;
        case '\n':
            dynbuf_add(b, "\\n", 2);
            break;
        case '\r':
            dynbuf_add(b, "\\r", 2);
            break;
        default:
            dynbuf_addc(b, s[i]);
        }
    }
}

/* Validate the type field; the kind, or NULL after recording the problem. */
static const char *
check_type(ImportState *st, const CsvRecord *rec)
{
    int f = st->col[COL_TYPE];
    const char *kind;
    const char *p;
    size_t len = trimmed(rec->fields[f], rec->lens[f], &p);
    char shown[64];

    if (len == 0) {
        bad_row(st, rec->line, st->header[COL_TYPE], "empty");
        return NULL;
    }
    kind = memchr(p, '\0', len) == NULL ? idmap_kind_parse(rec->fields[f]) : NULL;
    if (kind == NULL) {
        st->unknown_type = true;
        bad_row(st, rec->line, st->header[COL_TYPE], "unknown type \"%s\"",
                shown_value(p, len, shown, sizeof(shown)));
    }
    return kind;
}

/* A field of line that is not UTF-8: a bad row, and the hint says how to convert the file. */
static void
not_utf8(ImportState *st, long line, const char *col)
{
    st->not_utf8 = true;
    bad_row(st, line, col, "not valid UTF-8");
}

/* Validate the external id field; false after recording the problem. */
static bool
check_external_id(ImportState *st, const CsvRecord *rec)
{
    int f = st->col[COL_EXTERNAL_ID];
    const char *s = rec->fields[f];
    size_t len = rec->lens[f];
    const char *col = st->header[COL_EXTERNAL_ID];

    if (len == 0)
        bad_row(st, rec->line, col, "empty");
    else if (!utf8_is_valid(s, len))
        not_utf8(st, rec->line, col);
    else if (has_control(s, len))
        bad_row(st, rec->line, col, "contains a control character");
    else if (utf8_chars(s, len) > IDMAP_EXTERNAL_ID_MAX)
        bad_row(st, rec->line, col, "longer than %d characters", IDMAP_EXTERNAL_ID_MAX);
    else
        return true;
    return false;
}

/* Validate the name field (when there is one); false after recording the problem. */
static bool
check_name(ImportState *st, const CsvRecord *rec)
{
    int f = st->col[COL_NAME];

    if (f < 0)
        return true;
    if (!utf8_is_valid(rec->fields[f], rec->lens[f]))
        not_utf8(st, rec->line, st->header[COL_NAME]);
    else if (memchr(rec->fields[f], '\0', rec->lens[f]) != NULL)
        bad_row(st, rec->line, st->header[COL_NAME], "contains a NUL byte");
    else
        return true;
    return false;
}

/* Validate one data row and queue it for COPY when it is good. */
static ErrKind
read_row(ImportState *st, const CsvRecord *rec, Error *err)
{
    const char *kind;
    long long id = 0;
    bool no_id;
    const char *why;
    int fc = st->col[COL_CENTRA_ID];
    int fe = st->col[COL_EXTERNAL_ID];
    int fn = st->col[COL_NAME];
    char shown[64];

    st->rows++;
    if (rec->nfields != st->nfields) {
        bad_row(st, rec->line, NULL, "%d field%s where the header has %d", rec->nfields,
                rec->nfields == 1 ? "" : "s", st->nfields);
        return ERR_OK;
    }
    kind = check_type(st, rec);
    if (kind == NULL)
        return ERR_OK;
    why = parse_centra_id(rec->fields[fc], rec->lens[fc], &id, &no_id);
    if (why != NULL) {
        bad_row(st, rec->line, st->header[COL_CENTRA_ID], "\"%s\" is %s",
                shown_value(rec->fields[fc], rec->lens[fc], shown, sizeof(shown)), why);
        return ERR_OK;
    }
    if (!check_external_id(st, rec) || !check_name(st, rec))
        return ERR_OK;
    dynbuf_addf(&st->copy, "%s\t", kind);
    copy_field(&st->copy, rec->fields[fe], rec->lens[fe]);
    if (no_id)
        dynbuf_addstr(&st->copy, "\t\\N\t");
    else
        dynbuf_addf(&st->copy, "\t%lld\t", id);
    if (fn >= 0 && rec->lens[fn] > 0)
        copy_field(&st->copy, rec->fields[fn], rec->lens[fn]);
    else
        dynbuf_addstr(&st->copy, "\\N");
    dynbuf_addf(&st->copy, "\t%ld\n", rec->line);
    if (dynbuf_len(&st->copy) < IDMAP_COPY_FLUSH)
        return ERR_OK;
    if (db_copy_put(st->db, dynbuf_str(&st->copy), dynbuf_len(&st->copy), err) != ERR_OK)
        return err->kind;
    dynbuf_reset(&st->copy);
    return ERR_OK;
}

/* Whether a record is a line of nothing but spaces and tabs: skipped, as an empty line is. */
static bool
blank_line(const CsvRecord *rec)
{
    return rec->nfields == 1 && strspn(rec->fields[0], " \t") == rec->lens[0];
}

static ErrKind
on_record(void *arg, const CsvRecord *rec, Error *err)
{
    ImportState *st = arg;
    ErrKind rc;

    if (blank_line(rec))
        return ERR_OK;
    rc = st->have_header ? read_row(st, rec, err) : read_header(st, rec, err);

    st->row_failed = rc != ERR_OK;
    return rc;
}

/* Read the whole file through the CSV reader into the COPY. */
static ErrKind
read_file(ImportState *st, FILE *f, Error *err)
{
    CsvReader *r = csv_new(IDMAP_RECORD_MAX, on_record, st);
    char *buf = xmalloc(IDMAP_READ_CHUNK);
    ErrKind rc = ERR_OK;

    while (rc == ERR_OK) {
        size_t n = fread(buf, 1, IDMAP_READ_CHUNK, f);

        if (n > 0)
            rc = csv_feed(r, buf, n, err);
        if (rc != ERR_OK || n < IDMAP_READ_CHUNK)
            break;
    }
    if (rc == ERR_OK && ferror(f)) {
        char ebuf[128];

        rc = err_set(err, ERR_IO, "could not read \"%s\": %s", st->path,
                     str_errno(errno, ebuf, sizeof(ebuf)));
    }
    if (rc == ERR_OK)
        rc = csv_finish(r, err);
    if ((rc == ERR_DATA || rc == ERR_TOO_BIG) && !st->row_failed)
        err_prefix(err, "\"%s\"", st->path);
    if (rc == ERR_OK && !st->have_header)
        rc = err_set(err, ERR_DATA, "\"%s\" is empty: a header line is expected", st->path);
    csv_free(r);
    xfree(buf);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Import: the database side
 * ------------------------------------------------------------------------- */

static const char create_in_sql[] =
    "CREATE TEMP TABLE cb_idmap_in (kind text NOT NULL, erp_id text NOT NULL, "
    "centra_id bigint, name text, line bigint NOT NULL) ON COMMIT DROP";

static const char copy_in_sql[] =
    "COPY cb_idmap_in (kind, erp_id, centra_id, name, line) FROM STDIN";

/* Rows that disagree with an earlier row: same external id, or same centra_id. */
static const char conflicts_sql[] =
    "WITH w AS (SELECT line, kind, erp_id, centra_id, "
    "first_value(line) OVER (PARTITION BY kind, erp_id ORDER BY line) AS e_line, "
    "first_value(centra_id) OVER (PARTITION BY kind, erp_id ORDER BY line) AS e_cid, "
    "first_value(line) OVER (PARTITION BY kind, centra_id ORDER BY line) AS c_line, "
    "first_value(erp_id) OVER (PARTITION BY kind, centra_id ORDER BY line) AS c_erp "
    "FROM cb_idmap_in) "
    "SELECT line, kind, erp_id, centra_id, e_line, c_line, "
    "centra_id IS DISTINCT FROM e_cid, count(*) OVER (), e_cid FROM w "
    "WHERE centra_id IS DISTINCT FROM e_cid OR (centra_id IS NOT NULL AND erp_id <> c_erp) "
    "ORDER BY line LIMIT 20";

/*
 * The file's mappings as they will be: the last row of each (kind, erp_id);
 * an empty centra_id keeps the current one unless another row claims it; an
 * empty name keeps the current one.
 */
static const char create_new_sql[] =
    "CREATE TEMP TABLE cb_idmap_new ON COMMIT DROP AS "
    "WITH n AS (SELECT DISTINCT ON (kind, erp_id) kind, erp_id, centra_id, name "
    "FROM cb_idmap_in ORDER BY kind, erp_id, line DESC), "
    "claimed AS (SELECT DISTINCT kind, centra_id FROM n WHERE centra_id IS NOT NULL) "
    "SELECT n.kind, n.erp_id, "
    "COALESCE(n.centra_id, CASE WHEN c.kind IS NULL THEN m.centra_id END) AS centra_id, "
    "COALESCE(n.name, m.name) AS name, m.erp_id IS NOT NULL AS existed, "
    "m.centra_id AS old_centra_id, m.name AS old_name, m.source AS old_source "
    "FROM n LEFT JOIN centra.id_map m ON m.kind = n.kind AND m.erp_id = n.erp_id "
    "LEFT JOIN claimed c ON c.kind = n.kind AND c.centra_id = m.centra_id;\n"
    "ANALYZE cb_idmap_new";

#define IDMAP_SAME                                                                                 \
    "ROW(old_centra_id, old_name, old_source) IS NOT DISTINCT FROM ROW(centra_id, name, 'import')"

/* Mappings of other erp_ids whose centra_id a row of the file takes over. */
#define IDMAP_REPLACED                                                                             \
    "FROM centra.id_map r WHERE r.centra_id IS NOT NULL AND EXISTS (SELECT 1 FROM cb_idmap_new x " \
    "WHERE x.kind = r.kind AND x.centra_id = r.centra_id AND x.erp_id <> r.erp_id) "               \
    "AND NOT EXISTS (SELECT 1 FROM cb_idmap_new y WHERE y.kind = r.kind AND y.erp_id = r.erp_id)"

static const char counts_sql[] =
    "SELECT (SELECT count(*) FROM cb_idmap_in), count(*) FILTER (WHERE NOT existed), "
    "count(*) FILTER (WHERE existed AND NOT " IDMAP_SAME "), "
    "count(*) FILTER (WHERE existed AND " IDMAP_SAME "), "
    "(SELECT count(*) " IDMAP_REPLACED "), count(*) FROM cb_idmap_new";

/* In this order: a mapping whose centra_id moves is cleared first, for the unique index. */
static const char *const write_sql[] = {
    "DELETE " IDMAP_REPLACED,
    "UPDATE centra.id_map m SET centra_id = NULL FROM cb_idmap_new x "
    "WHERE m.kind = x.kind AND m.erp_id = x.erp_id AND m.centra_id IS NOT NULL "
    "AND m.centra_id IS DISTINCT FROM x.centra_id",
    "INSERT INTO centra.id_map AS m (kind, erp_id, centra_id, name, source, updated_at) "
    "SELECT kind, erp_id, centra_id, name, 'import', now() FROM cb_idmap_new "
    "WHERE NOT existed OR NOT " IDMAP_SAME " "
    "ON CONFLICT (kind, erp_id) DO UPDATE SET centra_id = EXCLUDED.centra_id, "
    "name = EXCLUDED.name, name_event_id = CASE WHEN EXCLUDED.name IS DISTINCT FROM m.name "
    "THEN NULL ELSE m.name_event_id END, source = 'import', updated_at = now()",
};

/* Add the rows that disagree with an earlier row to the problems. */
static ErrKind
find_conflicts(ImportState *st, Error *err)
{
    DbResult *res;
    char shown[64];
    ErrKind rc = db_query(st->db, conflicts_sql, 0, NULL, &res, err);
    int n;

    if (rc != ERR_OK)
        return rc;
    n = db_result_rows(res);
    st->shown = 0; /* the second pass keeps its own first ones */
    /* bad_row counts the rows shown; the total says how many there are. */
    if (n > 0)
        st->bad += strtoll(db_result_value(res, 0, 7), NULL, 10) - n;
    for (int i = 0; i < n; i++) {
        long long line = strtoll(db_result_value(res, i, 0), NULL, 10);
        const char *kind = db_result_value(res, i, 1);
        const char *erp = db_result_value(res, i, 2);
        const char *cid = db_result_value(res, i, 3);
        const char *other = db_result_value(res, i, 8); /* centra_id of its first row */
        bool cid_differs = strcmp(db_result_value(res, i, 6), "t") == 0;

        /* An empty centra_id is "unknown": say which side has none. */
        if (cid_differs && (cid == NULL || cid[0] == '\0'))
            bad_row(st, (long)line, st->header[COL_CENTRA_ID],
                    "%s \"%s\" has no centra_id here and %s on line %s", kind,
                    shown_value(erp, strlen(erp), shown, sizeof(shown)), other,
                    db_result_value(res, i, 4));
        else if (cid_differs && (other == NULL || other[0] == '\0'))
            bad_row(st, (long)line, st->header[COL_CENTRA_ID],
                    "%s \"%s\" has centra_id %s here and none on line %s", kind,
                    shown_value(erp, strlen(erp), shown, sizeof(shown)), cid,
                    db_result_value(res, i, 4));
        else if (cid_differs)
            bad_row(st, (long)line, st->header[COL_CENTRA_ID],
                    "%s \"%s\" has another centra_id on line %s", kind,
                    shown_value(erp, strlen(erp), shown, sizeof(shown)),
                    db_result_value(res, i, 4));
        else
            bad_row(st, (long)line, st->header[COL_EXTERNAL_ID],
                    "%s centra_id %s has another external id on line %s", kind, cid,
                    db_result_value(res, i, 5));
    }
    db_result_free(res);
    return ERR_OK;
}

static int
problem_cmp(const void *a, const void *b)
{
    const IdmapProblem *x = a;
    const IdmapProblem *y = b;

    return (x->line > y->line) - (x->line < y->line);
}

/* The error for a file with bad rows: the first ones in line order. */
static ErrKind
bad_rows_error(ImportState *st, Error *err)
{
    int n = st->nproblems < IDMAP_BAD_ROWS_SHOWN ? st->nproblems : IDMAP_BAD_ROWS_SHOWN;

    /* No ties: a row that failed validation never reached the conflict query. */
    qsort(st->problems, (size_t)st->nproblems, sizeof(IdmapProblem), problem_cmp);
    err_set(err, ERR_DATA, "%lld bad row%s in \"%s\"; nothing was imported", st->bad,
            st->bad == 1 ? "" : "s", st->path);
    for (int i = 0; i < n; i++)
        err_detail_append(err, true, "%s", st->problems[i].text);
    if (st->bad > n)
        err_detail_append(err, true, "... and %lld more.", st->bad - n);
    if (st->unknown_type)
        err_hint(err,
                 "Accepted types: %s (any case; Centra's names such as \"Variant\" and "
                 "\"Price list\" too).",
                 idmap_kinds_list());
    else if (st->not_utf8)
        err_hint(err, "The file must be UTF-8: \"iconv -f LATIN1 -t UTF-8\" converts a Latin-1 "
                      "file (a spreadsheet's \"CSV UTF-8\" format writes one directly).");
    return ERR_DATA;
}

static long long
value_ll(const DbResult *res, int col)
{
    return strtoll(db_result_value(res, 0, col), NULL, 10);
}

/* After a valid file: lock, count, write (unless dry_run). */
static ErrKind
apply(DbConn *db, bool dry_run, IdmapCounts *counts, Error *err)
{
    DbResult *res;
    ErrKind rc = db_exec(db,
                         "LOCK TABLE centra.id_map IN SHARE ROW EXCLUSIVE MODE;\n"
                         "ANALYZE cb_idmap_in",
                         err);

    if (rc == ERR_OK)
        rc = db_exec(db, create_new_sql, err);
    if (rc == ERR_OK)
        rc = db_query(db, counts_sql, 0, NULL, &res, err);
    if (rc != ERR_OK)
        return rc;
    counts->rows = value_ll(res, 0);
    counts->added = value_ll(res, 1);
    counts->changed = value_ll(res, 2);
    counts->unchanged = value_ll(res, 3);
    counts->replaced = value_ll(res, 4);
    counts->repeated = counts->rows - value_ll(res, 5);
    db_result_free(res);
    for (size_t i = 0; i < CB_LENGTH(write_sql) && !dry_run && rc == ERR_OK; i++)
        rc = db_query(db, write_sql[i], 0, NULL, NULL, err);
    return rc;
}

/* Open path ("-": stdin). */
static ErrKind
open_input(const char *path, FILE **f, Error *err)
{
    char ebuf[128];

    if (strcmp(path, "-") == 0) {
        *f = stdin;
        return ERR_OK;
    }
    *f = fopen(path, "rb");
    if (*f != NULL)
        return ERR_OK;
    return err_set(err, ERR_NO_INPUT, "could not open \"%s\": %s", path,
                   str_errno(errno, ebuf, sizeof(ebuf)));
}

static ErrKind
import_in_txn(ImportState *st, FILE *f, bool dry_run, IdmapCounts *counts, Error *err)
{
    Error scratch;
    ErrKind rc = db_begin(st->db, err);

    if (rc == ERR_OK)
        rc = db_exec(st->db, create_in_sql, err);
    if (rc == ERR_OK)
        rc = db_copy_begin(st->db, copy_in_sql, err);
    if (rc != ERR_OK)
        return rc;
    rc = read_file(st, f, err);
    if (rc == ERR_OK && dynbuf_len(&st->copy) > 0)
        rc = db_copy_put(st->db, dynbuf_str(&st->copy), dynbuf_len(&st->copy), err);
    if (rc != ERR_OK) {
        if (db_copy_end(st->db, "the input file is unusable", NULL, &scratch) != ERR_OK)
            log_debug("COPY ended: %s", scratch.message);
        return rc;
    }
    rc = db_copy_end(st->db, NULL, NULL, err);
    if (rc == ERR_OK)
        rc = find_conflicts(st, err);
    if (rc == ERR_OK && st->bad > 0)
        rc = bad_rows_error(st, err);
    if (rc == ERR_OK)
        rc = apply(st->db, dry_run, counts, err);
    if (rc == ERR_OK)
        rc = dry_run ? db_rollback(st->db, err) : db_commit(st->db, err);
    return rc;
}

ErrKind
idmap_import(const Config *cfg, const char *path, bool dry_run, IdmapCounts *counts, Error *err)
{
    ImportState st;
    DbOptions dbo;
    FILE *f;
    Error scratch;
    int version;
    ErrKind rc;

    memset(counts, 0, sizeof(*counts));
    memset(&st, 0, sizeof(st));
    st.path = strcmp(path, "-") == 0 ? "stdin" : path;
    for (int c = 0; c < COL_COUNT_; c++)
        st.col[c] = -1;
    dynbuf_init(&st.copy, IDMAP_COPY_FLUSH + 4 * IDMAP_RECORD_MAX);
    rc = open_input(path, &f, err);
    if (rc != ERR_OK)
        goto out;
    db_options_from_config(&dbo, cfg);
    rc = db_new(&dbo, &st.db, err);
    if (rc == ERR_OK)
        rc = migrate_check_current(st.db, &version, err);
    if (rc == ERR_OK)
        rc = import_in_txn(&st, f, dry_run, counts, err);
    if (st.db != NULL && db_in_transaction(st.db))
        if (db_rollback(st.db, &scratch) != ERR_OK)
            log_debug("rollback failed: %s", scratch.message);
    if (f != stdin)
        fclose(f);
out:
    db_free(st.db);
    for (int c = 0; c < COL_COUNT_; c++)
        xfree(st.header[c]);
    for (int i = 0; i < st.nproblems; i++)
        xfree(st.problems[i].text);
    dynbuf_free(&st.copy);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Export
 * ------------------------------------------------------------------------- */

static ErrKind
write_out(void *arg, const char *data, size_t len, Error *err)
{
    FILE *out = arg;
    char ebuf[128];

    if (fwrite(data, 1, len, out) == len)
        return ERR_OK;
    return err_set(err, ERR_IO, "could not write the CSV output: %s",
                   str_errno(errno, ebuf, sizeof(ebuf)));
}

/* The COPY statement: COPY takes no parameters, so the values are quoted literals. */
static char *
export_sql(const char *const *kinds, int nkinds, const char *source)
{
    DynBuf b;

    dynbuf_init(&b, 64 * 1024);
    dynbuf_addstr(&b, "COPY (SELECT kind AS type, centra_id, erp_id AS external_id, name, source, "
                      "to_char(updated_at AT TIME ZONE 'UTC', "
                      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS updated_at FROM centra.id_map "
                      "WHERE true");
    for (int i = 0; i < nkinds; i++) {
        char *lit = db_quote_literal(kinds[i]);

        dynbuf_addf(&b, "%s%s", i == 0 ? " AND kind IN (" : ", ", lit);
        xfree(lit);
    }
    if (nkinds > 0)
        dynbuf_addc(&b, ')');
    if (source != NULL) {
        char *lit = db_quote_literal(source);

        dynbuf_addf(&b, " AND source = %s", lit);
        xfree(lit);
    }
    dynbuf_addstr(&b, " ORDER BY kind COLLATE \"C\", erp_id COLLATE \"C\") "
                      "TO STDOUT WITH (FORMAT csv, HEADER)");
    return dynbuf_take(&b);
}

ErrKind
idmap_export(const Config *cfg, const char *const *kinds, int nkinds, const char *source, FILE *out,
             long long *rows, Error *err)
{
    DbOptions dbo;
    DbConn *db = NULL;
    char *sql = export_sql(kinds, nkinds, source);
    int version;
    ErrKind rc;

    *rows = 0;
    db_options_from_config(&dbo, cfg);
    rc = db_new(&dbo, &db, err);
    if (rc == ERR_OK)
        rc = migrate_check_current(db, &version, err);
    if (rc == ERR_OK)
        rc = db_copy_out(db, sql, write_out, out, rows, err);
    if (rc == ERR_OK && fflush(out) != 0) {
        char ebuf[128];

        rc = err_set(err, ERR_IO, "could not write the CSV output: %s",
                     str_errno(errno, ebuf, sizeof(ebuf)));
    }
    db_free(db);
    xfree(sql);
    return rc;
}
