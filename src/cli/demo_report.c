/*
 * src/cli/demo_report.c
 *     What the demo prints at the end: a summary (counts and timings), a
 *     few queries a DBA would write with their results as psql-like tables,
 *     and, with --keep, how to connect and how to stop everything.
 *
 * Output stays within 100 columns and a screenful.
 */
#include "demo_int.h"

#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"

#define DEMO_WIDTH 96 /* wrap lists at this column */

/* ---------------------------------------------------------------------------
 * A psql-like table
 * ------------------------------------------------------------------------- */

/* Characters (not bytes) of the UTF-8 string s. */
static size_t
display_width(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Whether s reads as a number (psql right-aligns those). */
static bool
is_number(const char *s)
{
    char *end;

    if (s[0] == '\0')
        return false;
    (void)strtod(s, &end);
    return *end == '\0';
}

/* Whether every value of column c is a number (NULLs aside). */
static bool
numeric_column(const DbResult *res, int c)
{
    for (int r = 0; r < db_result_rows(res); r++) {
        const char *v = db_result_value(res, r, c);

        if (v != NULL && !is_number(v))
            return false;
    }
    return db_result_rows(res) > 0;
}

/* Print s in width columns: left- or right-aligned, or centred. */
static void
print_cell(FILE *out, const char *s, size_t width, int align)
{
    size_t pad = width - display_width(s);
    size_t left = align > 0 ? pad : align == 0 ? pad / 2 : 0;

    fprintf(out, "%*s%s%*s", (int)left, "", s, (int)(pad - left), "");
}

static void
print_row(const DbResult *res, int r, const size_t *width, const bool *num, FILE *out)
{
    for (int c = 0; c < db_result_cols(res); c++) {
        const char *v = r < 0 ? db_result_col_name(res, c) : db_result_value(res, r, c);

        fputs(c == 0 ? " " : " | ", out);
        print_cell(out, v != NULL ? v : "", width[c], r < 0 ? 0 : num[c] ? 1 : -1);
    }
    fputc('\n', out);
}

void
demo_table_print(const DbResult *res, FILE *out)
{
    int cols = db_result_cols(res);
    int rows = db_result_rows(res);
    size_t *width = xcalloc((size_t)cols + 1, sizeof(size_t));
    bool *num = xcalloc((size_t)cols + 1, sizeof(bool));

    for (int c = 0; c < cols; c++) {
        width[c] = display_width(db_result_col_name(res, c));
        num[c] = numeric_column(res, c);
        for (int r = 0; r < rows; r++) {
            const char *v = db_result_value(res, r, c);
            size_t w = v != NULL ? display_width(v) : 0;

            width[c] = w > width[c] ? w : width[c];
        }
    }
    print_row(res, -1, width, num, out);
    for (int c = 0; c < cols; c++) {
        fputs(c == 0 ? "-" : "-+-", out);
        for (size_t i = 0; i < width[c]; i++)
            fputc('-', out);
    }
    fputs("-\n", out);
    for (int r = 0; r < rows; r++)
        print_row(res, r, width, num, out);
    fprintf(out, "(%d row%s)\n", rows, rows == 1 ? "" : "s");
    xfree(num);
    xfree(width);
}

/* ---------------------------------------------------------------------------
 * Summary
 * ------------------------------------------------------------------------- */

static const char sql_summary[] =
    "SELECT (SELECT coalesce(string_agg(n || ' ' || status, ', ' ORDER BY status), 'none')\n"
    "          FROM (SELECT status, count(*) AS n FROM centra.events GROUP BY status) e),\n"
    "       (SELECT count(*) FROM centra.events),\n"
    "       (SELECT count(*) FROM centra.orders),\n"
    "       (SELECT count(*) FROM centra.orders WHERE type = 'retail'),\n"
    "       (SELECT count(*) FROM centra.orders WHERE type = 'wholesale'),\n"
    "       (SELECT count(*) FROM centra.order_lines),\n"
    "       (SELECT count(*) FROM centra.shipments),\n"
    "       (SELECT count(*) FROM centra.shipments WHERE shipped),\n"
    "       (SELECT coalesce(string_agg(n || ' ' || status, ', ' ORDER BY status), 'none')\n"
    "          FROM (SELECT status, count(*) AS n FROM centra_outbox.messages GROUP BY status) m)";

/* Print the timings as "label 0.4 s" items, wrapped. */
static void
print_timings(const Demo *d)
{
    static const char head[] = "      timings:          ";
    size_t indent = strlen(head);
    size_t col = indent;

    fputs(head, stdout);
    for (int i = 0; i < d->ntimings; i++) {
        char item[96];

        snprintf(item, sizeof(item), "%s %.1f s%s", d->timings[i].label, d->timings[i].seconds,
                 i + 1 < d->ntimings ? "," : "");
        if (col > indent && col + 1 + strlen(item) > DEMO_WIDTH) {
            printf("\n%*s", (int)indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', stdout);
            col++;
        }
        fputs(item, stdout);
        col += strlen(item);
    }
    fputc('\n', stdout);
}

ErrKind
demo_summary(const Demo *d, DbConn *db, Error *err)
{
    DbResult *res;
    ErrKind rc = db_query(db, sql_summary, 0, NULL, &res, err);

#define V(i) db_result_value(res, 0, i)
    if (rc != ERR_OK)
        return rc;
    printf("      events imported:  %s (%s in all)\n", V(0), V(1));
    printf("      orders:           %s (%s retail, %s wholesale), with %s order lines\n", V(2),
           V(3), V(4), V(5));
    printf("      shipments:        %s (%s shipped)\n", V(6), V(7));
    printf("      outbox messages:  %s\n", V(8));
#undef V
    db_result_free(res);
    print_timings(d);
    return ERR_OK;
}

/* ---------------------------------------------------------------------------
 * Example queries
 * ------------------------------------------------------------------------- */

typedef struct DemoExample {
    const char *title; /* what the query answers */
    const char *sql;   /* the query, as printed and run */
} DemoExample;

static const DemoExample demo_examples_list[] = {
    {"The latest orders, with their totals",
     "SELECT order_id, type, status, currency, order_total, created_at::date AS created\n"
     "  FROM centra.orders ORDER BY created_at DESC, order_id LIMIT 4;"},
    {"What the warehouse must pick for open orders (bundles as their parts)",
     "SELECT l.variation_id, l.size_id, sum(l.qty) AS qty, count(DISTINCT l.order_id) AS orders\n"
     "  FROM centra.pick_lines l JOIN centra.orders o USING (order_id)\n"
     " WHERE o.status IN ('pending', 'confirmed', 'processing')\n"
     " GROUP BY 1, 2 ORDER BY qty DESC, 1, 2 LIMIT 4;"},
    {"Shipped shipments and their tracking (the demo's own comes back from Centra)",
     "SELECT order_id, shipment_id, carrier, tracking, paid\n"
     "  FROM centra.shipments WHERE shipped ORDER BY shipment_id LIKE 'demo-%' DESC, order_id\n"
     " LIMIT 4;"},
    {"The outbox: what was sent to Centra, and how it went",
     "SELECT id, operation, entity_key, status, attempts FROM centra_outbox.messages ORDER BY id;"},
};

ErrKind
demo_examples(DbConn *db, Error *err)
{
    for (size_t i = 0; i < sizeof(demo_examples_list) / sizeof(demo_examples_list[0]); i++) {
        const DemoExample *e = &demo_examples_list[i];
        DbResult *res;
        ErrKind rc = db_query(db, e->sql, 0, NULL, &res, err);

        if (rc != ERR_OK)
            return rc;
        printf("\n-- %s\n%s\n", e->title, e->sql);
        demo_table_print(res, stdout);
        db_result_free(res);
    }
    return ERR_OK;
}

/* ---------------------------------------------------------------------------
 * --keep
 * ------------------------------------------------------------------------- */

void
demo_print_keep(const Demo *d)
{
    char *stop = d->pgdata != NULL ? demo_pg_stop_command(d) : NULL;

    printf("\nLeft running (--keep).  Connect with psql:\n");
    if (d->db_url != NULL) {
        printf("  psql \"%s\"\n", d->db_url);
        printf("  psql -h %s -p %d -U postgres postgres\n", d->pgroot, d->port);
    }
    if (d->sim_url != NULL) {
        printf("Try centra-bridge against centra-sim:\n");
        printf("  export CENTRA_URL=%s\n", d->sim_url);
        printf("  export CENTRA_USERNAME=%s CENTRA_PASSWORD=%s CENTRA_TIMEZONE=%s\n", DEMO_SIM_USER,
               DEMO_SIM_PASS, DEMO_SIM_TZ);
        if (d->db_url != NULL)
            printf("  export DATABASE_URL=%s\n", d->db_url);
        printf("  %s sync\n", d->self);
        printf("  %s status\n", d->self);
    }
    printf("Stop both and remove everything:\n");
    if (stop != NULL)
        printf("  %s\n", stop);
    if (d->sim_pid > 0)
        printf("  kill %ld\n", (long)d->sim_pid);
    printf("  rm -rf %s\n", d->dir);
    xfree(stop);
}
