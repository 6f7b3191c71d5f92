/*
 * tests/unit/xml/test_hostile.c
 *     Hostile events_Get answers against the streaming parser: entity
 *     documents (billion laughs, quadratic blowup, external entities,
 *     parameter entities, a DTD alone), 10,000-deep nesting, a 100 MB text
 *     node, invalid UTF-8 and NUL bytes.
 *
 * test_eventparser.c already covers the four DTD shapes of its dtd_docs, a
 * nesting cap of 14, a 200 kB text over a 4 kB cap, huge tags and the
 * replacement of invalid XML characters; this suite fills the gaps with the
 * shipped default caps and the sizes of issue 7.  Every document but the
 * 100 MB one is fed whole, a byte at a time and in 13 and 4093-byte chunks;
 * the four logs must be identical.
 */
#include "centra/eventparser.h"

#include <string.h>
#include <sys/resource.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "testutil.h"

#define NS_C    "http://www.centra.com/webservices/"
#define NS_SOAP "http://schemas.xmlsoap.org/soap/envelope/"
#define LOG_CAP (64 * 1024 * 1024)

#define ENV_OPEN                                                                                   \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                                 \
    "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" NS_SOAP "\"><SOAP-ENV:Body>"                            \
    "<events_Get xmlns=\"" NS_C "\"><events>\n"
#define ENV_CLOSE "</events></events_Get></SOAP-ENV:Body></SOAP-ENV:Envelope>\n"
#define HEAD(id)                                                                                   \
    "<id>" id "</id><type>order</type><entry>" id "</entry><mission>update</mission>"              \
    "<date>2019-03-27 12:52:20</date>"
#define EVENT(id, data) "<event>" HEAD(id) "<data>" data "</data></event>\n"
#define GOOD(id)        EVENT(id, "<order><id>" id "</id><status>confirmed</status></order>")

/* The shipped defaults (src/config/config.c): 512MB, 8MB, 64. */
static const EvpLimits shipped = {
    .max_response = 512LL * 1024 * 1024,
    .max_text = 8LL * 1024 * 1024,
    .max_depth = 64,
};

/* --- a recording sink: one line per event, records counted ------------------------------ */

typedef struct Rec {
    DynBuf log;           /* what the sink got */
    long long payload;    /* payload bytes of the current event */
    int records;          /* records of the current event */
    long long raw_len;    /* raw bytes of a quarantined event */
    DynBuf raw_head;      /* their first 120 bytes */
    long long fed_at_max; /* largest evp_stats().bytes seen in an event callback */
} Rec;

static ErrKind
rec_begin(void *arg, int seq, Error *err)
{
    Rec *r = arg;

    (void)seq;
    (void)err;
    r->payload = 0;
    return ERR_OK;
}

static ErrKind
rec_data(void *arg, const char *data, size_t len, Error *err)
{
    Rec *r = arg;

    (void)data;
    (void)err;
    r->payload += (long long)len;
    return ERR_OK;
}

static ErrKind
rec_end(void *arg, Error *err)
{
    (void)arg;
    (void)err;
    return ERR_OK;
}

static ErrKind
rec_record(void *arg, const EvpRecord *rec, Error *err)
{
    Rec *r = arg;

    (void)err;
    (void)dynbuf_addf(&r->log, "record kind=%d seq=%d first=%s\n", (int)rec->kind, rec->seq,
                      rec->nvalues > 0 && rec->values[0] != NULL ? rec->values[0] : "NULL");
    return ERR_OK;
}

static ErrKind
rec_raw(void *arg, const char *data, size_t len, Error *err)
{
    Rec *r = arg;
    size_t room = r->raw_head.len < 120 ? 120 - r->raw_head.len : 0;

    (void)err;
    r->raw_len += (long long)len;
    (void)dynbuf_add(&r->raw_head, data, len < room ? len : room);
    return ERR_OK;
}

static ErrKind
rec_event(void *arg, const EvpEvent *ev, EvParser *p, Error *err)
{
    Rec *r = arg;
    EvpStats st = evp_stats(p);

    if (st.bytes > r->fed_at_max)
        r->fed_at_max = st.bytes;
    (void)dynbuf_addf(&r->log, "event seq=%d id=%lld order=%s replaced=%d quarantine=%s\n", ev->seq,
                      ev->event_id, ev->has_order ? "yes" : "no", ev->replaced_chars,
                      ev->quarantine != NULL ? ev->quarantine : "NULL");
    if (ev->quarantine != NULL) {
        ErrKind rc;

        r->raw_len = 0;
        dynbuf_reset(&r->raw_head);
        rc = evp_raw_each(p, rec_raw, r, err);
        if (rc != ERR_OK)
            return rc;
        (void)dynbuf_addf(&r->log, "raw %lld bytes: %s\n", r->raw_len, dynbuf_str(&r->raw_head));
    }
    return ERR_OK;
}

static void
add_result(DynBuf *b, const char *what, ErrKind rc, const Error *err)
{
    (void)dynbuf_addf(b, "%s: %s", what, err_kind_name(rc));
    if (rc != ERR_OK) {
        (void)dynbuf_addf(b, ": %s", err->message);
        if (err->detail[0] != '\0')
            (void)dynbuf_addf(b, " | detail: %s", err->detail);
    }
    (void)dynbuf_addc(b, '\n');
}

/* A source of the document's bytes: fills buf with up to cap bytes, 0 at the end. */
typedef size_t (*DocFn)(void *arg, char *buf, size_t cap);

typedef struct MemDoc {
    const char *s;
    size_t len;
    size_t at;
} MemDoc;

static size_t
memdoc_read(void *arg, char *buf, size_t cap)
{
    MemDoc *m = arg;
    size_t n = m->len - m->at < cap ? m->len - m->at : cap;

    memcpy(buf, m->s + m->at, n);
    m->at += n;
    return n;
}

/*
 * Parse what fn produces in chunks of chunk bytes (the last may be shorter),
 * finish unless feeding failed, and return the log (caller frees with xfree).
 * *fed_at_event (may be NULL) gets the most bytes fed before an event callback.
 */
static char *
run_source_chunked(DocFn fn, void *arg, const EvpLimits *lim, size_t chunk, long long *fed_at_event)
{
    Rec r = {0};
    EvpSink sink = {rec_begin, rec_data, rec_end, rec_record, rec_event, &r};
    EvParser *p;
    Error err;
    ErrKind rc = ERR_OK;
    EvpStats st;
    char *buf = xmalloc(chunk);
    char *captured;
    size_t got;

    dynbuf_init(&r.log, LOG_CAP);
    dynbuf_init(&r.raw_head, 4096);
    err_reset(&err);
    log_capture_begin();
    p = evp_new(lim, &sink);
    while (rc == ERR_OK && (got = fn(arg, buf, chunk)) > 0)
        rc = evp_feed(p, buf, got, &err);
    add_result(&r.log, "feed", rc, &err);
    if (rc == ERR_OK || rc == ERR_TOO_BIG) {
        err_reset(&err);
        rc = evp_finish(p, &err);
        add_result(&r.log, "finish", rc, &err);
    }
    st = evp_stats(p);
    (void)dynbuf_addf(&r.log, "stats events=%d quarantined=%d replaced=%d malformed=%d\n",
                      st.events, st.quarantined, st.replaced_chars, (int)st.malformed);
    evp_free(p);
    captured = log_capture_end();
    for (char *line = captured; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        char *msg = strstr(line, "] ");

        if (msg != NULL && (nl == NULL || msg < nl))
            line = msg + 2;
        (void)dynbuf_addstr(&r.log, "log: ");
        (void)dynbuf_add(&r.log, line, nl != NULL ? (size_t)(nl - line) : strlen(line));
        (void)dynbuf_addc(&r.log, '\n');
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(captured);
    xfree(buf);
    dynbuf_free(&r.raw_head);
    if (fed_at_event != NULL)
        *fed_at_event = r.fed_at_max;
    return dynbuf_take(&r.log);
}

/* doc whole, a byte, 13 and 4093 bytes at a time: the four logs must match; returns it. */
static char *
run_len(const char *doc, size_t len, const EvpLimits *lim)
{
    static const size_t chunks[] = {1, 13, 4093};
    MemDoc m = {doc, len, 0};
    char *whole = run_source_chunked(memdoc_read, &m, lim, len > 0 ? len : 1, NULL);

    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        MemDoc o = {doc, len, 0};
        char *other = run_source_chunked(memdoc_read, &o, lim, chunks[i], NULL);

        ck_assert_msg(strcmp(other, whole) == 0,
                      "fed in %zu-byte chunks:\n%.3000s\n--- whole:\n%.3000s", chunks[i], other,
                      whole);
        xfree(other);
    }
    if (getenv("EVP_DUMP") != NULL)
        fprintf(stdout, "=====\n%s", whole);
    return whole;
}

static char *
run(const char *doc)
{
    return run_len(doc, strlen(doc), &shipped);
}

#define LOG_HAS(log, needle)                                                                       \
    ck_assert_msg(strstr((log), (needle)) != NULL, "expected \"%.400s\" in:\n%.3000s", (needle),   \
                  (log))

static int
count_of(const char *haystack, const char *needle)
{
    int n = 0;

    for (const char *s = strstr(haystack, needle); s != NULL; s = strstr(s + 1, needle))
        n++;
    return n;
}

/* The event id=N line without a quarantine. */
#define GOOD_LINE(seq, id) "event seq=" seq " id=" id " order=yes replaced=0 quarantine=NULL\n"

/* --- entity documents -------------------------------------------------------------------- */

#define DTD_REFUSED                                                                                \
    "feed: centra_fault: the answer to events_Get has a document type declaration (DTD), "         \
    "which is refused | detail: DTDs can declare entities that expand without bound; Centra "      \
    "never sends one.\nstats events=0 quarantined=0 replaced=0 malformed=0\n"

/* Entity documents shaped as events_Get answers, so only the DTD can make them fail. */
#define DTD_ENV(dtd, body)                                                                         \
    "<?xml version=\"1.0\"?>\n<!DOCTYPE SOAP-ENV:Envelope [" dtd "]>\n"                            \
    "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" NS_SOAP "\"><SOAP-ENV:Body>"                            \
    "<events_Get xmlns=\"" NS_C                                                                    \
    "\"><events>\n" GOOD("1") "<event>" HEAD("2") "<data><order><id>2</id><other>" body            \
                                                  "</other></order></data></event>\n" ENV_CLOSE
#define TEN(x) x x x x x x x x x x

static const char
    *const
        entity_docs[] =
            {
                /* billion laughs, nine levels, inside a real answer */
                DTD_ENV("<!ENTITY a \"lol\"><!ENTITY b \"" TEN("&a;") "\"><!ENTITY c \"" TEN("&b;") "\"><!ENTITY d \"" TEN("&c;") "\"><!ENTITY e \"" TEN(
                            "&d;") "\"><!ENTITY f \"" TEN("&e;") "\"><!ENTITY g \"" TEN("&f;") "\">"
                                                                                               "<!"
                                                                                               "ENT"
                                                                                               "ITY"
                                                                                               " h "
                                                                                               "\"" TEN("&g;") "\"><!ENTITY i \"" TEN(
                                                                                                   "&h;") "\">",
                        "&i;"),
                /* quadratic blowup: one 4 kB entity referenced 1,000 times */
                DTD_ENV("<!ENTITY big \"" TEN(TEN(TEN("xxxx"))) TEN(TEN(TEN("xxxx")))
                            TEN(TEN(TEN("xxxx"))) TEN(TEN(TEN("xxxx"))) "\">",
                        TEN(TEN(TEN("&big;")))),
                /* XXE: a file */
                DTD_ENV("<!ENTITY xxe SYSTEM \"file:///etc/passwd\">", "&xxe;"),
                /* XXE: over http */
                DTD_ENV("<!ENTITY xxe SYSTEM \"http://127.0.0.1:9/secret\">", "&xxe;"),
                /* parameter entities, one of them external */
                DTD_ENV("<!ENTITY % p \"<!ENTITY q 'pwned'>\"> %p; <!ENTITY % ext SYSTEM "
                        "\"http://127.0.0.1:9/evil.dtd\"> %ext;",
                        "&q;"),
                /* an external DTD subset by itself */
                "<?xml version=\"1.0\"?>\n<!DOCTYPE SOAP-ENV:Envelope SYSTEM "
                "\"file:///etc/passwd\">\n"
                "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" NS_SOAP
                "\"><SOAP-ENV:Body><events_Get xmlns=\"" NS_C "\"><events>\n" GOOD("1") ENV_CLOSE,
                /* a DTD and nothing else */
                "<!DOCTYPE x []>",
                "<!DOCTYPE x>",
};

START_TEST(entity_documents_are_refused_before_anything_is_delivered)
{
    char *log = run(entity_docs[_i]);

    /* Refused at the DTD: not one event, not one record, nothing expanded or fetched. */
    ck_assert_str_eq(log, DTD_REFUSED);
    xfree(log);
}
END_TEST

/* A DOCTYPE or ENTITY declaration after events: not XML; the events before it stay. */
START_TEST(a_declaration_inside_the_answer_quarantines_that_event_and_keeps_the_ones_before)
{
    static const char doc[] = ENV_OPEN GOOD("1") GOOD("2") "<event>" HEAD(
        "3") "<data><!ENTITY x \"y\"><order><id>3</id></order></data></event>\n" GOOD("4")
        ENV_CLOSE;
    char *log = run(doc);

    LOG_HAS(log, GOOD_LINE("1", "1"));
    LOG_HAS(log, GOOD_LINE("2", "2") "feed: ok\n");
    LOG_HAS(log, "event seq=3 id=3 order=no replaced=0 quarantine=malformed XML at line 5, "
                 "column 117: not well-formed (invalid token)\nraw ");
    ck_assert_int_eq(count_of(log, "event seq="), 3);
    LOG_HAS(log, "\nfinish: ok\nstats events=3 quarantined=1 replaced=0 malformed=1\n");
    xfree(log);
}
END_TEST

/* --- 10,000-deep nesting ------------------------------------------------------------------ */

#define DEEP_N 10000

/* <x><x>...text...</x></x> DEEP_N deep (caller frees with xfree). */
static char *
deep(void)
{
    DynBuf b;

    dynbuf_init(&b, LOG_CAP);
    for (int i = 0; i < DEEP_N; i++)
        (void)dynbuf_addstr(&b, "<x>");
    (void)dynbuf_addstr(&b, "deep");
    for (int i = 0; i < DEEP_N; i++)
        (void)dynbuf_addstr(&b, "</x>");
    return dynbuf_take(&b);
}

START_TEST(ten_thousand_deep_inside_data_quarantines_the_event_and_parsing_goes_on)
{
    char *d = deep();
    DynBuf doc;
    char *log;

    dynbuf_init(&doc, LOG_CAP);
    (void)dynbuf_addf(&doc,
                      "%s%s<event>" HEAD("2") "<data><order><id>2</id>%s</order></data>"
                                              "</event>\n%s%s",
                      ENV_OPEN GOOD("1"), "", d, GOOD("3"), ENV_CLOSE);
    log = run(dynbuf_str(&doc));
    LOG_HAS(log, GOOD_LINE("1", "1"));
    LOG_HAS(log, "event seq=2 id=2 order=no replaced=0 quarantine=elements nested deeper than 64 "
                 "(centra_max_depth) at line 4\nraw ");
    /* The whole event is kept raw: 30 bytes of header and 70,000 of nesting. */
    LOG_HAS(log, GOOD_LINE("3", "3"));
    LOG_HAS(log, "feed: ok\nfinish: ok\nstats events=3 quarantined=1 replaced=0 malformed=0\n");
    xfree(log);
    dynbuf_free(&doc);
    xfree(d);
}
END_TEST

START_TEST(ten_thousand_deep_outside_the_events_is_refused)
{
    char *d = deep();
    DynBuf doc;
    char *log;

    dynbuf_init(&doc, LOG_CAP);
    (void)dynbuf_addf(&doc,
                      "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" NS_SOAP "\"><SOAP-ENV:Header>%s"
                      "</SOAP-ENV:Header><SOAP-ENV:Body><events_Get xmlns=\"" NS_C "\"><events>"
                      "</events></events_Get></SOAP-ENV:Body></SOAP-ENV:Envelope>",
                      d);
    log = run(dynbuf_str(&doc));
    ck_assert_str_eq(log, "feed: centra_fault: the answer to events_Get nests elements deeper "
                          "than 64 (centra_max_depth)\nstats events=0 quarantined=0 replaced=0 "
                          "malformed=0\n");
    xfree(log);
    dynbuf_reset(&doc);
    /* Between two events: the first is delivered before the refusal. */
    (void)dynbuf_addf(&doc, "%s%s%s", ENV_OPEN GOOD("1"), d, GOOD("2") ENV_CLOSE);
    log = run(dynbuf_str(&doc));
    LOG_HAS(log, GOOD_LINE("1", "1"));
    ck_assert_int_eq(count_of(log, "event seq="), 1);
    LOG_HAS(log, "feed: centra_fault: the answer to events_Get nests elements deeper than 64 "
                 "(centra_max_depth)\nstats events=1 ");
    xfree(log);
    dynbuf_free(&doc);
    xfree(d);
}
END_TEST

/* --- a 100 MB text node ---------------------------------------------------------------- */

#define HUGE_TEXT (100LL * 1024 * 1024)

typedef struct HugeDoc {
    const char *head; /* before the text */
    const char *tail; /* after it */
    long long text;   /* bytes of text */
    long long at;     /* bytes produced */
} HugeDoc;

/* head, then text bytes of 'x' (a newline every 100), then tail; never held whole. */
static size_t
hugedoc_read(void *arg, char *buf, size_t cap)
{
    HugeDoc *h = arg;
    long long hl = (long long)strlen(h->head);
    long long tl = (long long)strlen(h->tail);
    size_t n = 0;

    while (n < cap) {
        long long at = h->at;

        if (at < hl)
            buf[n] = h->head[at];
        else if (at < hl + h->text)
            buf[n] = (at - hl) % 100 == 99 ? '\n' : 'x';
        else if (at < hl + h->text + tl)
            buf[n] = h->tail[at - hl - h->text];
        else
            break;
        h->at++;
        n++;
    }
    return n;
}

static long
max_rss_kb(void)
{
    struct rusage ru;

    ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_maxrss;
}

START_TEST(a_100_mb_text_node_is_quarantined_at_the_text_cap_with_memory_bounded)
{
    EvpLimits lim = shipped;
    HugeDoc h = {
        .head = ENV_OPEN GOOD("1") "<event>" HEAD("2") "<data><order><id>2</id><other>",
        .tail = "</other></order></data></event>\n" GOOD("3") ENV_CLOSE,
        .text = HUGE_TEXT,
    };
    long before = max_rss_kb();
    long long fed_at_event = 0;
    char *log;

    log = run_source_chunked(hugedoc_read, &h, &lim, 64 * 1024, &fed_at_event);
    LOG_HAS(log, GOOD_LINE("1", "1"));
    LOG_HAS(log, "event seq=2 id=2 order=no replaced=0 quarantine=text longer than 8388608 bytes "
                 "(centra_max_text_size) at line 83890\nraw 104857769 bytes: <event><id>2</id>");
    LOG_HAS(log, GOOD_LINE("3", "3"));
    LOG_HAS(log, "feed: ok\nfinish: ok\nstats events=3 quarantined=1 replaced=0 malformed=0\n");
    /*
     * Bounded memory: the peak resident size grew by less than twice the text cap
     * while 100 MB went through (the log and the raw head are small).
     */
    ck_assert_msg(max_rss_kb() - before < 2 * 8 * 1024 + 8 * 1024,
                  "peak RSS grew by %ld kB for a 100 MB text node", max_rss_kb() - before);
    ck_assert_int_ge(fed_at_event, HUGE_TEXT);
    xfree(log);
}
END_TEST

/* Text outside the events is not kept: 100 MB of it in the SOAP header streams past. */
START_TEST(a_100_mb_text_node_in_the_header_streams_past_with_memory_bounded)
{
    EvpLimits lim = shipped;
    HugeDoc h = {
        .head = "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" NS_SOAP "\"><SOAP-ENV:Header><x>",
        .tail = "</x></SOAP-ENV:Header><SOAP-ENV:Body><events_Get xmlns=\"" NS_C
                "\"><events>" GOOD("1") ENV_CLOSE,
        .text = HUGE_TEXT,
    };
    long before = max_rss_kb();
    char *log = run_source_chunked(hugedoc_read, &h, &lim, 64 * 1024, NULL);

    ck_assert_str_eq(
        log, "record kind=2 seq=1 first=1\n" GOOD_LINE(
                 "1", "1") "feed: ok\n"
                           "finish: ok\nstats events=1 quarantined=0 replaced=0 malformed=0\n");
    ck_assert_msg(max_rss_kb() - before < 2 * 8 * 1024 + 8 * 1024, "peak RSS grew by %ld kB",
                  max_rss_kb() - before);
    xfree(log);
}
END_TEST

/* Text the parser keeps (a fault string): refused at the cap, long before 100 MB was read. */
START_TEST(a_100_mb_fault_string_is_refused_at_the_text_cap)
{
    EvpLimits lim = shipped;
    HugeDoc h = {
        .head = "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" NS_SOAP "\"><SOAP-ENV:Body>"
                "<SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode><faultstring>",
        .tail = "</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>",
        .text = HUGE_TEXT,
    };
    long before = max_rss_kb();
    char *log = run_source_chunked(hugedoc_read, &h, &lim, 64 * 1024, NULL);

    ck_assert_str_eq(log, "feed: centra_fault: the answer to events_Get has a text longer than "
                          "8388608 bytes (centra_max_text_size)\nstats events=0 quarantined=0 "
                          "replaced=0 malformed=0\n");
    /* The error came at the cap: at most two chunks past it were read. */
    ck_assert_msg(h.at <= 8 * 1024 * 1024 + 2 * 64 * 1024 + 512, "read %lld bytes before the error",
                  h.at);
    ck_assert_msg(max_rss_kb() - before < 2 * 8 * 1024 + 8 * 1024, "peak RSS grew by %ld kB",
                  max_rss_kb() - before);
    xfree(log);
}
END_TEST

/* --- invalid UTF-8 and NUL bytes -------------------------------------------------------- */

/* clang-format off */
static const struct {
    const char *what;
    const char *bytes;
} bad_utf8[] = {
    {"overlong slash", "\xc0\xaf"},
    {"overlong NUL", "\xc0\x80"},
    {"overlong three bytes", "\xe0\x80\xaf"},
    {"UTF-16 surrogate", "\xed\xa0\x80"},
    {"low surrogate", "\xed\xbf\xbf"},
    {"beyond U+10FFFF", "\xf4\x90\x80\x80"},
    {"a lone continuation byte", "\x80"},
    {"0xFF", "\xff"},
    {"a truncated sequence", "\xe2\x82"},
};
/* clang-format on */

START_TEST(invalid_utf8_in_text_quarantines_its_event_and_keeps_the_ones_before)
{
    DynBuf doc;
    char *log;

    dynbuf_init(&doc, LOG_CAP);
    (void)dynbuf_addf(&doc,
                      "%s<event>" HEAD("2") "<data><order><id>2</id><other>ab%scd</other></order>"
                                            "</data></event>\n%s",
                      ENV_OPEN GOOD("1"), bad_utf8[_i].bytes, GOOD("3") ENV_CLOSE);
    log = run(dynbuf_str(&doc));
    LOG_HAS(log, GOOD_LINE("1", "1"));
    LOG_HAS(log, "event seq=2 id=2 order=no replaced=0 quarantine=malformed XML at line 4, "
                 "column 141: not well-formed (invalid token)\nraw ");
    /* Not well-formed ends the parse: event 3 comes with the next answer (after ack). */
    ck_assert_int_eq(count_of(log, "event seq="), 2);
    LOG_HAS(log, "\nfinish: ok\nstats events=2 quarantined=1 replaced=0 malformed=1\n");
    xfree(log);
    dynbuf_free(&doc);
}
END_TEST

START_TEST(valid_utf8_split_at_every_chunk_boundary_is_kept_whole)
{
    /* Two, three and four-byte characters: run_len feeds them a byte at a time too. */
    static const char doc[] =
        ENV_OPEN "<event>" HEAD("2") "<data><order><id>\xc3\xa5\xe2\x82\xac\xf0\x9f\x98\x80</id>"
                                     "</order></data></event>\n" ENV_CLOSE;
    char *log = run(doc);

    LOG_HAS(log, "record kind=2 seq=1 first=\xc3\xa5\xe2\x82\xac\xf0\x9f\x98\x80\n");
    LOG_HAS(log, "event seq=1 id=2 order=yes replaced=0 quarantine=NULL\n");
    xfree(log);
}
END_TEST

START_TEST(a_sequence_truncated_at_the_end_of_the_answer_is_unavailable)
{
    /* The last chunk ends inside a character: the answer is incomplete, nothing after event 1. */
    static const char doc[] = ENV_OPEN GOOD("1") "<event>" HEAD("2") "<data><order><id>\xe2\x82";
    char *log = run(doc);

    LOG_HAS(log, GOOD_LINE("1", "1"));
    ck_assert_int_eq(count_of(log, "event seq="), 1);
    LOG_HAS(log, "finish: centra_unavailable: the answer to events_Get ended before it was "
                 "complete | detail: After ");
    xfree(log);
}
END_TEST

START_TEST(nul_bytes_in_text_are_replaced_and_counted)
{
    static const char doc[] = ENV_OPEN GOOD("1") "<event>" HEAD(
        "2") "<data><order><id>2</id><other>a\0b\0\0c</other></order></data></event>\n" GOOD("3")
        ENV_CLOSE;
    char *log = run_len(doc, sizeof(doc) - 1, &shipped);

    LOG_HAS(log, GOOD_LINE("1", "1"));
    LOG_HAS(log, "event seq=2 id=2 order=yes replaced=3 quarantine=NULL\n");
    LOG_HAS(log, GOOD_LINE("3", "3"));
    LOG_HAS(log, "stats events=3 quarantined=0 replaced=3 malformed=0\n");
    xfree(log);
}
END_TEST

START_TEST(a_nul_byte_in_a_tag_quarantines_its_event_and_keeps_the_ones_before)
{
    static const char doc[] = ENV_OPEN GOOD("1") "<event>" HEAD(
        "2") "<data><ord\0er><id>2</id></order></data></event>\n" GOOD("3") ENV_CLOSE;
    char *log = run_len(doc, sizeof(doc) - 1, &shipped);

    LOG_HAS(log, GOOD_LINE("1", "1"));
    LOG_HAS(log, "event seq=2 id=2 order=no replaced=1 quarantine=malformed XML at line 4, "
                 "column 119: not well-formed (invalid token)\nraw ");
    ck_assert_int_eq(count_of(log, "event seq="), 2);
    LOG_HAS(log, "stats events=2 quarantined=1 replaced=1 malformed=1\n");
    xfree(log);
}
END_TEST

START_TEST(nul_bytes_between_events_are_replaced_and_every_event_delivered)
{
    static const char doc[] = ENV_OPEN GOOD("1") "\0\0" GOOD("2") "\0" GOOD("3") ENV_CLOSE;
    char *log = run_len(doc, sizeof(doc) - 1, &shipped);

    LOG_HAS(log, GOOD_LINE("1", "1") "record ");
    LOG_HAS(log, GOOD_LINE("2", "2"));
    LOG_HAS(log, GOOD_LINE("3", "3"));
    LOG_HAS(log, "feed: ok\nfinish: ok\nstats events=3 quarantined=0 replaced=3 malformed=0\n");
    xfree(log);
}
END_TEST

static Suite *
hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *ent = tcase_create("entities and DTDs");
    TCase *nest = tcase_create("nesting");
    TCase *big = tcase_create("a 100 MB text node");
    TCase *bytes = tcase_create("invalid UTF-8 and NUL bytes");

    tcase_set_timeout(nest, 300);
    tcase_set_timeout(big, 300);
    tcase_add_loop_test(ent, entity_documents_are_refused_before_anything_is_delivered, 0,
                        (int)(sizeof(entity_docs) / sizeof(entity_docs[0])));
    tcase_add_test(
        ent, a_declaration_inside_the_answer_quarantines_that_event_and_keeps_the_ones_before);
    tcase_add_test(nest, ten_thousand_deep_inside_data_quarantines_the_event_and_parsing_goes_on);
    tcase_add_test(nest, ten_thousand_deep_outside_the_events_is_refused);
    tcase_add_test(big, a_100_mb_text_node_is_quarantined_at_the_text_cap_with_memory_bounded);
    tcase_add_test(big, a_100_mb_text_node_in_the_header_streams_past_with_memory_bounded);
    tcase_add_test(big, a_100_mb_fault_string_is_refused_at_the_text_cap);
    tcase_add_loop_test(bytes, invalid_utf8_in_text_quarantines_its_event_and_keeps_the_ones_before,
                        0, (int)(sizeof(bad_utf8) / sizeof(bad_utf8[0])));
    tcase_add_test(bytes, valid_utf8_split_at_every_chunk_boundary_is_kept_whole);
    tcase_add_test(bytes, a_sequence_truncated_at_the_end_of_the_answer_is_unavailable);
    tcase_add_test(bytes, nul_bytes_in_text_are_replaced_and_counted);
    tcase_add_test(bytes, a_nul_byte_in_a_tag_quarantines_its_event_and_keeps_the_ones_before);
    tcase_add_test(bytes, nul_bytes_between_events_are_replaced_and_every_event_delivered);
    suite_add_tcase(s, ent);
    suite_add_tcase(s, nest);
    suite_add_tcase(s, big);
    suite_add_tcase(s, bytes);
    return s;
}

CB_TEST_MAIN(hostile_suite)
