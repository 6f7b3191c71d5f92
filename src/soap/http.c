/*
 * src/soap/http.c
 *     The transport-independent part of the HTTP interface (see http.h): the
 *     wrappers that dispatch to an implementation, and Retry-After parsing.
 *
 * The libcurl implementation is in http_curl.c; unit tests plug in their own
 * HttpTransportOps, so nothing here may assume libcurl handles a request.
 */
#include "centra/http.h"

#include <limits.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define RETRY_AFTER_TEXT_MAX 64 /* longest Retry-After value considered */

ErrKind
http_post(HttpTransport *t, const HttpRequest *req, const HttpSink *sink, HttpResponse *resp,
          Error *err)
{
    if (t == NULL || t->ops == NULL || t->ops->post == NULL)
        return err_set(err, ERR_INTERNAL, "no HTTP transport to send \"%s\"",
                       req->log_name != NULL ? req->log_name : "a request");
    return t->ops->post(t, req, sink, resp, err);
}

void
http_free(HttpTransport *t)
{
    void (*release)(HttpTransport *);

    if (t == NULL || t->ops == NULL)
        return;
    /* Called through a local, which checksrc does not mistake for libc free. */
    release = t->ops->free;
    if (release != NULL)
        release(t);
}

/* Whether the len bytes at s are all decimal digits (and there is at least one). */
static bool
all_digits(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* Delta seconds (digits only) as milliseconds, saturating instead of overflowing. */
static long long
delta_seconds_ms(const char *s, size_t len)
{
    long long sec = 0;

    for (size_t i = 0; i < len; i++) {
        if (sec > (LLONG_MAX / 1000 - 9) / 10)
            return LLONG_MAX / 1000 * 1000;
        sec = sec * 10 + (s[i] - '0');
    }
    return sec * 1000;
}

long long
http_parse_retry_after(const char *value, long long now_epoch_s)
{
    char text[RETRY_AFTER_TEXT_MAX];
    size_t start = 0;
    size_t len;
    time_t when;

    if (value == NULL)
        return -1;
    len = strlen(value);
    while (start < len && (value[start] == ' ' || value[start] == '\t'))
        start++;
    while (len > start && (value[len - 1] == ' ' || value[len - 1] == '\t' ||
                           value[len - 1] == '\r' || value[len - 1] == '\n'))
        len--;
    len -= start;
    if (len == 0 || len >= sizeof(text))
        return -1;
    if (all_digits(value + start, len))
        return delta_seconds_ms(value + start, len);
    /* An HTTP date starts with a day name; this also refuses "-5" and "1.5". */
    if (!((value[start] >= 'A' && value[start] <= 'Z') ||
          (value[start] >= 'a' && value[start] <= 'z')))
        return -1;
    memcpy(text, value + start, len);
    text[len] = '\0';
    when = curl_getdate(text, NULL);
    if (when == (time_t)-1)
        return -1;
    if ((long long)when <= now_epoch_s)
        return 0;
    return ((long long)when - now_epoch_s) * 1000;
}
