/*
 * src/cli/cmd_status.c
 *     "centra-bridge status [--json]": queue depths, last runs, failed or
 *     blocked messages, quarantined events.
 *
 * Read-only: never contacts Centra, never writes.  PostgreSQL computes every
 * number in one REPEATABLE READ transaction, so the figures agree with each
 * other; this file only lays them out, as a compact table or as one JSON
 * object whose keys are fixed (docs/monitoring.md documents them: monitoring
 * depends on that shape, so keys are only ever added).
 *
 * The errors it quotes were written by other runs (and by the ERP, for the
 * outbox) and may hold a password: every text value is redacted as the log
 * is before it is encoded or laid out, never the finished report, whose
 * quotes and numbers a redaction would break (found in a CLI audit: a
 * "password='x" in an error ate the rest of the JSON, a password "2026"
 * replaced a number).  Numbers and the times PostgreSQL formats for us hold
 * nothing to redact.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/db.h"
#include "centra/dynbuf.h"
#include "centra/json.h"
#include "centra/log.h"
#include "centra/migrate.h"
#include "centra/runs.h"
#include "cli_int.h"

static const char status_help[] =
    "Usage: centra-bridge [OPTION]... status [--json] [--fail-on-problems]\n"
    "\n"
    "Show how the bridge is doing, from the database alone (Centra is not\n"
    "contacted, nothing is changed):\n"
    "  - events by status (applied, stale, unhandled, quarantined), how many are\n"
    "    stored but not yet acknowledged, and the newest event stored (how far\n"
    "    the Centra queue has been read);\n"
    "  - the latest quarantined events;\n"
    "  - outbox messages by status, the age of the oldest pending one (the export\n"
    "    lag), and how many are due now or wait for a retry;\n"
    "  - entity keys blocked by a failed message (see \"outbox list --blocked\");\n"
    "  - the last successful import and export and their age, a failed run since,\n"
    "    and the runs still running (daemons).\n"
    "\n"
    "Options:\n"
    "      --json               one JSON object on stdout, for monitoring; its keys\n"
    "                           are stable (docs/monitoring.md describes each)\n"
    "      --fail-on-problems   exit 1 when events are quarantined, keys are blocked\n"
    "                           or messages failed\n"
    "  -h, --help               show this help, then exit\n"
    "\n"
    "Exit status: 0 done; 1 problems found (only with --fail-on-problems); 64\n"
    "usage; 69 the database is unreachable; 78 configuration, or the schema is\n"
    "missing or not migrated (run \"centra-bridge migrate\").\n";

/*
 * SQL of a timestamp as ISO 8601 UTC text; of the whole seconds since it
 * (never negative, NULL stays NULL); of the first line of a text, cut at 200
 * characters.
 */
#define ISO(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define AGE(x)                                                                                     \
    "(CASE WHEN (" x ") > now() THEN 0 ELSE floor(extract(epoch FROM now() - (" x ")))::bigint "   \
    "END)"
#define FIRST(x) "left(split_part(btrim(" x ", E' \\n\\r\\t'), E'\\n', 1), 200)"

/*
 * One query of the report.  cols names the JSON key of each column and types
 * says how each is written: 'n' a number, 't' a time (ISO) and 's' a text,
 * redacted, both as strings (NULL is null).
 */
typedef struct StatusQuery {
    const char *sql;   /* the statement; $1 is param when set */
    const char *param; /* its parameter, or NULL */
    const char *cols;  /* comma-separated JSON keys */
    const char *types; /* one letter per column */
} StatusQuery;

enum {
    Q_EVENTS,
    Q_NEWEST,
    Q_QUARANTINED,
    Q_OUTBOX,
    Q_BLOCKED_COUNT,
    Q_BLOCKED,
    Q_IMPORT,
    Q_EXPORT,
    Q_RUNNING,
    Q_NOW,
    Q_COUNT_
};

#define LAST_RUN_SQL                                                                               \
    "SELECT " ISO("ok.t") ", " AGE("ok.t") ", f.run_id, " ISO("f.finished_at") ", " AGE(           \
        "f.finished_at") ", f.exit_code, " FIRST("f.error") " FROM (SELECT max(last_ok_at) AS t "  \
                                                            "FROM centra.runs WHERE command = "    \
                                                            "$1) ok "                              \
                                                            "LEFT JOIN LATERAL (SELECT * FROM "    \
                                                            "centra.runs r WHERE r.command = $1 "  \
                                                            "AND r.outcome = 'failed' AND (ok.t "  \
                                                            "IS NULL OR r.finished_at > ok.t) "    \
                                                            "ORDER BY r.finished_at DESC NULLS "   \
                                                            "LAST, r.run_id DESC LIMIT 1) f ON "   \
                                                            "true"
#define LAST_RUN_COLS  "ok_at,age_seconds,run_id,finished_at,age_seconds,exit_code,error"
#define LAST_RUN_TYPES "tnntnns"

/* clang-format off */
static const StatusQuery status_queries[Q_COUNT_] = {
    [Q_EVENTS] = {
        "SELECT count(*) FILTER (WHERE status = 'applied'), "
        "count(*) FILTER (WHERE status = 'stale'), "
        "count(*) FILTER (WHERE status = 'unhandled'), "
        "count(*) FILTER (WHERE status = 'quarantined'), count(*), "
        "count(*) FILTER (WHERE done_at IS NULL AND source = 'centra' AND event_id >= 0 "
        "AND status <> 'quarantined') "
        "FROM centra.events",
        NULL, "applied,stale,unhandled,quarantined,total,unacknowledged", "nnnnnn"},
    [Q_NEWEST] = {
        "SELECT event_id, type, " ISO("event_date") ", " ISO("received_at") ", "
        AGE("received_at") " FROM centra.events ORDER BY event_id DESC LIMIT 1",
        NULL, "event_id,type,event_date,received_at,age_seconds", "nsttn"},
    [Q_QUARANTINED] = {
        "SELECT event_id, " ISO("received_at") ", " FIRST("coalesce(error, '')")
        " FROM centra.events WHERE status = 'quarantined' "
        "ORDER BY received_at DESC, event_id DESC LIMIT 5",
        NULL, "event_id,received_at,error", "nts"},
    /*
     * Pending messages are due, waiting for a retry, or held back by a failed
     * message of their key (rule 6: sent once it is retried or cancelled).
     */
    [Q_OUTBOX] = {
        /*
         * Each count from the index of its statuses, so that the report costs
         * the same with a year of sent messages kept: the open ones by
         * messages_open_id_idx, the closed ones other than sent by
         * messages_status_idx, and sent as what is left of the table's
         * count (an index-only scan).
         */
        "SELECT o.pending, o.sending, t.total - o.pending - o.sending - c.failed - c.cancelled "
        "- c.superseded, c.failed, c.cancelled, c.superseded, " AGE("o.oldest") ", o.due, "
        "o.waiting_retry, o.held_back FROM "
        "(SELECT count(*) FILTER (WHERE m.status = 'pending') AS pending, "
        "count(*) FILTER (WHERE m.status = 'sending') AS sending, "
        "min(m.created_at) FILTER (WHERE m.status = 'pending') AS oldest, "
        "count(*) FILTER (WHERE m.status = 'pending' AND b.first_failed IS NULL "
        "AND m.next_attempt_at <= now()) AS due, "
        "count(*) FILTER (WHERE m.status = 'pending' AND b.first_failed IS NULL "
        "AND m.next_attempt_at > now()) AS waiting_retry, "
        "count(*) FILTER (WHERE m.status = 'pending' AND b.first_failed IS NOT NULL) AS held_back "
        "FROM centra_outbox.messages m LEFT JOIN (SELECT entity_key, min(id) AS first_failed "
        "FROM centra_outbox.messages WHERE status = 'failed' GROUP BY entity_key) b "
        "ON b.entity_key = m.entity_key AND m.id > b.first_failed "
        "WHERE m.status IN ('pending', 'sending')) o, "
        "(SELECT count(*) FILTER (WHERE status = 'failed') AS failed, "
        "count(*) FILTER (WHERE status = 'cancelled') AS cancelled, "
        "count(*) FILTER (WHERE status = 'superseded') AS superseded "
        "FROM centra_outbox.messages WHERE status <> ALL (ARRAY['pending', 'sending', 'sent'])) c, "
        "(SELECT count(*) AS total FROM centra_outbox.messages) t",
        NULL,
        "pending,sending,sent,failed,cancelled,superseded,oldest_pending_age_seconds,due,"
        "waiting_retry,held_back",
        "nnnnnnnnnn"},
    /* "Blocked" as "outbox list --blocked" has it: the first failed message of a key. */
    [Q_BLOCKED_COUNT] = {
        "SELECT count(DISTINCT entity_key) FROM centra_outbox.messages WHERE status = 'failed'",
        NULL, "count", "n"},
    [Q_BLOCKED] = {
        "SELECT f.entity_key, f.id, f.operation, "
        "(SELECT count(*) FROM centra_outbox.messages w WHERE w.entity_key = f.entity_key "
        "AND w.id > f.id AND w.status IN ('pending', 'sending')), "
        ISO("f.updated_at") ", " FIRST("coalesce(f.last_error, '')")
        " FROM centra_outbox.messages f WHERE f.status = 'failed' "
        "AND NOT EXISTS (SELECT 1 FROM centra_outbox.messages o "
        "WHERE o.entity_key = f.entity_key AND o.id < f.id AND o.status = 'failed') "
        "ORDER BY f.id LIMIT 10",
        NULL, "entity_key,message_id,operation,waiting,failed_at,last_error", "snsnts"},
    [Q_IMPORT] = {LAST_RUN_SQL, "import", LAST_RUN_COLS, LAST_RUN_TYPES},
    [Q_EXPORT] = {LAST_RUN_SQL, "export", LAST_RUN_COLS, LAST_RUN_TYPES},
    [Q_RUNNING] = {
        "SELECT run_id, command, pid, host, " ISO("started_at") ", " ISO("last_ok_at") ", "
        AGE("last_ok_at") ", extract(epoch FROM started_at)::bigint, "
        "extract(epoch FROM now())::bigint FROM centra.runs WHERE outcome = 'running' "
        "ORDER BY started_at, run_id",
        NULL, "run_id,command,pid,host,started_at,last_ok_at,last_ok_age_seconds", "nsnsttn"},
    [Q_NOW] = {
        "SELECT " ISO("now()") ", to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')",
        NULL, "generated_at,text", "tt"},
};
/* clang-format on */

typedef struct StatusReport {
    DbResult *res[Q_COUNT_]; /* one result per query */
} StatusReport;

/* Value of query q's column c in row r (NULL for SQL NULL or no row). */
static const char *
val(const StatusReport *s, int q, int r, int c)
{
    if (r >= db_result_rows(s->res[q]))
        return NULL;
    return db_result_value(s->res[q], r, c);
}

/* A count as a number (0 when NULL). */
static long long
num(const StatusReport *s, int q, int r, int c)
{
    const char *v = val(s, q, r, c);

    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

/* ---------------------------------------------------------------------------
 * Gathering
 * ------------------------------------------------------------------------- */

static ErrKind
gather(DbConn *db, StatusReport *s, Error *err)
{
    ErrKind rc = db_begin(db, err);

    if (rc == ERR_OK)
        rc = db_exec(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", err);
    for (int q = 0; rc == ERR_OK && q < Q_COUNT_; q++) {
        const StatusQuery *sq = &status_queries[q];
        const char *params[1] = {sq->param};

        rc = db_query(db, sq->sql, sq->param != NULL ? 1 : 0, params, &s->res[q], err);
    }
    if (db_in_transaction(db)) {
        Error ignored;

        if (db_rollback(db, &ignored) != ERR_OK && rc == ERR_OK)
            rc = err_set(err, ignored.kind, "%s", ignored.message);
    }
    return rc;
}

static void
report_free(StatusReport *s)
{
    for (int q = 0; q < Q_COUNT_; q++)
        db_result_free(s->res[q]);
}

/* ---------------------------------------------------------------------------
 * JSON
 * ------------------------------------------------------------------------- */

/* Append "key": (key a plain identifier). */
static void
json_key(DynBuf *b, const char *key, size_t len)
{
    dynbuf_addc(b, '"');
    dynbuf_add(b, key, len);
    dynbuf_addstr(b, "\":");
}

/* Append value v of type t ('n' number, 't' time, 's' text: redacted); NULL is null. */
static void
json_value(DynBuf *b, const char *v, char t)
{
    char *red = NULL;

    if (v == NULL) {
        dynbuf_addstr(b, "null");
        return;
    }
    if (t == 'n') {
        dynbuf_addstr(b, v);
        return;
    }
    if (t == 's')
        v = red = log_redact(v);
    if (json_append_string(b, v) != ERR_OK)
        dynbuf_addstr(b, "null"); /* not reached: the buffer's cap is far beyond a report */
    xfree(red);
}

/*
 * Append row r of query q as an object of its columns from first to last
 * (inclusive), or null when there is no such row.
 */
static void
json_row(DynBuf *b, const StatusReport *s, int q, int r, int first, int last)
{
    const StatusQuery *sq = &status_queries[q];
    const char *key = sq->cols;

    if (r >= db_result_rows(s->res[q])) {
        dynbuf_addstr(b, "null");
        return;
    }
    dynbuf_addc(b, '{');
    for (int c = 0; c <= last; c++) {
        size_t len = strcspn(key, ",");

        if (c >= first) {
            if (c > first)
                dynbuf_addc(b, ',');
            json_key(b, key, len);
            json_value(b, db_result_value(s->res[q], r, c), sq->types[c]);
        }
        key += len + (key[len] == ',');
    }
    dynbuf_addc(b, '}');
}

/* Append every row of query q as an array of objects. */
static void
json_rows(DynBuf *b, const StatusReport *s, int q)
{
    int cols = db_result_cols(s->res[q]);

    dynbuf_addc(b, '[');
    for (int r = 0; r < db_result_rows(s->res[q]); r++) {
        if (r > 0)
            dynbuf_addc(b, ',');
        json_row(b, s, q, r, 0, cols - 1);
    }
    dynbuf_addc(b, ']');
}

/*
 * Whether the process of running run r is gone (runs_process_gone): 1, 0,
 * or -1 when it cannot be told from here (another host, no pid).
 */
static int
process_gone(const StatusReport *s, int r)
{
    const char *host = val(s, Q_RUNNING, r, 3);
    const char *pid = val(s, Q_RUNNING, r, 2);
    char here[256] = "";

    if (host == NULL || pid == NULL || gethostname(here, sizeof(here) - 1) != 0 ||
        strcmp(host, here) != 0)
        return -1;
    return runs_process_gone(strtol(pid, NULL, 10), strtoll(val(s, Q_RUNNING, r, 7), NULL, 10),
                             strtoll(val(s, Q_RUNNING, r, 8), NULL, 10));
}

/* "running": its rows, each with process_gone (true, false, or null: cannot be told). */
static void
json_running(DynBuf *b, const StatusReport *s)
{
    dynbuf_addc(b, '[');
    for (int r = 0; r < db_result_rows(s->res[Q_RUNNING]); r++) {
        int gone = process_gone(s, r);

        if (r > 0)
            dynbuf_addc(b, ',');
        json_row(b, s, Q_RUNNING, r, 0, 6);    /* not the two epochs after */
        dynbuf_truncate(b, dynbuf_len(b) - 1); /* its '}' */
        dynbuf_addstr(b, gone < 0    ? ",\"process_gone\":null}"
                         : gone == 1 ? ",\"process_gone\":true}"
                                     : ",\"process_gone\":false}");
    }
    dynbuf_addc(b, ']');
}

/* "last_import" or "last_export": the success, then the failure since (or null). */
static void
json_last_run(DynBuf *b, const StatusReport *s, int q)
{
    dynbuf_addstr(b, "{\"ok_at\":");
    json_value(b, val(s, q, 0, 0), 't');
    dynbuf_addstr(b, ",\"age_seconds\":");
    json_value(b, val(s, q, 0, 1), 'n');
    dynbuf_addstr(b, ",\"last_failure\":");
    if (val(s, q, 0, 2) == NULL)
        dynbuf_addstr(b, "null");
    else
        json_row(b, s, q, 0, 2, 6);
    dynbuf_addc(b, '}');
}

static void
print_json(const StatusReport *s, FILE *out)
{
    DynBuf b;

    dynbuf_init(&b, 16 * 1024 * 1024);
    dynbuf_addstr(&b, "{\"version\":1,\"generated_at\":");
    json_value(&b, val(s, Q_NOW, 0, 0), 't');
    dynbuf_addstr(&b, ",\"events\":{\"by_status\":");
    json_row(&b, s, Q_EVENTS, 0, 0, 3);
    dynbuf_addstr(&b, ",\"total\":");
    json_value(&b, val(s, Q_EVENTS, 0, 4), 'n');
    dynbuf_addstr(&b, ",\"unacknowledged\":");
    json_value(&b, val(s, Q_EVENTS, 0, 5), 'n');
    dynbuf_addstr(&b, ",\"newest\":");
    json_row(&b, s, Q_NEWEST, 0, 0, 4);
    dynbuf_addstr(&b, "},\"quarantined\":{\"count\":");
    json_value(&b, val(s, Q_EVENTS, 0, 3), 'n');
    dynbuf_addstr(&b, ",\"latest\":");
    json_rows(&b, s, Q_QUARANTINED);
    dynbuf_addstr(&b, "},\"outbox\":{\"by_status\":");
    json_row(&b, s, Q_OUTBOX, 0, 0, 5);
    dynbuf_addstr(&b, ",\"oldest_pending_age_seconds\":");
    json_value(&b, val(s, Q_OUTBOX, 0, 6), 'n');
    dynbuf_addstr(&b, ",\"due\":");
    json_value(&b, val(s, Q_OUTBOX, 0, 7), 'n');
    dynbuf_addstr(&b, ",\"waiting_retry\":");
    json_value(&b, val(s, Q_OUTBOX, 0, 8), 'n');
    dynbuf_addstr(&b, ",\"held_back\":");
    json_value(&b, val(s, Q_OUTBOX, 0, 9), 'n');
    dynbuf_addstr(&b, "},\"blocked\":{\"count\":");
    json_value(&b, val(s, Q_BLOCKED_COUNT, 0, 0), 'n');
    dynbuf_addstr(&b, ",\"keys\":");
    json_rows(&b, s, Q_BLOCKED);
    dynbuf_addstr(&b, "},\"last_import\":");
    json_last_run(&b, s, Q_IMPORT);
    dynbuf_addstr(&b, ",\"last_export\":");
    json_last_run(&b, s, Q_EXPORT);
    dynbuf_addstr(&b, ",\"running\":");
    json_running(&b, s);
    dynbuf_addstr(&b, "}\n");
    fputs(dynbuf_str(&b), out);
    dynbuf_free(&b);
}

/* ---------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------- */

/* "12 s ago", "3 min ago", "5 h ago", "2 days ago" for a number of seconds. */
static const char *
age_text(const char *seconds, char *buf, size_t size)
{
    long long s;

    if (seconds == NULL)
        return "never";
    s = strtoll(seconds, NULL, 10);
    if (s < 60)
        snprintf(buf, size, "%lld s ago", s);
    else if (s < 3600)
        snprintf(buf, size, "%lld min ago", s / 60);
    else if (s < 48 * 3600)
        snprintf(buf, size, "%lld h ago", s / 3600);
    else
        snprintf(buf, size, "%lld days ago", s / 86400);
    return buf;
}

/*
 * At most max characters of UTF-8 text s, "..." when cut; into buf.  Redacted
 * before it is cut, so that no part of a secret is left at the cut.
 */
static const char *
cut(const char *text, size_t max, char *buf, size_t size)
{
    char *red = log_redact(text != NULL ? text : "");
    const char *s = red;
    size_t chars = 0;
    size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == max)
            break;
    }
    if (s[i] == '\0' || i + 4 > size) {
        snprintf(buf, size, "%.*s", (int)(i < size ? i : size - 1), s);
        xfree(red);
        return buf;
    }
    /* Room for "...": back up to a character boundary three characters earlier. */
    while (i > 0 && chars > max - 2) {
        i--;
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            chars--;
    }
    snprintf(buf, size, "%.*s...", (int)i, s);
    xfree(red);
    return buf;
}

/* A short text value (a type, a host), redacted; none when NULL. */
static const char *
text(const char *v, const char *none, char *buf, size_t size)
{
    return v != NULL ? cut(v, 100, buf, size) : none;
}

/* A timestamp "2026-01-02T03:04:05Z" as "2026-01-02 03:04:05". */
static const char *
ts_text(const char *iso, char *buf, size_t size)
{
    if (iso == NULL)
        return "-";
    snprintf(buf, size, "%.10s %.8s", iso, strlen(iso) >= 19 ? iso + 11 : "");
    return buf;
}

static void
print_events(const StatusReport *s, FILE *out)
{
    char a[64];
    char t[64];
    char y[512];

    fprintf(out,
            "Events      applied %lld   stale %lld   unhandled %lld   quarantined %lld   "
            "total %lld\n",
            num(s, Q_EVENTS, 0, 0), num(s, Q_EVENTS, 0, 1), num(s, Q_EVENTS, 0, 2),
            num(s, Q_EVENTS, 0, 3), num(s, Q_EVENTS, 0, 4));
    fprintf(out, "            not yet acknowledged %lld\n", num(s, Q_EVENTS, 0, 5));
    if (db_result_rows(s->res[Q_NEWEST]) == 0)
        fputs("  newest    no events yet\n", out);
    else
        fprintf(out, "  newest    event %s (%s) of %s, received %s\n", val(s, Q_NEWEST, 0, 0),
                text(val(s, Q_NEWEST, 0, 1), "no type", y, sizeof(y)),
                ts_text(val(s, Q_NEWEST, 0, 2), t, sizeof(t)),
                age_text(val(s, Q_NEWEST, 0, 4), a, sizeof(a)));
    for (int r = 0; r < db_result_rows(s->res[Q_QUARANTINED]); r++) {
        char e[1024]; /* the whole first line: the part that says what broke is at its end */

        fprintf(out, "  quarantined event %s, received %s UTC: %s\n", val(s, Q_QUARANTINED, r, 0),
                ts_text(val(s, Q_QUARANTINED, r, 1), t, sizeof(t)),
                cut(val(s, Q_QUARANTINED, r, 2), 200, e, sizeof(e)));
    }
}

static void
print_outbox(const StatusReport *s, FILE *out)
{
    char a[64];

    fprintf(out,
            "Outbox      pending %lld   sending %lld   sent %lld   failed %lld   cancelled %lld   "
            "superseded %lld\n",
            num(s, Q_OUTBOX, 0, 0), num(s, Q_OUTBOX, 0, 1), num(s, Q_OUTBOX, 0, 2),
            num(s, Q_OUTBOX, 0, 3), num(s, Q_OUTBOX, 0, 4), num(s, Q_OUTBOX, 0, 5));
    fprintf(out,
            "            due now %lld   waiting for a retry %lld   held back %lld   oldest "
            "pending %s\n",
            num(s, Q_OUTBOX, 0, 7), num(s, Q_OUTBOX, 0, 8), num(s, Q_OUTBOX, 0, 9),
            val(s, Q_OUTBOX, 0, 6) != NULL ? age_text(val(s, Q_OUTBOX, 0, 6), a, sizeof(a))
                                           : "none");
    fprintf(out, "Blocked     %lld key%s\n", num(s, Q_BLOCKED_COUNT, 0, 0),
            num(s, Q_BLOCKED_COUNT, 0, 0) == 1 ? "" : "s");
    for (int r = 0; r < db_result_rows(s->res[Q_BLOCKED]); r++) {
        char k[128];
        char o[512];
        char e[256];

        fprintf(out, "  %-24s message %s (%s), %s waiting: %s\n",
                cut(val(s, Q_BLOCKED, r, 0), 24, k, sizeof(k)), val(s, Q_BLOCKED, r, 1),
                text(val(s, Q_BLOCKED, r, 2), "-", o, sizeof(o)), val(s, Q_BLOCKED, r, 3),
                cut(val(s, Q_BLOCKED, r, 5), 50, e, sizeof(e)));
    }
}

static void
print_last_run(const StatusReport *s, int q, const char *label, FILE *out)
{
    char a[64];
    char t[64];
    char e[1024]; /* the whole first line: what could not be reached is at its end */

    if (val(s, q, 0, 0) == NULL)
        fprintf(out, "%-11s never succeeded\n", label);
    else
        fprintf(out, "%-11s ok %s (%s UTC)\n", label, age_text(val(s, q, 0, 1), a, sizeof(a)),
                ts_text(val(s, q, 0, 0), t, sizeof(t)));
    if (val(s, q, 0, 2) != NULL)
        fprintf(out, "  failed    %s, run %s, exit %s: %s\n",
                age_text(val(s, q, 0, 4), a, sizeof(a)), val(s, q, 0, 2),
                val(s, q, 0, 5) != NULL ? val(s, q, 0, 5) : "-",
                cut(val(s, q, 0, 6), 200, e, sizeof(e)));
}

static void
print_table(const StatusReport *s, const DbConn *db, FILE *out)
{
    int running = db_result_rows(s->res[Q_RUNNING]);
    char *where = log_redact(db_describe(db));

    fprintf(out, "centra-bridge status at %s UTC, %s\n", val(s, Q_NOW, 0, 1), where);
    xfree(where);
    print_events(s, out);
    print_outbox(s, out);
    print_last_run(s, Q_IMPORT, "Import", out);
    print_last_run(s, Q_EXPORT, "Export", out);
    fprintf(out, "Running     %d run%s\n", running, running == 1 ? "" : "s");
    for (int r = 0; r < running; r++) {
        char a[64];
        char t[64];
        char c[512];
        char h[512];

        fprintf(out, "  %-9s run %s, pid %s on %s, started %s UTC, last ok %s%s\n",
                text(val(s, Q_RUNNING, r, 1), "-", c, sizeof(c)), val(s, Q_RUNNING, r, 0),
                val(s, Q_RUNNING, r, 2) != NULL ? val(s, Q_RUNNING, r, 2) : "-",
                text(val(s, Q_RUNNING, r, 3), "-", h, sizeof(h)),
                ts_text(val(s, Q_RUNNING, r, 4), t, sizeof(t)),
                age_text(val(s, Q_RUNNING, r, 6), a, sizeof(a)),
                process_gone(s, r) == 1
                    ? "; its process is gone (killed?): the next run on this host closes it"
                    : "");
    }
}

/* ---------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------- */

/* ERR_PARTIAL when something needs a person: quarantined, blocked or failed. */
static ErrKind
problems(const StatusReport *s, Error *err)
{
    long long quarantined = num(s, Q_EVENTS, 0, 3);
    long long blocked = num(s, Q_BLOCKED_COUNT, 0, 0);
    long long failed = num(s, Q_OUTBOX, 0, 3);

    if (quarantined == 0 && blocked == 0 && failed == 0)
        return ERR_OK;
    err_set(err, ERR_PARTIAL,
            "problems found: %lld quarantined event%s, %lld blocked key%s, %lld failed message%s",
            quarantined, quarantined == 1 ? "" : "s", blocked, blocked == 1 ? "" : "s", failed,
            failed == 1 ? "" : "s");
    err_hint(err, "See docs/monitoring.md; \"centra-bridge outbox list --blocked\" shows the "
                  "blocked keys.");
    return ERR_PARTIAL;
}

static ErrKind
status_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {
        {"json", no_argument, NULL, 'j'},
        {"fail-on-problems", no_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    StatusReport s;
    DbOptions opts;
    DbConn *db = NULL;
    bool json = false;
    bool fail_on_problems = false;
    int version;
    ErrKind rc;
    int c;
    int at;

    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+:", long_options, &at)) != -1) {
        if (c == 'j')
            json = true;
        else if (c == 'p')
            fail_on_problems = true;
        else
            return cli_bad_option(err, "status", argc, argv, at, c);
    }
    if (optind < argc)
        return cli_usage_error(err, "status", "unexpected argument \"%s\"", argv[optind]);

    memset(&s, 0, sizeof(s));
    db_options_from_config(&opts, ctx->cfg);
    rc = db_new(&opts, &db, err);
    if (rc == ERR_OK)
        rc = migrate_check_current(db, &version, err);
    if (rc == ERR_OK)
        rc = gather(db, &s, err);
    if (rc == ERR_OK && json)
        print_json(&s, stdout);
    else if (rc == ERR_OK)
        print_table(&s, db, stdout);
    if (rc == ERR_OK && fail_on_problems)
        rc = problems(&s, err);
    report_free(&s);
    db_free(db);
    return rc;
}

const CliCommand cli_cmd_status = {
    "status",       "queue depths, last runs, blocked messages, quarantined events",
    status_help,    NULL,
    status_cmd_run, false,
};
