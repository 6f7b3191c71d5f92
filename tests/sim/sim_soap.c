/*
 * tests/sim/sim_soap.c
 *     SOAP 1.1 requests to centra-sim (see sim_soap_int.h).
 *
 * Requests are matched by local name, so the guide's style (default xmlns,
 * unprefixed children) and the reference's (ns1: everywhere) both work; the
 * operation element must be in the flavor's namespace.  Answers are written
 * in the configured style: the guide's ns1: prefix, another prefix, or a
 * default namespace on the operation element.
 */
#include "sim_soap_int.h"

#include <stdio.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/log.h"
#include "centra/strutil.h"
#include "centra/xmltree.h"
#include "centra/xmlwriter.h"
#include "sim_journal_int.h"
#include "sim_update_int.h"

#define SOAP_ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define REPLY_CAP   (512u * 1024 * 1024)

static const char *const event_types[] = {"all",      "account",      "customer",    "invoice",
                                          "market",   "order",        "paymentterm", "pricelist",
                                          "salesrep", "shippingterm", "size",        "warehouse"};

void
sim_reply_init(SimReply *r)
{
    memset(r, 0, sizeof(*r));
    r->status = 200;
    r->content_type = "text/xml; charset=utf-8";
    r->retry_after = -1;
    dynbuf_init(&r->body, REPLY_CAP);
}

void
sim_reply_free(SimReply *r)
{
    dynbuf_free(&r->body);
}

/* --- envelopes ------------------------------------------------------------------------ */

static void
envelope_begin(const SimStore *s, DynBuf *b)
{
    dynbuf_addstr(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    dynbuf_addstr(b, "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" SOAP_ENV_NS "\"");
    if (s->style.prefix != NULL)
        dynbuf_addf(b, " xmlns:%s=\"%s\"", s->style.prefix, s->style.ns);
    dynbuf_addstr(b, ">\n  <SOAP-ENV:Body>\n");
}

static void
envelope_end(DynBuf *b)
{
    dynbuf_addstr(b, "  </SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n");
}

/* Open the answer's operation element at depth 2 (declaring the default namespace if so styled). */
static void
op_open(const SimStore *s, XmlWriter *w, DynBuf *b, const char *name)
{
    xw_init(w, b, s->style.prefix, true, 2);
    if (s->style.prefix == NULL)
        xw_open_attr(w, name, "xmlns", s->style.ns);
    else
        xw_open(w, name);
}

static void
fault(SimReply *r, int status, const char *code, const char *text)
{
    XmlWriter w;

    r->status = status;
    dynbuf_reset(&r->body);
    dynbuf_addstr(&r->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    dynbuf_addstr(&r->body, "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" SOAP_ENV_NS "\">\n"
                            "  <SOAP-ENV:Body>\n    <SOAP-ENV:Fault>\n");
    xw_init(&w, &r->body, NULL, true, 3);
    xw_leaf(&w, "faultcode", code);
    xw_leaf(&w, "faultstring", text);
    dynbuf_addstr(&r->body, "    </SOAP-ENV:Fault>\n");
    envelope_end(&r->body);
}

/* --- events ---------------------------------------------------------------------------- */

/* t without leading and trailing XML whitespace, copied into buf (cut at size - 1 bytes). */
static const char *
trimmed(const char *t, char *buf, size_t size)
{
    size_t len;

    if (t == NULL)
        return NULL;
    t += strspn(t, " \t\r\n");
    len = strlen(t);
    while (len > 0 && strchr(" \t\r\n", t[len - 1]) != NULL)
        len--;
    if (len >= size)
        len = size - 1;
    memcpy(buf, t, len);
    buf[len] = '\0';
    return buf;
}

static void
handle_get(SimStore *s, SimFaults *f, const char *op, const XmlNode *opnode, SimReply *r)
{
    char type_buf[64];
    const char *type = trimmed(xml_child_text(opnode, "type"), type_buf, sizeof(type_buf));
    const char **markets = NULL;
    char **market_bufs = NULL;
    size_t nmarkets = 0;
    SimEvent *batch[SIM_BATCH + 1];
    size_t n;
    bool known = false;
    XmlWriter w;
    long param;

    if (type == NULL || type[0] == '\0')
        type = "all";
    for (size_t i = 0; i < CB_LENGTH(event_types); i++)
        known |= strcmp(type, event_types[i]) == 0;
    if (!known) {
        char msg[256];

        snprintf(msg, sizeof(msg), "Unknown event type: %s", type);
        fault(r, 500, "SOAP-ENV:Client", msg);
        return;
    }
    if (strcmp(op, "events_GetByMarkets") == 0) {
        const XmlNode *ms = xml_child(opnode, "markets");
        size_t count = xml_count(ms, "market");

        markets = xcalloc(count + 1, sizeof(char *));
        market_bufs = xcalloc(count + 1, sizeof(char *));
        for (XmlNode *m = xml_child(ms, "market"); m != NULL; m = xml_next(ms, "market", m)) {
            const char *id = xml_child_text(m, "id");

            if (id == NULL)
                continue;
            market_bufs[nmarkets] = xmalloc(strlen(id) + 1);
            markets[nmarkets] = trimmed(id, market_bufs[nmarkets], strlen(id) + 1);
            nmarkets++;
        }
        if (nmarkets == 0) {
            fault(r, 500, "SOAP-ENV:Client", "events_GetByMarkets needs at least one market id");
            xfree(markets);
            xfree(market_bufs);
            return;
        }
    }
    n = sim_store_select(s, type, markets, nmarkets, batch, SIM_BATCH);

    /* Faults that spoil an event: it stays spoiled until acknowledged. */
    for (int k = 0; k < 2; k++) {
        SimFaultKind kind = k == 0 ? FAULT_MALFORMED : FAULT_CTRLCHAR;
        SimEvent *victim = NULL;

        /* An order event from the middle of the batch, not yet spoiled. */
        for (size_t i = n / 2; n > 0 && i < n + n / 2 && victim == NULL; i++) {
            SimEvent *e = batch[i % n];

            if (e->poison == SIM_POISON_NONE && strcmp(sim_store_type(s, e), "order") == 0)
                victim = e;
        }
        if (victim != NULL && sim_faults_fire(f, kind, op, NULL)) {
            victim->poison = k == 0 ? SIM_POISON_MALFORMED : SIM_POISON_CTRLCHAR;
            s->spoiled++;
            sim_journal_poison(s->journal, victim->id, victim->poison);
        }
    }
    /*
     * The last acknowledged event comes again, as after a lost events_Done
     * answer: in its place by id, the batch still at most SIM_BATCH.
     */
    if (s->last_done > 0) {
        SimEvent *again = sim_store_find(s, s->last_done);

        if (again != NULL && sim_store_matches(s, again, type, markets, nmarkets) &&
            sim_faults_fire(f, FAULT_REPEAT, op, &param)) {
            size_t at = 0;

            while (at < n && batch[at]->id < again->id)
                at++;
            memmove(&batch[at + 1], &batch[at], (n - at) * sizeof(SimEvent *));
            batch[at] = again;
            if (n < SIM_BATCH)
                n++;
        }
    }
    /* The first event twice in one answer (a Centra bug), the batch still at most SIM_BATCH. */
    if (n > 0 && sim_faults_fire(f, FAULT_TWICE, op, NULL)) {
        size_t keep = n < SIM_BATCH ? n : SIM_BATCH - 1;

        memmove(&batch[1], &batch[0], keep * sizeof(SimEvent *));
        n = keep + 1;
    }
    for (size_t i = 0; i < nmarkets; i++)
        xfree(market_bufs[i]);
    xfree(market_bufs);
    xfree(markets);

    envelope_begin(s, &r->body);
    op_open(s, &w, &r->body, "events_Get");
    if (n == 0) {
        xw_leaf(&w, "events", NULL);
    } else {
        xw_open(&w, "events");
        for (size_t i = 0; i < n; i++)
            sim_store_write_event(s, &w, batch[i]);
        xw_close(&w, "events");
    }
    xw_close(&w, "events_Get");
    envelope_end(&r->body);
    if (xw_status(&w) != ERR_OK)
        fault(r, 500, "SOAP-ENV:Server", xw_error(&w));
}

static void
result_body(SimStore *s, SimReply *r, const SimResult *res, const char *ok_name)
{
    XmlWriter w;

    envelope_begin(s, &r->body);
    if (s->style.ok_responses && ok_name != NULL) {
        if (res->nerrors > 0 && !res->accepted) {
            /* That shape cannot carry errors: report them as a fault. */
            DynBuf msg;

            dynbuf_init(&msg, 64 * 1024);
            for (size_t i = 0; i < res->nerrors; i++)
                dynbuf_addf(&msg, "%s%s", i > 0 ? "; " : "", res->errors[i]);
            fault(r, 500, "SOAP-ENV:Client", dynbuf_str(&msg));
            dynbuf_free(&msg);
            return;
        }
        dynbuf_addf(&r->body, "    <%s>OK</%s>\n", ok_name, ok_name);
        envelope_end(&r->body);
        return;
    }
    op_open(s, &w, &r->body, "result");
    xw_leaf(&w, "success", res->nerrors == 0 || res->accepted ? "true" : "false");
    if (res->nerrors == 0) {
        xw_leaf(&w, "errors", NULL);
    } else {
        xw_open(&w, "errors");
        for (size_t i = 0; i < res->nerrors; i++)
            xw_leaf(&w, "message", res->errors[i]);
        xw_close(&w, "errors");
    }
    if (res->nnotices == 0) {
        xw_leaf(&w, "notices", NULL);
    } else {
        xw_open(&w, "notices");
        for (size_t i = 0; i < res->nnotices; i++)
            xw_leaf(&w, "message", res->notices[i]);
        xw_close(&w, "notices");
    }
    xw_close(&w, "result");
    envelope_end(&r->body);
}

/* Append the ids of the <event> children of n to *ids (grown as needed). */
static void
collect_ids(const XmlNode *n, long long **ids, size_t *count, size_t *alloc)
{
    for (XmlNode *e = xml_child(n, "event"); e != NULL; e = xml_next(n, "event", e)) {
        long long id;
        char buf[32];
        const char *t = trimmed(e->nkids > 0 ? xml_child_text(e, "id") : e->text, buf, sizeof(buf));

        if (t == NULL || !str_to_ll(t, &id))
            continue;
        if (*count == *alloc) {
            *alloc = *alloc == 0 ? 256 : *alloc * 2;
            *ids = xrealloc_array(*ids, *alloc, sizeof(long long));
        }
        (*ids)[(*count)++] = id;
    }
}

static void
handle_done(SimStore *s, SimFaults *f, const XmlNode *opnode, SimReply *r)
{
    long long *ids = NULL;
    size_t n = 0;
    size_t alloc = 0;
    SimResult res = {0};
    long param;

    /* <event>ID</event> repeated under the operation; a <events> wrapper is accepted too. */
    collect_ids(opnode, &ids, &n, &alloc);
    collect_ids(xml_child(opnode, "events"), &ids, &n, &alloc);
    sim_store_done(s, ids, n);
    xfree(ids);
    if (sim_faults_fire(f, FAULT_SLOW_DONE, "events_Done", &param))
        r->delay_ms += param;
    result_body(s, r, &res, "eventsDoneResponse");
}

static void
handle_update(SimStore *s, SimFaults *f, const char *op, const XmlNode *root, const XmlNode *opnode,
              const char *body, size_t len, SimReply *r)
{
    SimResult res = {0};
    const char *ok_name = NULL;

    (void)sim_update_known(op, &ok_name);
    sim_store_log_request(s, op, root, body, len);
    if (sim_faults_fire(f, FAULT_REFUSE, op, NULL)) {
        sim_result_error(&res, "%s refused (simulated)", op);
        sim_result_notice(&res, "Nothing was applied");
    } else {
        sim_update_apply(s, op, opnode, &res);
        if (res.nerrors == 0 && sim_faults_fire(f, FAULT_ACCEPTED_ERRORS, op, NULL)) {
            sim_result_error(&res, "%s: simulated error in an accepted request", op);
            res.accepted = true;
        }
    }
    result_body(s, r, &res, ok_name);
    sim_result_free(&res);
}

/* --- dispatch ---------------------------------------------------------------------------- */

/* HTTP-level faults; true when one answered already. */
static bool
transport_faults(SimFaults *f, const char *op, SimReply *r)
{
    long param;

    if (sim_faults_fire(f, FAULT_DELAY, op, &param))
        r->delay_ms += param;
    if (sim_faults_fire(f, FAULT_HTTP_503, op, NULL)) {
        r->status = 503;
        r->content_type = "text/html";
        dynbuf_addstr(&r->body, "<html><body><h1>503 Service Unavailable</h1>"
                                "<p>Maintenance.</p></body></html>\n");
        return true;
    }
    if (sim_faults_fire(f, FAULT_HTTP_500, op, NULL)) {
        r->status = 500;
        r->content_type = "text/html";
        dynbuf_addstr(&r->body, "<html><body><h1>500 Internal Server Error</h1></body></html>\n");
        return true;
    }
    if (sim_faults_fire(f, FAULT_HTTP_429, op, &param)) {
        r->status = 429;
        r->retry_after = param;
        r->content_type = "text/plain";
        dynbuf_addstr(&r->body, "Too Many Requests\n");
        return true;
    }
    if (sim_faults_fire(f, FAULT_SOAP_FAULT, op, NULL)) {
        fault(r, 500, "SOAP-ENV:Server", "Internal error, please try again later");
        return true;
    }
    if (sim_faults_fire(f, FAULT_HTML_200, op, NULL)) {
        r->status = 200;
        r->content_type = "text/html; charset=utf-8";
        dynbuf_addstr(&r->body, "<!DOCTYPE html>\n<html><head><title>Maintenance</title></head>"
                                "<body><h1>Back soon</h1><p>Scheduled maintenance.</p>"
                                "</body></html>\n");
        return true;
    }
    return false;
}

/* The operation element: first element child of Body. */
static const XmlNode *
operation_of(const XmlNode *root)
{
    const XmlNode *body;

    if (root == NULL || strcmp(root->name, "Envelope") != 0)
        return NULL;
    body = xml_child(root, "Body");
    return body != NULL && body->nkids > 0 ? body->kids[0] : NULL;
}

XmlNode *
sim_soap_parse(const char *body, size_t len, Error *err)
{
    XmlNode *root = NULL;

    return xml_parse(body, len, &root, err) == ERR_OK ? root : NULL;
}

void
sim_soap_handle(SimStore *s, SimFaults *f, const SimAuth *auth, const XmlNode *root,
                const Error *parse_err, const char *body, size_t len, SimReply *r)
{
    const XmlNode *opnode;
    const char *op;
    const char *user;
    const char *pass;
    char msg[ERR_MESSAGE_MAX + 64];
    long param;

    if (root == NULL) {
        sim_store_count(s, "malformed");
        snprintf(msg, sizeof(msg), "Malformed request: %s", parse_err->message);
        fault(r, 500, "SOAP-ENV:Client", msg);
        return;
    }
    opnode = operation_of(root);
    if (opnode == NULL) {
        sim_store_count(s, "malformed");
        fault(r, 500, "SOAP-ENV:Client", "The request is not a SOAP 1.1 envelope with a body");
        return;
    }
    op = opnode->name;
    if (strcmp(op, "events_GetRequest") == 0)
        op = "events_Get";
    /* Counted by name only when known: a client must not grow the counters at will. */
    sim_store_count(s, sim_operation_known(op) ? op : "unknown_operation");
    if (transport_faults(f, op, r))
        return;
    /*
     * An operation in another namespace is refused (a navision client on a soap
     * endpoint); one without a namespace, as in the guide's refund sample, is
     * dispatched by name.
     */
    if (opnode->ns != NULL && strcmp(opnode->ns, s->style.ns) != 0) {
        snprintf(msg, sizeof(msg), "Unknown operation {%s}%s: this endpoint speaks %s", opnode->ns,
                 opnode->name, s->style.ns);
        fault(r, 500, "SOAP-ENV:Client", msg);
        return;
    }
    user = xml_path_text(opnode, "login/username");
    pass = xml_path_text(opnode, "login/password");
    if (user == NULL || pass == NULL || strcmp(user, auth->username) != 0 ||
        strcmp(pass, auth->password) != 0) {
        sim_store_count(s, "login_failed");
        fault(r, 500, "SOAP-ENV:Client", "Login failed: wrong username or password");
        return;
    }
    if (strcmp(op, "events_Get") == 0 || strcmp(op, "events_GetByMarkets") == 0) {
        handle_get(s, f, op, opnode, r);
    } else if (strcmp(op, "events_Done") == 0) {
        handle_done(s, f, opnode, r);
    } else if (sim_update_known(op, NULL)) {
        handle_update(s, f, op, root, opnode, body, len, r);
    } else {
        snprintf(msg, sizeof(msg), "Unknown operation: %s", opnode->name);
        fault(r, 500, "SOAP-ENV:Client", msg);
        return;
    }
    if (r->status == 200) {
        if (sim_faults_fire(f, FAULT_DROP, op, &param))
            r->cut = SIM_CUT_DROP;
        else if (sim_faults_fire(f, FAULT_TRUNCATE, op, &param))
            r->cut = SIM_CUT_TRUNCATE;
        else if (strncmp(op, "events_Get", 10) == 0 && sim_faults_fire(f, FAULT_HUGE, op, &param))
            r->cut = SIM_CUT_HUGE;
        else if (sim_faults_fire(f, FAULT_ENDLESS, op, &param))
            r->cut = SIM_CUT_ENDLESS;
        if (r->cut == SIM_CUT_HUGE || r->cut == SIM_CUT_ENDLESS)
            r->cut_param = param;
    }
}

/* --- --discard-updates --------------------------------------------------------------------- */

/* The local name of the tag whose name starts at p (after '<'): its start, length in *n. */
static const char *
tag_local_name(const char *p, const char *end, size_t *n)
{
    const char *start = p;

    for (; p < end && strchr(" \t\r\n/>", *p) == NULL; p++)
        if (*p == ':')
            start = p + 1;
    *n = (size_t)(p - start);
    return start;
}

bool
sim_soap_discard(SimStore *s, SimFaults *f, const char *body, size_t len, SimReply *r)
{
    const char *end = body + len;
    const char *item = NULL;
    const char *ok_name = NULL;
    char op[64] = "";
    int depth = 0;
    int op_depth = -1;
    size_t items = 0;
    SimResult res = {0};
    long param;

    for (const char *p = memchr(body, '<', len); p != NULL && p + 1 < end;
         p = memchr(p, '<', (size_t)(end - p))) {
        const char *name;
        const char *gt;
        size_t n;

        p++;
        if (*p == '?' || *p == '!')
            continue;
        if (*p == '/') {
            depth--;
            continue;
        }
        name = tag_local_name(p, end, &n);
        gt = memchr(p, '>', (size_t)(end - p));
        if (gt == NULL)
            break;
        if (op_depth < 0 && depth == 2) {
            /* The first element below Body is the operation: an update, or not ours. */
            if (n >= sizeof(op))
                return false;
            memcpy(op, name, n);
            op[n] = '\0';
            if (!sim_update_known(op, &ok_name))
                return false;
            item = sim_update_item(op);
            op_depth = depth;
        } else if (op_depth >= 0 && depth == op_depth + 2 && strlen(item) == n &&
                   memcmp(name, item, n) == 0) {
            items++;
        }
        if (gt[-1] != '/')
            depth++;
        p = gt;
    }
    if (op_depth < 0)
        return false;
    sim_store_count(s, op);
    if (transport_faults(f, op, r))
        return true;
    s->discarded_items += items;
    result_body(s, r, &res, ok_name);
    if (sim_faults_fire(f, FAULT_DROP, op, &param))
        r->cut = SIM_CUT_DROP;
    else if (sim_faults_fire(f, FAULT_TRUNCATE, op, &param))
        r->cut = SIM_CUT_TRUNCATE;
    return true;
}
