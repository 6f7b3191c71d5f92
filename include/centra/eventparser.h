/*
 * include/centra/eventparser.h
 *     The streaming parser of events_Get answers: bytes in, one event at a
 *     time out, its order mapped to records while it streams.
 *
 * What it guarantees:
 * - Streams: input is fed in chunks of any size (the HTTP write callback's),
 *   and nothing is held whole; memory is bounded by the text cap, not by the
 *   response.  Feeding the same bytes whole, byte by byte or in any chunks
 *   gives the same output.
 * - Elements are matched by local name, so prefixed (ns1:), default-namespace
 *   and navision answers all work; unknown elements and attributes anywhere
 *   are ignored by the mapping and kept in the payload.
 * - For each event, in document order: its <data> re-serialised as a
 *   self-contained document with Centra's namespace declared as default
 *   (payload_begin/data/end), its records (EvpRecord, when each element
 *   closes), then the event itself (EvpEvent).
 * - Reads the answer in the encoding it declares (byte order mark, else the
 *   XML declaration; UTF-8 without either), converting any other than UTF-8
 *   to UTF-8 as it streams (src/xml/transcode_int.h): everything after,
 *   byte counts and caps included, is the UTF-8 text.  Bytes not valid in
 *   the encoding are handled as malformed XML at that place.
 * - Hardened: DTDs (hence entities) refused; caps on the response size, on
 *   the text of one element (and on any single tag), and on nesting.
 *   Invalid XML 1.0 characters (C0 controls but tab, newline and carriage
 *   return; U+FFFE, U+FFFF) are replaced by U+FFFD before parsing and
 *   counted.
 * - Bad input never stops the queue: an event that breaks a cap or a rule of
 *   the mapping is quarantined and parsing goes on with the next event; XML
 *   that is not well-formed quarantines the event it is in (with the bytes
 *   from its start to the end of the answer) and ends the parse; the events
 *   before it are complete.  A quarantined event's bytes are available from
 *   evp_raw_each during the event callback, kept on disk beyond 1 MB.
 */
#ifndef CENTRA_EVENTPARSER_H
#define CENTRA_EVENTPARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/attrs.h"
#include "centra/error.h"
#include "centra/evmap.h"

typedef struct EvParser EvParser;

typedef struct EvpLimits {
    long long max_response; /* bytes of one answer */
    long long max_text;     /* bytes of one element's text, or of one tag */
    int max_depth;          /* element nesting, envelope included */
} EvpLimits;

typedef struct EvpEvent {
    int seq;                        /* 1, 2, ... in the answer */
    long long event_id;             /* <id>; -1 when missing or not a number */
    const char *values[EVF_COUNT_]; /* normalised header values (EVF_*), NULL when absent */
    bool has_order;                 /* an order record was emitted for it */
    const char *notes;              /* values that did not fit their column (stored as NULL) */
    const char *quarantine;         /* NULL, or why the event is quarantined */
    int replaced_chars;             /* invalid XML characters replaced inside it */
} EvpEvent;

typedef struct EvpRecord {
    EvKind kind;               /* what it is */
    int seq;                   /* the event's seq */
    int rec;                   /* number within the event, from 1, in opening order */
    int parent;                /* rec of the enclosing record; 0 for the order */
    const char *const *values; /* one per field of the kind (NULL for SQL NULL) */
    int nvalues;               /* number of fields */
} EvpRecord;

/* Receives a chunk of raw bytes. */
typedef ErrKind (*EvpBytesFn)(void *arg, const char *data, size_t len, Error *err);

typedef struct EvpSink {
    ErrKind (*payload_begin)(void *arg, int seq, Error *err);
    ErrKind (*payload_data)(void *arg, const char *data, size_t len, Error *err);
    ErrKind (*payload_end)(void *arg, Error *err);
    ErrKind (*record)(void *arg, const EvpRecord *rec, Error *err);
    ErrKind (*event)(void *arg, const EvpEvent *ev, EvParser *p, Error *err);
    void *arg; /* passed to each */
} EvpSink;

typedef struct EvpStats {
    long long bytes;     /* bytes fed */
    int events;          /* events reported, quarantined ones included */
    int quarantined;     /* of which quarantined */
    int replaced_chars;  /* invalid XML characters replaced */
    bool malformed;      /* the answer was cut short by an XML error */
    bool rest_unread;    /* ...before its document element ended: what followed was not read */
    bool stopped_at_cap; /* the answer exceeded max_response */
} EvpStats;

/*
 * A sink that keeps nothing and counts the events reported in *events (for
 * read-only uses: "check" and the benchmarks).
 */
EvpSink evp_count_sink(long long *events);

/* New parser writing to sink (copied).  Caller frees with evp_free. */
EvParser *evp_new(const EvpLimits *limits, const EvpSink *sink);

/* Free p; evp_free(NULL) is a no-op. */
void evp_free(EvParser *p);

/*
 * Feed the next chunk.  Errors: the sink's; ERR_CENTRA_FAULT when the answer
 * is not an events_Get answer at all (not XML before any event, a DTD) or is
 * a SOAP Fault (classified by soap_fault_error: ERR_CENTRA_AUTH, ...);
 * ERR_TOO_BIG when the answer exceeds max_response: then evp_stopped is true
 * and evp_finish still reports what is complete.
 */
ErrKind evp_feed(EvParser *p, const char *data, size_t len, Error *err) CB_MUSTCHECK;

/*
 * The answer ended.  Reports a pending quarantine.  Errors as evp_feed, and
 * ERR_CENTRA_UNAVAILABLE when the document is incomplete (a truncated body).
 */
ErrKind evp_finish(EvParser *p, Error *err) CB_MUSTCHECK;

/* Whether feeding stopped at the size cap (the rest of the answer is not wanted). */
bool evp_stopped(const EvParser *p);

/* Counters so far. */
EvpStats evp_stats(const EvParser *p);

/*
 * During the event callback of a quarantined event: pass its raw bytes to fn
 * in chunks (after the replacement of invalid characters).
 */
ErrKind evp_raw_each(EvParser *p, EvpBytesFn fn, void *arg, Error *err) CB_MUSTCHECK;

/*
 * What messages name: an operation ("the answer to events_Get"), or with
 * saved a file holding an answer ("the answer in FILE"); copied.
 */
void evp_set_source(EvParser *p, const char *what, bool saved);

#endif /* CENTRA_EVENTPARSER_H */
