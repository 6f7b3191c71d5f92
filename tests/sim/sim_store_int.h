/*
 * tests/sim/sim_store_int.h
 *     centra-sim's state: the event queue, the objects updates are applied
 *     to, the log of update requests and the counters.
 *
 * One SimStore serves the whole simulator; it is not thread-safe: the HTTP
 * layer holds its server lock around every use.
 * Generated events are kept as plan entries and written on demand; events
 * added later (order updates, POST /_sim/events, --events files) are kept as
 * XML text in the server's namespace style.
 */
#ifndef TESTS_SIM_SIM_STORE_INT_H
#define TESTS_SIM_SIM_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "centra/dynbuf.h"
#include "centra/error.h"
#include "centra/hashmap.h"
#include "centra/xmltree.h"
#include "centra/xmlwriter.h"
#include "sim_gen_int.h"

#define SIM_NS_CENTRA         "http://www.centra.com/webservices/"
#define SIM_NS_NAVISION       "http://www.silkvms.com/webservices/"
#define SIM_BATCH             100   /* events per events_Get, as Centra */
#define SIM_REQUEST_LOG       10000 /* update requests kept for GET /_sim/requests (the latest) */
#define SIM_REQUEST_LOG_BYTES (64u * 1024 * 1024) /* ... and at most this much of their bodies */
#define SIM_REQUEST_BODY_MAX  (1024u * 1024)      /* a body longer than this is kept cut */
#define SIM_MAX_INTERNED      4096                /* distinct event types, and distinct markets */
#define SIM_MAX_EVENT_ID      9007199254740991LL  /* 2^53 - 1: exact in every JSON reader */

/* How a served event is broken on purpose (fault injection), until acknowledged. */
typedef enum SimPoison {
    SIM_POISON_NONE,      /* served as is */
    SIM_POISON_MALFORMED, /* the guide's typo: <ordernumber>...</id> */
    SIM_POISON_CTRLCHAR   /* a control character (U+000B) in a text field */
} SimPoison;

typedef struct SimStoredEvent {
    char *entry;   /* <entry> */
    char *mission; /* <mission> */
    char *date;    /* <date> */
    char *data;    /* children of <data>, serialized in the server's style; "" for none */
} SimStoredEvent;

typedef struct SimEvent {
    long long id;           /* event id */
    uint32_t gen;           /* 1 + index into the plan; 0 for a stored event */
    uint16_t type;          /* index into store->types */
    int16_t market;         /* index into store->markets; -1 for none */
    uint8_t done;           /* acknowledged with events_Done */
    uint8_t poison;         /* SimPoison */
    SimStoredEvent *stored; /* for stored events */
} SimEvent;

typedef struct SimRequest {
    long long seq; /* 1, 2, ... in arrival order */
    char *op;      /* operation, e.g. orders_Update */
    char *time;    /* arrival, ISO 8601 UTC */
    char *body;    /* the request with the password masked */
} SimRequest;

typedef struct SimStyle {
    const char *ns;     /* namespace of the flavor */
    const char *prefix; /* element prefix, NULL for the default-namespace style */
    bool ok_responses;  /* answer updates with <xxxUpdateResponse>OK</...> */
} SimStyle;

typedef struct SimJournal SimJournal; /* --state-file (sim_journal_int.h) */

typedef struct SimStore {
    SimStyle style;      /* how responses and stored events are written */
    uint64_t seed;       /* generator seed */
    GenPlan plan;        /* generated events */
    SimEvent *events;    /* the queue, in id order */
    size_t nevents;      /* entries of events (done ones included) */
    size_t events_alloc; /* allocated entries */
    size_t first_live;   /* no entry below it is still queued */
    size_t live;         /* entries not done */
    size_t spoiled;      /* events a malformed or invalid_chars fault spoiled, ever */
    long long next_id;   /* id of the next event appended */
    char **types;        /* interned event types */
    size_t ntypes;
    char **markets; /* interned market ids */
    size_t nmarkets;
    long long *done_ids; /* acknowledged ids, in acknowledgement order */
    size_t ndone;
    size_t done_alloc;
    long long last_done;   /* the latest acknowledged id, 0 for none */
    HashMap *objects;      /* "type/id" -> XmlNode*: stored by updates and the catalog */
    HashMap *orders;       /* order id -> XmlNode*: orders changed by orders_Update */
    HashMap *refunds;      /* refund id -> order id (xstrdup): refund ids are global */
    HashMap *variations;   /* variation id -> product id (xstrdup): variation ids are global */
    HashMap *op_counts;    /* operation -> count (as uintptr_t) */
    SimRequest *requests;  /* logged update requests: a ring of SIM_REQUEST_LOG entries */
    size_t nrequests;      /* entries in use */
    size_t requests_head;  /* index of the oldest */
    size_t requests_bytes; /* bytes of the bodies kept */
    size_t requests_alloc;
    long long next_seq;     /* next request sequence number */
    size_t discarded_items; /* items of the updates answered unread (--discard-updates) */
    SimJournal *journal;    /* where changes are recorded (--state-file), or NULL */
} SimStore;

/* Set up an empty store with the style; then sim_store_generate. */
void sim_store_init(SimStore *s, const SimStyle *style);

/* Free everything (not the SimStore itself). */
void sim_store_free(SimStore *s);

/* Drop all state, keep the style. */
void sim_store_clear(SimStore *s);

/* Load the catalog and queue norders generated order events for seed. */
void sim_store_generate(SimStore *s, uint64_t seed, size_t norders);

/*
 * Append an event with data (children of <data>, already in the server's
 * style).  want_id > 0 keeps that id (refused if it is taken); 0 takes the
 * next one.  Returns the id, or 0 with err set (ERR_DATA).
 */
long long sim_store_append(SimStore *s, const char *type, const char *entry, const char *mission,
                           const char *date, const char *market, const char *data,
                           long long want_id, Error *err);

/*
 * Whether one more event of type and market (may be NULL) can be appended:
 * ids left, and room in the tables of distinct types and markets.  Else
 * false with err set (ERR_DATA).
 */
bool sim_store_event_fits(const SimStore *s, const char *type, const char *market, Error *err);

/* What the <id> of a loaded event means. */
typedef enum SimIdMode {
    SIM_IDS_KEEP, /* kept; one already used is an error */
    SIM_IDS_FREE, /* kept if free, else the next free id */
    SIM_IDS_NEW   /* ignored: every event takes the next free id */
} SimIdMode;

/*
 * Append the events in an XML document (any namespace or prefix, any
 * wrapper: every <event> element is taken), all or none.  An event without
 * an <id> takes the next free id; one with an id as mode says.  Returns the
 * number appended, or -1 with err set (ERR_DATA) and nothing appended.
 */
long sim_store_append_xml(SimStore *s, const char *xml, size_t len, SimIdMode mode, Error *err);

/*
 * The up to max oldest events still queued whose type matches (NULL or "all"
 * for every type) and whose market is one of markets (nmarkets 0: any).
 * Fills out and returns how many.
 */
size_t sim_store_select(SimStore *s, const char *type, const char *const *markets, size_t nmarkets,
                        SimEvent **out, size_t max);

/* Whether event e has type (NULL or "all": any) and one of markets (nmarkets 0: any). */
bool sim_store_matches(const SimStore *s, const SimEvent *e, const char *type,
                       const char *const *markets, size_t nmarkets);

/* Acknowledge ids; unknown or already acknowledged ids are ignored.  Returns how many. */
size_t sim_store_done(SimStore *s, const long long *ids, size_t n);

/* The event with this id, or NULL. */
SimEvent *sim_store_find(SimStore *s, long long id);

/* Serialize one event as an <event> element with w. */
void sim_store_write_event(SimStore *s, XmlWriter *w, const SimEvent *e);

/* Interned type name of an event. */
const char *sim_store_type(const SimStore *s, const SimEvent *e);

/* The key of object (type, id) in maps of objects: type, SIM_KEY_SEP, id. */
#define SIM_KEY_SEP "\x1f"
void sim_store_key(char *buf, size_t size, const char *type, const char *id);

/* An object stored under (type, id), or NULL. */
XmlNode *sim_store_object(SimStore *s, const char *type, const char *id);

/* Store obj under (type, id), replacing (and freeing) what was there. */
void sim_store_put_object(SimStore *s, const char *type, const char *id, XmlNode *obj);

/* The id of the product that variation id vid belongs to, or NULL. */
const char *sim_store_variation_owner(const SimStore *s, const char *vid);

/*
 * A copy of the current state of order id, owned by the caller, or NULL if
 * there is no such order: the order as the last successful update left it,
 * as it arrived in a loaded event, or else as generated (its latest
 * version).  Reading changes nothing: generated events keep being served
 * from the plan, each with the state it was generated with.
 */
XmlNode *sim_store_order_copy(SimStore *s, const char *id);

/* Store order (owned by the store from now on) as the current state of order id. */
void sim_store_put_order(SimStore *s, const char *id, XmlNode *order);

/* Count a request of operation op. */
void sim_store_count(SimStore *s, const char *op);

/*
 * Log an update request: body as received, with the content of every
 * <password> element of root (its parse) masked, cut after about
 * SIM_REQUEST_BODY_MAX bytes.  The oldest entries go when SIM_REQUEST_LOG
 * are kept or their bodies pass SIM_REQUEST_LOG_BYTES.
 */
void sim_store_log_request(SimStore *s, const char *op, const XmlNode *root, const char *body,
                           size_t len);

/* The i-th logged request, oldest first (i < s->nrequests). */
const SimRequest *sim_store_request(const SimStore *s, size_t i);

/* The formats of sim_now. */
typedef enum SimTime {
    SIM_TIME_EVENT, /* "2026-11-22 11:15:02": an event's <date>, Centra's local time */
    SIM_TIME_ISO,   /* "2026-11-22T11:15:02+01:00": timestamps inside objects */
    SIM_TIME_UTC    /* "2026-11-22T10:15:02Z": the admin API */
} SimTime;

/*
 * The current time.  The simulated Centra runs at UTC+01:00, as the guide's
 * samples and the generated data do, so that one order never mixes zones.
 */
void sim_now(char *buf, size_t size, SimTime format);

#endif /* TESTS_SIM_SIM_STORE_INT_H */
