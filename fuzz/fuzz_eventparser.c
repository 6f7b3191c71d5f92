/*
 * fuzz/fuzz_eventparser.c
 *     A whole events_Get answer through the streaming event parser
 *     (include/centra/eventparser.h) with the order mapping of
 *     include/centra/evmap.h: what import does, with a recording sink in place
 *     of the loader.
 *
 * Input: two bytes of options, then the answer.
 *   byte 0: how the answer is cut into chunks: 0 whole; 1-127 chunks of that
 *           many bytes; 128-255 chunks of 1 to 256 bytes from a generator
 *           seeded with it, so chunk boundaries fall anywhere;
 *   byte 1: the caps: bits 0-1 the text cap (32 B, 1 kB, 64 kB, 1 MB), bits
 *           2-3 the depth cap (6, 12, 24, 64), bits 4-5 the response cap
 *           (512 B, 8 kB, 1 MB, unlimited).
 * Checked, as the header promises:
 *   - fed in chunks the sink sees exactly what it sees when the answer is fed
 *     whole (records, events, quarantines with their raw bytes, payloads,
 *     errors, counters).  Not the payload of a quarantined event: how much of
 *     it was streamed before the XML broke depends on where expat's buffers
 *     ended, and the loader drops it for the raw bytes (loader.c,
 *     payload_whole): its begin and end are compared, not its bytes;
 *   - when the answer is accepted, every payload_begin has its payload_end;
 *     payload data comes only between them;
 *   - the payload of an event that is not quarantined is a well-formed XML
 *     document;
 *   - a record has as many values as its kind has fields;
 *   - everything is freed (ASan's leak check).
 */
#include "fuzz.h"

#include <string.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/error.h"
#include "centra/eventparser.h"
#include "centra/evmap.h"
#include "centra/log.h"

#define LOG_CAP (256 * 1024 * 1024)

typedef struct Recorder {
    DynBuf log;      /* everything the sink received, as text */
    DynBuf payload;  /* the current payload */
    int payload_seq; /* its event, 0 for none */
    bool in_payload; /* between payload_begin and payload_end */
} Recorder;

static const long long text_caps[] = {32, 1024, 64 * 1024, 1024 * 1024};
static const int depth_caps[] = {6, 12, 24, 64};
static const long long response_caps[] = {512, 8 * 1024, 1024 * 1024, 1LL << 40};

static ErrKind
rec_payload_begin(void *arg, int seq, Error *err)
{
    Recorder *r = arg;

    (void)err;
    if (r->in_payload)
        fuzz_fail("payload_begin for event %d inside the payload of event %d", seq, r->payload_seq);
    r->in_payload = true;
    r->payload_seq = seq;
    dynbuf_reset(&r->payload);
    (void)dynbuf_addf(&r->log, "payload_begin seq=%d\n", seq);
    return ERR_OK;
}

static ErrKind
rec_payload_data(void *arg, const char *data, size_t len, Error *err)
{
    Recorder *r = arg;

    (void)err;
    if (!r->in_payload)
        fuzz_fail("payload data outside a payload");
    if (dynbuf_add(&r->payload, data, len) != ERR_OK)
        fuzz_fail("payload larger than %d bytes", LOG_CAP);
    return ERR_OK;
}

static ErrKind
rec_payload_end(void *arg, Error *err)
{
    Recorder *r = arg;

    (void)err;
    if (!r->in_payload)
        fuzz_fail("payload_end without payload_begin");
    r->in_payload = false;
    /* The length goes to the log with the event (rec_event): unless it is quarantined. */
    (void)dynbuf_addf(&r->log, "payload_end seq=%d\n", r->payload_seq);
    return ERR_OK;
}

static ErrKind
rec_record(void *arg, const EvpRecord *rec, Error *err)
{
    Recorder *r = arg;
    const EvRecordDef *def = evmap_record(rec->kind);

    (void)err;
    if (def == NULL)
        fuzz_fail("a record of kind %d, which is not a kind", (int)rec->kind);
    if (rec->nvalues != def->nfields)
        fuzz_fail("a %s record with %d values for %d fields", def->name, rec->nvalues,
                  def->nfields);
    (void)dynbuf_addf(&r->log, "record kind=%d seq=%d rec=%d parent=%d [", (int)rec->kind, rec->seq,
                      rec->rec, rec->parent);
    for (int i = 0; i < rec->nvalues; i++) {
        if (i > 0)
            (void)dynbuf_addc(&r->log, '|');
        (void)dynbuf_addstr(&r->log, rec->values[i] != NULL ? rec->values[i] : "NULL");
    }
    (void)dynbuf_addstr(&r->log, "]\n");
    return ERR_OK;
}

static ErrKind
rec_raw(void *arg, const char *data, size_t len, Error *err)
{
    Recorder *r = arg;

    (void)err;
    (void)dynbuf_add(&r->log, data, len);
    return ERR_OK;
}

static const char *
or_null(const char *s)
{
    return s != NULL ? s : "NULL";
}

static ErrKind
rec_event(void *arg, const EvpEvent *ev, EvParser *p, Error *err)
{
    Recorder *r = arg;
    const char *why;

    if (r->in_payload)
        fuzz_fail("event %d reported inside a payload", ev->seq);
    if (r->payload_seq == ev->seq && ev->quarantine == NULL &&
        !fuzz_xml_well_formed(dynbuf_str(&r->payload), dynbuf_len(&r->payload), &why))
        fuzz_fail("the payload of event %d is not well-formed XML (%s):\n%s", ev->seq, why,
                  dynbuf_str(&r->payload));
    if (ev->quarantine == NULL)
        (void)dynbuf_addf(&r->log, "payload seq=%d len=%zu %s\n", r->payload_seq,
                          dynbuf_len(&r->payload), dynbuf_str(&r->payload));
    else
        (void)dynbuf_addf(&r->log, "payload seq=%d (quarantined)\n", r->payload_seq);
    r->payload_seq = 0;
    dynbuf_reset(&r->payload);
    (void)dynbuf_addf(&r->log,
                      "event seq=%d id=%lld type=%s entry=%s mission=%s date=%s order=%s "
                      "replaced=%d notes=%s quarantine=%s\n",
                      ev->seq, ev->event_id, or_null(ev->values[EVF_TYPE]),
                      or_null(ev->values[EVF_ENTRY]), or_null(ev->values[EVF_MISSION]),
                      or_null(ev->values[EVF_DATE]), ev->has_order ? "yes" : "no",
                      ev->replaced_chars, or_null(ev->notes), or_null(ev->quarantine));
    if (ev->quarantine != NULL) {
        ErrKind rc;

        (void)dynbuf_addstr(&r->log, "raw=");
        rc = evp_raw_each(p, rec_raw, r, err);
        if (rc != ERR_OK)
            return rc;
        (void)dynbuf_addstr(&r->log, "\n");
    }
    return ERR_OK;
}

static void
add_result(DynBuf *b, const char *what, ErrKind rc, const Error *err)
{
    (void)dynbuf_addf(b, "%s: %s", what, err_kind_name(rc));
    if (rc != ERR_OK)
        (void)dynbuf_addf(b, ": %s | %s | %s", err->message, err->detail, err->hint);
    (void)dynbuf_addc(b, '\n');
}

/*
 * An answer longer than this is cut into chunks of at least CHUNK_MIN_LONG
 * bytes.  expat before 2.6 (Debian 12 has 2.5) scans an unfinished token
 * again from its start at every call, so a token of hundreds of kB fed a
 * few bytes at a time costs its length squared inside expat (a 250 kB one in
 * 7-byte chunks took 10 s).  The import never feeds like that (curl hands on
 * up to 16 kB at a time); docs/fuzzing.md says so.
 */
#define LONG_ANSWER    (64 * 1024)
#define CHUNK_MIN_LONG 1024

/* Next chunk size: fixed (1-127) or from a xorshift generator (state != 0). */
static size_t
next_chunk(unsigned mode, unsigned *state)
{
    if (mode < 128)
        return mode;
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return 1 + *state % 256;
}

/*
 * Parse doc fed as mode says (0: whole); the log of everything the sink got.
 * Caller frees with xfree.
 */
static char *
run(const char *doc, size_t len, const EvpLimits *lim, unsigned mode)
{
    Recorder r;
    EvpSink sink = {rec_payload_begin, rec_payload_data, rec_payload_end,
                    rec_record,        rec_event,        &r};
    EvParser *p;
    Error err;
    ErrKind rc = ERR_OK;
    EvpStats st;
    unsigned state = mode * 2654435761u;
    bool fed_all;

    memset(&r, 0, sizeof(r));
    dynbuf_init(&r.log, LOG_CAP);
    dynbuf_init(&r.payload, LOG_CAP);
    err_reset(&err);
    p = evp_new(lim, &sink);
    for (size_t at = 0; at < len && rc == ERR_OK;) {
        size_t n = mode == 0 ? len : next_chunk(mode, &state);

        if (len > LONG_ANSWER && n < CHUNK_MIN_LONG)
            n = CHUNK_MIN_LONG;
        if (n > len - at)
            n = len - at;
        rc = evp_feed(p, doc + at, n, &err);
        at += n;
    }
    add_result(&r.log, "feed", rc, &err);
    /* After an error nothing more is fed (and how much was depends on the chunks). */
    fed_all = rc == ERR_OK || rc == ERR_TOO_BIG;
    if (fed_all) {
        err_reset(&err);
        rc = evp_finish(p, &err);
        add_result(&r.log, "finish", rc, &err);
    }
    st = evp_stats(p);
    /* The bytes fed and the characters replaced in them depend on where the chunks ended. */
    if (fed_all)
        (void)dynbuf_addf(&r.log, "stats bytes=%lld replaced=%d ", st.bytes, st.replaced_chars);
    (void)dynbuf_addf(&r.log, "events=%d quarantined=%d malformed=%d cap=%d/%d\n", st.events,
                      st.quarantined, (int)st.malformed, (int)st.stopped_at_cap,
                      (int)evp_stopped(p));
    evp_free(p);
    /* After an error the caller drops the whole answer: a payload may be left open then. */
    if (r.in_payload && rc == ERR_OK)
        fuzz_fail("the payload of event %d was never ended", r.payload_seq);
    dynbuf_free(&r.payload);
    return dynbuf_take(&r.log);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    EvpLimits lim;
    unsigned mode;
    const char *doc;
    char *whole;

    fuzz_init();
    if (size < 2)
        return 0;
    mode = data[0];
    lim.max_text = text_caps[data[1] & 3];
    lim.max_depth = depth_caps[(data[1] >> 2) & 3];
    lim.max_response = response_caps[(data[1] >> 4) & 3];
    doc = (const char *)data + 2;
    size -= 2;

    whole = run(doc, size, &lim, 0);
    if (mode != 0) {
        char *chunked = run(doc, size, &lim, mode);

        if (strcmp(whole, chunked) != 0) {
            size_t at = 0;

            while (whole[at] == chunked[at])
                at++;
            at = at > 200 ? at - 200 : 0;
            fuzz_fail("fed in chunks (mode %u) the sink saw another thing than fed whole, from "
                      "byte %zu:\n%.600s\n--- whole: ---\n%.600s",
                      mode, at, chunked + at, whole + at);
        }
        xfree(chunked);
    }
    xfree(whole);
    return 0;
}
