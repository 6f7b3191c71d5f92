/*
 * tests/sim/sim_server.c
 *     centra-sim's HTTP layer on libmicrohttpd (see sim_server_int.h).
 *
 * One thread per connection, so a delayed answer holds up only its own
 * client.  The server lock is held while a request is applied to the store,
 * never while parsing, sleeping or sending.
 */
#include "sim_server_int.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/json.h"
#include "centra/log.h"
#include "centra/strutil.h"
#include "sim_journal_int.h"

#define UPLOAD_CAP      (256u * 1024 * 1024) /* POST /_sim/events: recorded queues are large */
#define SOAP_UPLOAD_CAP (64u * 1024 * 1024)  /* a SOAP request */
#define MAX_CONNECTIONS 256u                 /* one thread each */
#define MAX_BUSY        4u                   /* SOAP requests parsed and answered at once */
#define IDLE_TIMEOUT_S  60u                  /* an idle connection is closed after this */
#define STATE_MAX_IDS   100000u              /* acknowledged ids listed by GET /_sim/state */

typedef struct Upload {
    DynBuf body;  /* request body so far */
    bool too_big; /* exceeded its cap */
} Upload;

/* A body sent cut short on purpose. */
typedef struct CutBody {
    char *data;   /* the whole body (owned) */
    size_t len;   /* its length */
    size_t limit; /* bytes sent before the connection is dropped */
} CutBody;

void
sim_options_default(SimOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->path = SIM_DEFAULT_PATH;
    o->prefix = "ns1";
    o->username = SIM_DEFAULT_USER;
    o->password = SIM_DEFAULT_PASSWORD;
    o->seed = 1;
}

/* --- loading ---------------------------------------------------------------------------- */

static ErrKind
load_file(SimServer *srv, const char *path, Error *err)
{
    DynBuf buf;
    char chunk[65536];
    char ebuf[128];
    long n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return err_set(err, ERR_NO_INPUT, "could not open event file \"%s\": %s", path,
                       str_errno(errno, ebuf, sizeof(ebuf)));
    dynbuf_init(&buf, UPLOAD_CAP);
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            dynbuf_free(&buf);
            return err_set(err, ERR_IO, "could not read event file \"%s\": %s", path,
                           str_errno(errno, ebuf, sizeof(ebuf)));
        }
        if (r == 0)
            break;
        if (dynbuf_add(&buf, chunk, (size_t)r) != ERR_OK) {
            close(fd);
            dynbuf_free(&buf);
            return err_set(err, ERR_TOO_BIG, "event file \"%s\" is larger than %u bytes", path,
                           UPLOAD_CAP);
        }
    }
    close(fd);
    /* Recorded ids are kept unless taken (by generated events, or an earlier file). */
    n = sim_store_append_xml(&srv->store, dynbuf_str(&buf), dynbuf_len(&buf), SIM_IDS_FREE, err);
    dynbuf_free(&buf);
    if (n < 0) {
        err_prefix(err, "event file \"%s\"", path);
        return err->kind;
    }
    log_info("loaded %ld event%s from %s", n, n == 1 ? "" : "s", path);
    return ERR_OK;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A file, or every *.xml file of a directory in name order. */
static ErrKind
load_events(SimServer *srv, const char *path, Error *err)
{
    struct stat sb;
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    ErrKind rc = ERR_OK;
    char ebuf[128];

    if (stat(path, &sb) != 0)
        return err_set(err, ERR_NO_INPUT, "could not open \"%s\": %s", path,
                       str_errno(errno, ebuf, sizeof(ebuf)));
    if (!S_ISDIR(sb.st_mode))
        return load_file(srv, path, err);
    d = opendir(path);
    if (d == NULL)
        return err_set(err, ERR_NO_INPUT, "could not open directory \"%s\": %s", path,
                       str_errno(errno, ebuf, sizeof(ebuf)));
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);

        if (len > 4 && strcmp(de->d_name + len - 4, ".xml") == 0) {
            names = xrealloc_array(names, n + 1, sizeof(char *));
            names[n++] = xstrdup(de->d_name);
        }
    }
    closedir(d);
    if (n > 1) /* names is NULL when n is 0 */
        qsort(names, n, sizeof(char *), compare_names);
    for (size_t i = 0; i < n; i++) {
        char full[4096];

        snprintf(full, sizeof(full), "%s/%s", path, names[i]);
        if (rc == ERR_OK)
            rc = load_file(srv, full, err);
        xfree(names[i]);
    }
    xfree(names);
    return rc;
}

static ErrKind
load_data(SimServer *srv, size_t orders, uint64_t seed, Error *err)
{
    sim_store_generate(&srv->store, seed, orders);
    for (size_t i = 0; i < srv->opts.nevent_files; i++) {
        ErrKind rc = load_events(srv, srv->opts.event_files[i], err);

        if (rc != ERR_OK)
            return rc;
    }
    srv->faults.rng = seed;
    for (size_t i = 0; i < srv->opts.nfaults; i++)
        if (sim_faults_add(&srv->faults, &srv->opts.faults[i], err) != ERR_OK)
            return err->kind;
    return ERR_OK;
}

ErrKind
sim_server_reset(SimServer *srv, size_t orders, uint64_t seed, Error *err)
{
    SimJournal *journal = srv->store.journal; /* detached while the start state loads */
    ErrKind rc;

    sim_store_clear(&srv->store);
    sim_faults_clear(&srv->faults);
    rc = load_data(srv, orders, seed, err);
    srv->store.journal = journal;
    if (rc == ERR_OK)
        sim_journal_reset(journal, orders, seed);
    return rc;
}

/* --- responses -------------------------------------------------------------------------- */

/* Send text (copied) with status; allow, if not NULL, goes in an Allow header (for 405). */
static enum MHD_Result
send_text_allow(struct MHD_Connection *conn, unsigned status, const char *type, const char *text,
                size_t len, const char *allow)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    MHD_add_response_header(resp, "Content-Type", type);
    if (allow != NULL)
        MHD_add_response_header(resp, "Allow", allow);
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result
send_text(struct MHD_Connection *conn, unsigned status, const char *type, const char *text,
          size_t len)
{
    return send_text_allow(conn, status, type, text, len, NULL);
}

static enum MHD_Result
send_json(struct MHD_Connection *conn, unsigned status, DynBuf *json)
{
    dynbuf_addc(json, '\n');
    return send_text(conn, status, "application/json", dynbuf_str(json), dynbuf_len(json));
}

/* {"error":message} with status, and an Allow header when allow is not NULL. */
static enum MHD_Result
send_error_allow(struct MHD_Connection *conn, unsigned status, const char *message,
                 const char *allow)
{
    DynBuf b;
    enum MHD_Result ret;

    dynbuf_init(&b, 8192);
    dynbuf_addstr(&b, "{\"error\":");
    if (json_append_string(&b, message) != ERR_OK)
        dynbuf_addstr(&b, "\"?\"");
    dynbuf_addstr(&b, "}\n");
    ret = send_text_allow(conn, status, "application/json", dynbuf_str(&b), dynbuf_len(&b), allow);
    dynbuf_free(&b);
    return ret;
}

static enum MHD_Result
send_error(struct MHD_Connection *conn, unsigned status, const char *message)
{
    return send_error_allow(conn, status, message, NULL);
}

static ssize_t
cut_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    CutBody *c = cls;
    size_t n;

    if (pos >= c->limit)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    n = c->limit - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, c->data + pos, n);
    return (ssize_t)n;
}

static void
cut_free(void *cls)
{
    CutBody *c = cls;

    xfree(c->data);
    xfree(c);
}

/*
 * The huge and endless faults: the start of the real answer (through its
 * <events> tag, or half of it when it has none), then huge: text up to total
 * bytes in all, never closing an element, then the connection is dropped;
 * endless: nothing more until hold_ms passed or the server stops.  Nothing
 * beyond the start is ever held in memory.
 */
typedef struct StreamBody {
    char *head;           /* the start of the answer (owned) */
    size_t head_len;      /* its length */
    long long total;      /* huge: bytes to send in all */
    long hold_ms;         /* endless: how long to hold the connection */
    long held_ms;         /* endless: how long it was held so far */
    bool endless;         /* which of the two */
    const bool *stopping; /* the server is stopping */
} StreamBody;

static ssize_t
stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    StreamBody *s = cls;
    size_t n = 0;

    if (pos < s->head_len) {
        n = s->head_len - (size_t)pos < max ? s->head_len - (size_t)pos : max;
        memcpy(buf, s->head + pos, n);
        return (ssize_t)n;
    }
    if (s->endless) {
        /* Returning 0 asks to be called again: sleep first, or the thread spins. */
        if (s->held_ms >= s->hold_ms || __atomic_load_n(s->stopping, __ATOMIC_RELAXED))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        backoff_sleep_ms(100);
        s->held_ms += 100;
        return 0;
    }
    if ((long long)pos >= s->total)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    for (uint64_t at = pos; n < max && (long long)at < s->total; at++, n++)
        buf[n] = at % 100 == 99 ? '\n' : 'x';
    return (ssize_t)n;
}

static void
stream_free(void *cls)
{
    StreamBody *s = cls;

    xfree(s->head);
    xfree(s);
}

static struct MHD_Response *
stream_response(SimServer *srv, SimReply *r)
{
    StreamBody *s = xcalloc(1, sizeof(StreamBody));
    const char *body = dynbuf_str(&r->body);
    const char *events = strstr(body, "events>");

    s->head_len =
        events != NULL ? (size_t)(events - body) + strlen("events>") : dynbuf_len(&r->body) / 2;
    s->head = xstrndup(body, s->head_len);
    s->endless = r->cut == SIM_CUT_ENDLESS;
    s->total = r->cut_param;
    s->hold_ms = r->cut_param;
    s->stopping = &srv->stopping;
    return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_reader, s,
                                             stream_free);
}

/*
 * --gzip: the body compressed with gzip into *out (xmalloc'ed, *outlen
 * bytes) when the client accepts it (a substring test of Accept-Encoding:
 * "gzip" is what clients send).  Whole answers only: cut and streamed ones
 * stay as they are.
 */
static bool
gzip_body(struct MHD_Connection *conn, const DynBuf *body, char **out, size_t *outlen)
{
    const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
    z_stream z;
    uLong bound;
    int zrc;

    if (accept == NULL || strstr(accept, "gzip") == NULL)
        return false;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    bound = deflateBound(&z, (uLong)dynbuf_len(body));
    *out = xmalloc((size_t)bound);
    z.next_in = (Bytef *)(uintptr_t)dynbuf_str(body);
    z.avail_in = (uInt)dynbuf_len(body);
    z.next_out = (Bytef *)*out;
    z.avail_out = (uInt)bound;
    zrc = deflate(&z, Z_FINISH);
    *outlen = (size_t)z.total_out;
    deflateEnd(&z);
    if (zrc != Z_STREAM_END) {
        xfree(*out);
        *out = NULL;
        return false;
    }
    return true;
}

static enum MHD_Result
send_reply(SimServer *srv, struct MHD_Connection *conn, SimReply *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    bool gzipped = false;

    if (r->cut == SIM_CUT_HUGE || r->cut == SIM_CUT_ENDLESS) {
        resp = stream_response(srv, r);
    } else if (r->cut != SIM_CUT_NONE) {
        CutBody *c = xmalloc(sizeof(CutBody));

        c->len = dynbuf_len(&r->body);
        c->limit = c->len / 2;
        c->data = dynbuf_take(&r->body);
        resp = MHD_create_response_from_callback(r->cut == SIM_CUT_TRUNCATE ? (uint64_t)c->len
                                                                            : MHD_SIZE_UNKNOWN,
                                                 4096, cut_reader, c, cut_free);
    } else {
        char *data = NULL;
        size_t len = 0;

        gzipped = srv->opts.gzip && gzip_body(conn, &r->body, &data, &len);
        if (!gzipped) {
            /* The answer changes hands instead of being copied: events_Get answers are large. */
            len = dynbuf_len(&r->body);
            data = dynbuf_take(&r->body);
        }
        resp = MHD_create_response_from_buffer_with_free_callback(len, data, xfree);
    }
    MHD_add_response_header(resp, "Content-Type", r->content_type);
    if (gzipped) {
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
        (void)__atomic_add_fetch(&srv->gzipped, 1, __ATOMIC_RELAXED);
    }
    if (r->retry_after >= 0) {
        char v[32];

        snprintf(v, sizeof(v), "%ld", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", v);
    }
    {
        char id[32];
        char corr[40];
        static unsigned long counter;
        unsigned long n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);

        /* Centra sends both; clients log them next to their own errors. */
        snprintf(id, sizeof(id), "sim-%lu", n);
        snprintf(corr, sizeof(corr), "sim-corr-%lu", n);
        MHD_add_response_header(resp, "X-Centra-Request-ID", id);
        MHD_add_response_header(resp, "X-Correlation-ID", corr);
    }
    ret = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* --- the admin API ------------------------------------------------------------------------ */

static bool
count_op(const char *key, void *value, void *arg)
{
    DynBuf *b = arg;

    if (dynbuf_len(b) > 0 && dynbuf_str(b)[dynbuf_len(b) - 1] != '{')
        dynbuf_addc(b, ',');
    if (json_append_string(b, key) != ERR_OK)
        return false;
    dynbuf_addf(b, ":%lu", (unsigned long)(uintptr_t)value);
    return true;
}

static enum MHD_Result
admin_state(SimServer *srv, struct MHD_Connection *conn)
{
    SimStore *s = &srv->store;
    size_t first_id = s->ndone > STATE_MAX_IDS ? s->ndone - STATE_MAX_IDS : 0;
    DynBuf b;
    enum MHD_Result ret;

    dynbuf_init(&b, UPLOAD_CAP);
    dynbuf_addf(&b,
                "{\"queue_length\":%zu,\"events_total\":%zu,\"next_event_id\":%lld,"
                "\"last_acknowledged\":%lld,\"acknowledged_count\":%zu,"
                "\"acknowledged_ids_omitted\":%zu,\"acknowledged_ids\":[",
                s->live, s->nevents, s->next_id, s->last_done, s->ndone, first_id);
    /* The latest STATE_MAX_IDS acknowledged ids, so the answer stays small. */
    for (size_t i = first_id; i < s->ndone; i++)
        dynbuf_addf(&b, "%s%lld", i > first_id ? "," : "", s->done_ids[i]);
    dynbuf_addstr(&b, "],\"requests\":{");
    hashmap_each(s->op_counts, count_op, &b);
    dynbuf_addf(&b,
                "},\"generated_orders\":%u,\"seed\":%llu,\"orders_stored\":%zu,"
                "\"objects\":%zu,\"logged_requests\":%zu,\"discarded_items\":%zu,"
                "\"spoiled_events\":%zu,\"gzip_responses\":%zu,\"faults\":",
                s->plan.norders, (unsigned long long)s->seed, hashmap_count(s->orders),
                hashmap_count(s->objects), s->nrequests, s->discarded_items, s->spoiled,
                __atomic_load_n(&srv->gzipped, __ATOMIC_RELAXED));
    sim_faults_json(&srv->faults, &b);
    dynbuf_addc(&b, '}');
    ret = send_json(conn, 200, &b);
    dynbuf_free(&b);
    return ret;
}

static enum MHD_Result
admin_requests(SimServer *srv, struct MHD_Connection *conn)
{
    const char *op = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "op");
    const char *since_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
    long long since = 0;
    bool first = true;
    DynBuf b;
    enum MHD_Result ret;

    if (since_s != NULL && !str_to_ll(since_s, &since))
        return send_error(conn, 400, "since must be a request sequence number");
    dynbuf_init(&b, UPLOAD_CAP);
    dynbuf_addc(&b, '[');
    for (size_t i = 0; i < srv->store.nrequests; i++) {
        const SimRequest *r = sim_store_request(&srv->store, i);

        size_t mark = dynbuf_len(&b);

        if (r->seq <= since || (op != NULL && strcmp(op, r->op) != 0))
            continue;
        /* An entry that does not fit ends the list, which stays valid JSON. */
        if (dynbuf_addf(&b, "%s{\"seq\":%lld,\"op\":", first ? "" : ",", r->seq) != ERR_OK ||
            json_append_string(&b, r->op) != ERR_OK || dynbuf_addstr(&b, ",\"time\":") != ERR_OK ||
            json_append_string(&b, r->time) != ERR_OK ||
            dynbuf_addstr(&b, ",\"body\":") != ERR_OK ||
            json_append_string(&b, r->body) != ERR_OK || dynbuf_addc(&b, '}') != ERR_OK ||
            dynbuf_len(&b) > UPLOAD_CAP - 2) {
            dynbuf_truncate(&b, mark);
            break;
        }
        first = false;
    }
    dynbuf_addc(&b, ']');
    ret = send_json(conn, 200, &b);
    dynbuf_free(&b);
    return ret;
}

static enum MHD_Result
admin_events(SimServer *srv, struct MHD_Connection *conn, const Upload *up)
{
    const char *ids = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "ids");
    SimIdMode mode = SIM_IDS_KEEP;
    Error err;
    DynBuf b;
    long n;
    enum MHD_Result ret;

    if (ids != NULL && strcmp(ids, "free") == 0)
        mode = SIM_IDS_FREE;
    else if (ids != NULL && strcmp(ids, "new") == 0)
        mode = SIM_IDS_NEW;
    else if (ids != NULL && strcmp(ids, "keep") != 0)
        return send_error(conn, 400, "ids must be keep (the default), free or new");
    n = sim_store_append_xml(&srv->store, dynbuf_str(&up->body), dynbuf_len(&up->body), mode, &err);
    if (n < 0)
        return send_error(conn, 400, err.message);
    sim_journal_events(srv->store.journal, mode, dynbuf_str(&up->body), dynbuf_len(&up->body));
    dynbuf_init(&b, 256);
    dynbuf_addf(&b, "{\"appended\":%ld,\"queue_length\":%zu,\"next_event_id\":%lld}", n,
                srv->store.live, srv->store.next_id);
    ret = send_json(conn, 200, &b);
    dynbuf_free(&b);
    return ret;
}

static enum MHD_Result
admin_faults(SimServer *srv, struct MHD_Connection *conn, const char *method)
{
    DynBuf b;
    enum MHD_Result ret;

    if (strcmp(method, "POST") == 0) {
        const char *clear = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "clear");
        const char *kind = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "kind");
        static const char *const keys[] = {"count", "rate", "ms", "retry_after", "bytes", "op"};
        char spec[512];
        SimFault f;
        Error err;

        if (kind == NULL && clear == NULL)
            return send_error(conn, 400, "POST /_sim/faults needs kind=... or clear=1");
        if (kind != NULL) {
            snprintf(spec, sizeof(spec), "%s", kind);
            for (size_t i = 0; i < CB_LENGTH(keys); i++) {
                const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, keys[i]);
                size_t used = strlen(spec);

                if (v != NULL)
                    snprintf(spec + used, sizeof(spec) - used, ":%s=%s", keys[i], v);
            }
            /* Checked before anything changes: a refused request leaves the list as it was. */
            if (sim_fault_parse(spec, &f, &err) != ERR_OK)
                return send_error(conn, 400, err.message);
        }
        if (clear != NULL)
            sim_faults_clear(&srv->faults);
        /* A full list refuses the fault and stays as it was (it cannot be full after clear). */
        if (kind != NULL && sim_faults_add(&srv->faults, &f, &err) != ERR_OK)
            return send_error(conn, 400, err.message);
    }
    dynbuf_init(&b, 65536);
    sim_faults_json(&srv->faults, &b);
    ret = send_json(conn, 200, &b);
    dynbuf_free(&b);
    return ret;
}

static enum MHD_Result
admin_reset(SimServer *srv, struct MHD_Connection *conn)
{
    const char *orders_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "orders");
    const char *seed_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "seed");
    long long orders = (long long)srv->opts.orders;
    long long seed = (long long)srv->opts.seed;
    Error err;
    DynBuf b;
    enum MHD_Result ret;

    if (orders_s != NULL &&
        (!str_to_ll(orders_s, &orders) || orders < 0 || orders > SIM_MAX_ORDERS)) {
        char msg[128];

        snprintf(msg, sizeof(msg), "invalid orders \"%.40s\": a number from 0 to %d", orders_s,
                 SIM_MAX_ORDERS);
        return send_error(conn, 400, msg);
    }
    if (seed_s != NULL && !str_to_ll(seed_s, &seed)) {
        char msg[128];

        snprintf(msg, sizeof(msg), "invalid seed \"%.40s\": a whole number", seed_s);
        return send_error(conn, 400, msg);
    }
    if (sim_server_reset(srv, (size_t)orders, (uint64_t)seed, &err) != ERR_OK)
        return send_error(conn, 500, err.message);
    dynbuf_init(&b, 256);
    dynbuf_addf(&b, "{\"queue_length\":%zu,\"next_event_id\":%lld}", srv->store.live,
                srv->store.next_id);
    ret = send_json(conn, 200, &b);
    dynbuf_free(&b);
    return ret;
}

static enum MHD_Result
route_admin(SimServer *srv, struct MHD_Connection *conn, const char *url, const char *method,
            const Upload *up)
{
    bool get = strcmp(method, "GET") == 0;
    bool post = strcmp(method, "POST") == 0;

    static const struct {
        const char *url;   /* endpoint */
        const char *allow; /* its methods */
    } endpoints[] = {{"/_sim/state", "GET"},
                     {"/_sim/requests", "GET"},
                     {"/_sim/events", "POST"},
                     {"/_sim/faults", "GET, POST"},
                     {"/_sim/reset", "POST"}};

    if (get && strcmp(url, "/_sim/state") == 0)
        return admin_state(srv, conn);
    if (get && strcmp(url, "/_sim/requests") == 0)
        return admin_requests(srv, conn);
    if (post && strcmp(url, "/_sim/events") == 0)
        return admin_events(srv, conn, up);
    if ((get || post) && strcmp(url, "/_sim/faults") == 0)
        return admin_faults(srv, conn, method);
    if (post && strcmp(url, "/_sim/reset") == 0)
        return admin_reset(srv, conn);
    for (size_t i = 0; i < CB_LENGTH(endpoints); i++) {
        if (strcmp(url, endpoints[i].url) == 0) {
            char msg[128];

            snprintf(msg, sizeof(msg), "%s takes %s", url, endpoints[i].allow);
            return send_error_allow(conn, 405, msg, endpoints[i].allow);
        }
    }
    return send_error(conn, 404, "no such admin endpoint; see docs/simulator.md");
}

/* --- the request handler ---------------------------------------------------------------- */

/* --discard-updates: an update request answered unread; false for any other request. */
static bool
answer_discarded(SimServer *srv, const Upload *up, SimReply *reply)
{
    bool done;

    pthread_mutex_lock(&srv->lock);
    done = sim_soap_discard(&srv->store, &srv->faults, dynbuf_str(&up->body), dynbuf_len(&up->body),
                            reply);
    pthread_mutex_unlock(&srv->lock);
    return done;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    SimServer *srv = cls;
    Upload *up = *con_cls;
    SimReply reply;
    XmlNode *root;
    Error err;
    enum MHD_Result ret;

    (void)version;
    if (up == NULL) {
        up = xcalloc(1, sizeof(Upload));
        dynbuf_init(&up->body, str_starts_with(url, "/_sim/") ? UPLOAD_CAP : SOAP_UPLOAD_CAP);
        *con_cls = up;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!up->too_big && dynbuf_add(&up->body, upload_data, *upload_data_size) != ERR_OK)
            up->too_big = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (up->too_big)
        return send_text(conn, 413, "text/plain", "Request body too large\n", 23);
    if (str_starts_with(url, "/_sim/")) {
        pthread_mutex_lock(&srv->lock);
        ret = route_admin(srv, conn, url, method, up);
        pthread_mutex_unlock(&srv->lock);
        return ret;
    }
    if (strcmp(url, srv->opts.path) != 0)
        return send_text(conn, 404, "text/plain", "Not Found\n", 10);
    if (strcmp(method, "POST") != 0) {
        static const char text[] = "SOAP endpoint: send requests by POST\n";

        return send_text_allow(conn, 405, "text/plain", text, sizeof(text) - 1, "POST");
    }
    sim_reply_init(&reply);
    if (srv->opts.discard_updates && answer_discarded(srv, up, &reply))
        goto send;
    /*
     * At most MAX_BUSY requests are parsed and answered at once: a parsed
     * request may take a hundred times its size.  Not held while sleeping or
     * sending.
     */
    while (sem_wait(&srv->busy) != 0)
        ;
    root = sim_soap_parse(dynbuf_str(&up->body), dynbuf_len(&up->body), &err);
    pthread_mutex_lock(&srv->lock);
    sim_soap_handle(&srv->store, &srv->faults, &srv->auth, root, &err, dynbuf_str(&up->body),
                    dynbuf_len(&up->body), &reply);
    pthread_mutex_unlock(&srv->lock);
    xml_free(root);
    sem_post(&srv->busy);
send:
    log_debug("%s %s -> %d (%zu bytes)", method, url, reply.status, dynbuf_len(&reply.body));
    if (reply.delay_ms > 0)
        backoff_sleep_ms(reply.delay_ms);
    ret = send_reply(srv, conn, &reply);
    sim_reply_free(&reply);
    return ret;
}

/* libmicrohttpd's own messages (e.g. a connection dropped on purpose) go to the log. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[1024];

    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    log_debug("libmicrohttpd: %s", buf);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
    Upload *up = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (up == NULL)
        return;
    dynbuf_free(&up->body);
    xfree(up);
    *con_cls = NULL;
}

/* --- start and stop --------------------------------------------------------------------------- */

/* The contents of a PEM file (at most 1 MB) into *out (caller frees with xfree). */
static ErrKind
read_pem(const char *path, const char *what, char **out, Error *err)
{
    FILE *f = fopen(path, "rb");
    DynBuf b;
    char buf[4096];
    size_t got;
    char ebuf[128];

    if (f == NULL)
        return err_set(err, ERR_NO_INPUT, "could not open %s \"%s\": %s", what, path,
                       str_errno(errno, ebuf, sizeof(ebuf)));
    dynbuf_init(&b, 1024 * 1024);
    while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (dynbuf_add(&b, buf, got) != ERR_OK) {
            fclose(f);
            dynbuf_free(&b);
            return err_set(err, ERR_DATA, "%s \"%s\" is larger than 1 MB", what, path);
        }
    }
    fclose(f);
    if (strstr(dynbuf_str(&b), "-----BEGIN ") == NULL) {
        dynbuf_free(&b);
        return err_set(err, ERR_DATA, "%s \"%s\" is not a PEM file", what, path);
    }
    *out = dynbuf_take(&b);
    return ERR_OK;
}

/* --tls-cert and --tls-key read into srv (nothing without them). */
static ErrKind
load_tls(SimServer *srv, const SimOptions *opts, Error *err)
{
    ErrKind rc;

    if (opts->tls_cert == NULL)
        return ERR_OK;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return err_set(err, ERR_CONFIG, "this libmicrohttpd was built without TLS support");
    rc = read_pem(opts->tls_cert, "certificate", &srv->tls_cert_pem, err);
    if (rc == ERR_OK)
        rc = read_pem(opts->tls_key, "private key", &srv->tls_key_pem, err);
    return rc;
}

static void
free_tls(SimServer *srv)
{
    xfree(srv->tls_cert_pem);
    xfree(srv->tls_key_pem);
    srv->tls_cert_pem = NULL;
    srv->tls_key_pem = NULL;
}

ErrKind
sim_server_start(SimServer *srv, const SimOptions *opts, Error *err)
{
    SimStyle style;
    struct sockaddr_in addr;
    struct sockaddr_in bound;
    socklen_t bound_len = sizeof(bound);
    int fd;
    int one = 1;
    ErrKind rc;
    struct MHD_OptionItem tls_opts[3] = {{0}};

    memset(srv, 0, sizeof(*srv));
    pthread_mutex_init(&srv->lock, NULL);
    sem_init(&srv->busy, 0, MAX_BUSY);
    srv->opts = *opts;
    srv->auth.username = opts->username;
    srv->auth.password = opts->password;
    style.ns = opts->navision ? SIM_NS_NAVISION : SIM_NS_CENTRA;
    style.prefix = opts->prefix;
    style.ok_responses = opts->ok_responses;
    sim_store_init(&srv->store, &style);
    rc = load_data(srv, opts->orders, opts->seed, err);
    if (rc == ERR_OK)
        rc = load_tls(srv, opts, err);
    if (rc == ERR_OK && opts->state_file != NULL)
        rc = sim_journal_open(srv, opts->state_file, err);
    if (rc != ERR_OK) {
        free_tls(srv);
        sim_store_free(&srv->store);
        pthread_mutex_destroy(&srv->lock);
        sem_destroy(&srv->busy);
        return rc;
    }
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opts->port);
    if (inet_pton(AF_INET, opts->host, &addr.sin_addr) != 1) {
        free_tls(srv);
        sim_store_free(&srv->store);
        pthread_mutex_destroy(&srv->lock);
        sem_destroy(&srv->busy);
        return err_set(err, ERR_USAGE, "invalid listen address \"%s\" (an IPv4 address)",
                       opts->host);
    }
    /* Bound here rather than by libmicrohttpd, to report why binding failed. */
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &bound_len) != 0) {
        char ebuf[128];
        int saved = errno;

        if (fd >= 0)
            close(fd);
        free_tls(srv);
        sim_store_free(&srv->store);
        pthread_mutex_destroy(&srv->lock);
        sem_destroy(&srv->busy);
        err_set(err, ERR_IO, "could not listen on %s:%u: %s", opts->host, opts->port,
                str_errno(saved, ebuf, sizeof(ebuf)));
        if (saved == EADDRINUSE)
            err_hint(err, "Another program uses that port: choose another, or 0 for any free one.");
        return ERR_IO;
    }
    /* With --tls-cert: HTTPS from the PEM text read above. */
    tls_opts[0].option = srv->tls_cert_pem != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END;
    tls_opts[0].ptr_value = srv->tls_cert_pem;
    tls_opts[1].option = MHD_OPTION_HTTPS_MEM_KEY;
    tls_opts[1].ptr_value = srv->tls_key_pem;
    tls_opts[2].option = MHD_OPTION_END;
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
            (srv->tls_cert_pem != NULL ? MHD_USE_TLS : 0),
        0, NULL, NULL, handle, srv, /* the logger first, or earlier messages bypass it */
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        close(fd);
        free_tls(srv);
        sim_store_free(&srv->store);
        pthread_mutex_destroy(&srv->lock);
        sem_destroy(&srv->busy);
        return err_set(err, ERR_INTERNAL, "could not start the HTTP server on %s:%u", opts->host,
                       opts->port);
    }
    srv->port = ntohs(bound.sin_port);
    snprintf(srv->url, sizeof(srv->url), "%s://%s:%u%s",
             srv->tls_cert_pem != NULL ? "https" : "http", opts->host, srv->port, opts->path);
    return ERR_OK;
}

void
sim_server_stop(SimServer *srv)
{
    __atomic_store_n(&srv->stopping, true, __ATOMIC_RELAXED);
    if (srv->daemon != NULL)
        MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    free_tls(srv);
    sim_journal_close(srv->store.journal);
    srv->store.journal = NULL;
    sim_store_free(&srv->store);
    pthread_mutex_destroy(&srv->lock);
    sem_destroy(&srv->busy);
}
