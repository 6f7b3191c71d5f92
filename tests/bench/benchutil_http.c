/*
 * tests/bench/benchutil_http.c
 *     The bare SOAP client of benchutil.h.
 */
#include <string.h>

#include "benchutil.h"

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
    return dynbuf_add(arg, data, size * n) == ERR_OK ? size * n : 0;
}

long
bench_post(CURL *c, const char *url, const char *body, DynBuf *out)
{
    long status = 0;

    dynbuf_reset(out);
    if (url != NULL)
        curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (curl_easy_perform(c) != CURLE_OK)
        return 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

size_t
bench_ack_list(const char *answer, DynBuf *ack)
{
    size_t n = 0;

    for (const char *p = strstr(answer, ":event>"); p != NULL; p = strstr(p + 1, ":event>")) {
        const char *lt = p;
        const char *id;

        while (lt > answer && *lt != '<')
            lt--;
        if (lt[1] == '/')
            continue; /* a closing tag */
        id = strstr(p, ":id>");
        if (id == NULL)
            break;
        id += 4;
        dynbuf_addf(ack, "<event>%.*s</event>", (int)strcspn(id, "<"), id);
        n++;
    }
    return n;
}
