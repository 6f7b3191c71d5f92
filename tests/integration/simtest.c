/*
 * tests/integration/simtest.c
 *     HTTP and SOAP helpers for centra-sim tests (see simtest.h).
 */
#include "simtest.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "centra/alloc.h"
#include "centra/strutil.h"

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
    HttpResult *r = arg;

    if (dynbuf_add(&r->body, data, size * n) != ERR_OK)
        return 0;
    return size * n;
}

static void
header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    size_t v;

    if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return;
    v = nlen + 1;
    while (v < len && line[v] == ' ')
        v++;
    snprintf(out, size, "%.*s", (int)strcspn(line + v, "\r\n"), line + v);
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
    HttpResult *r = arg;

    header_value(data, size * n, "Retry-After", r->retry_after, sizeof(r->retry_after));
    header_value(data, size * n, "X-Centra-Request-ID", r->request_id, sizeof(r->request_id));
    header_value(data, size * n, "X-Correlation-ID", r->correlation_id, sizeof(r->correlation_id));
    return size * n;
}

void
http_request(const char *url, const char *body, HttpResult *out)
{
    http_request_action(url, body, "\"http://www.centra.com/webservices/Events_Get\"", out);
}

void
http_request_action(const char *url, const char *body, const char *soap_action, HttpResult *out)
{
    CURL *c = curl_easy_init();
    struct curl_slist *headers = NULL;
    char action[512];

    memset(out, 0, sizeof(*out));
    dynbuf_init(&out->body, 1024u * 1024 * 1024);
    ck_assert_ptr_nonnull(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body != NULL) {
        headers = curl_slist_append(headers, "Content-Type: text/xml; charset=utf-8");
        if (soap_action != NULL) {
            snprintf(action, sizeof(action), "SOAPAction: %s", soap_action);
            headers = curl_slist_append(headers, action);
        }
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    out->curl = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->seconds);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
}

void
http_result_free(HttpResult *r)
{
    dynbuf_free(&r->body);
}

char *
soap_envelope(const char *ns, const char *op, bool prefixed, const char *user, const char *pass,
              const char *inner)
{
    DynBuf b;

    dynbuf_init(&b, 256u * 1024 * 1024);
    dynbuf_addstr(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"");
    if (prefixed) {
        dynbuf_addf(&b,
                    " xmlns:ns1=\"%s\"><soap:Body><ns1:%s><ns1:login><ns1:username>%s"
                    "</ns1:username><ns1:password>%s</ns1:password></ns1:login>%s</ns1:%s>",
                    ns, op, user, pass, inner, op);
    } else {
        dynbuf_addf(&b,
                    "><soap:Body><%s xmlns=\"%s\"><login><username>%s</username><password>%s"
                    "</password></login>%s</%s>",
                    op, ns, user, pass, inner, op);
    }
    dynbuf_addstr(&b, "</soap:Body></soap:Envelope>\n");
    return dynbuf_take(&b);
}

void
sim_soap_call(const SimServer *srv, const char *op, const char *inner, HttpResult *out)
{
    char *env = soap_envelope(srv->store.style.ns, op, false, srv->auth.username,
                              srv->auth.password, inner);

    http_request(srv->url, env, out);
    xfree(env);
}

const XmlNode *
soap_parse(const HttpResult *r, XmlNode **root)
{
    Error err;
    const XmlNode *body;

    ck_assert_msg(xml_parse(dynbuf_str(&r->body), dynbuf_len(&r->body), root, &err) == ERR_OK,
                  "answer not well-formed: %s\n%.2000s", err.message, dynbuf_str(&r->body));
    body = xml_child(*root, "Body");
    ck_assert_ptr_nonnull(body);
    ck_assert_uint_ge(body->nkids, 1);
    return body->kids[0];
}

const char *
sim_admin_url(const SimServer *srv, const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "http://127.0.0.1:%u%s", srv->port, path);
    return buf;
}

void
simtest_start(SimServer *srv, const SimOptions *opts)
{
    SimOptions o;
    Error err;

    if (opts != NULL)
        o = *opts;
    else
        sim_options_default(&o);
    ck_assert_msg(sim_server_start(srv, &o, &err) == ERR_OK, "%s", err.message);
}

SimAnswer
sim_update_call(const SimServer *srv, const char *op, const char *inner)
{
    HttpResult r;
    XmlNode *root;
    const XmlNode *res;
    SimAnswer a;

    memset(&a, 0, sizeof(a));
    sim_soap_call(srv, op, inner, &r);
    ck_assert_msg(r.status == 200, "HTTP %ld: %s", r.status, dynbuf_str(&r.body));
    res = soap_parse(&r, &root);
    ck_assert_str_eq(res->name, "result");
    snprintf(a.success, sizeof(a.success), "%s", xml_child_text(res, "success"));
    a.nerrors = (int)xml_count(xml_child(res, "errors"), "message");
    a.nnotices = (int)xml_count(xml_child(res, "notices"), "message");
    if (a.nerrors > 0)
        snprintf(a.error, sizeof(a.error), "%s", xml_path_text(res, "errors/message"));
    if (a.nnotices > 0)
        snprintf(a.notice, sizeof(a.notice), "%s", xml_path_text(res, "notices/message"));
    xml_free(root);
    http_result_free(&r);
    return a;
}

size_t
events_ids(const XmlNode *op, long long *ids, size_t max)
{
    const XmlNode *events = xml_child(op, "events");
    size_t n = 0;

    for (XmlNode *e = xml_child(events, "event"); e != NULL && n < max;
         e = xml_next(events, "event", e)) {
        long long id;

        ck_assert(str_to_ll(xml_child_text(e, "id"), &id));
        ids[n++] = id;
    }
    return n;
}

void
events_done(const SimServer *srv, const long long *ids, size_t n)
{
    DynBuf inner;
    HttpResult r;
    XmlNode *root;
    const XmlNode *op;

    dynbuf_init(&inner, 1024 * 1024);
    for (size_t i = 0; i < n; i++)
        dynbuf_addf(&inner, "<event>%lld</event>", ids[i]);
    sim_soap_call(srv, "events_Done", dynbuf_str(&inner), &r);
    dynbuf_free(&inner);
    ck_assert_int_eq(r.status, 200);
    op = soap_parse(&r, &root);
    ck_assert_str_eq(xml_child_text(op, "success"), "true");
    xml_free(root);
    http_result_free(&r);
}
