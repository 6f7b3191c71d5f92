/*
 * include/centra/loader.h
 *     Writes parsed events into the staging tables: one transaction per
 *     batch (an events_Get answer or a saved file), set-based.
 *
 * How: while the answer streams, the parser's output is COPYed into a
 * session-local work table (pg_temp.cb_rows); when it ends, a fixed list of
 * prepared INSERT ... SELECT statements moves it into centra.* in one go:
 * events are classified (duplicate, quarantined, applied, stale, unhandled),
 * the newest event of each order replaces the order's rows, other objects
 * go to centra.entities, and centra.id_map learns the ids seen.  Nothing is
 * visible to others before loader_commit.
 *
 * Rules it enforces (DESIGN.md 1-3): an event id already stored is skipped
 * (re-delivery changes nothing); an order is only changed by an event newer
 * than its last_event_id; every event is stored, quarantined ones with their
 * raw bytes.
 */
#ifndef CENTRA_LOADER_H
#define CENTRA_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/attrs.h"
#include "centra/db.h"
#include "centra/error.h"
#include "centra/eventparser.h"

typedef struct Loader Loader;

typedef struct LoaderCounts {
    int received;    /* events in the batch */
    int applied;     /* order events written to the order tables */
    int stale;       /* older than the stored state */
    int unhandled;   /* other types (kept in centra.entities) */
    int duplicate;   /* already stored: skipped */
    int quarantined; /* stored with raw bytes and the reason */
} LoaderCounts;

/*
 * New loader on db (borrowed).  timezone is CENTRA_TIMEZONE, the zone of
 * dates written without one; origin says where it was set, for the error
 * when PostgreSQL does not know it (NULL: not said).  Caller frees with
 * loader_free.
 */
Loader *loader_new(DbConn *db, const char *timezone, const char *origin);

/* Free L; loader_free(NULL) is a no-op.  An open batch is rolled back. */
void loader_free(Loader *L);

/*
 * Start a batch: set the session up if the connection is new (time zone,
 * UTF-8, work tables; ERR_CONFIG for an unknown time zone or a database not
 * in UTF-8), BEGIN, and start the COPY that loader_sink feeds.
 */
ErrKind loader_begin(Loader *L, Error *err) CB_MUSTCHECK;

/* The parser sink that writes into the open batch.  Owned by L. */
const EvpSink *loader_sink(Loader *L);

/*
 * End the COPY and apply the batch to the staging tables (still
 * uncommitted).  run_id (0 for none) and source ("centra" or "file:PATH")
 * are recorded on each event.  *c receives the counts.
 */
ErrKind loader_apply(Loader *L, long long run_id, const char *source, LoaderCounts *c,
                     Error *err) CB_MUSTCHECK;

/* COMMIT the batch. */
ErrKind loader_commit(Loader *L, Error *err) CB_MUSTCHECK;

/* Abandon the batch (COPY aborted, ROLLBACK); errors are only logged. */
void loader_abort(Loader *L);

/*
 * Event ids of the current batch that may be acknowledged once it is
 * committed: every event whose id could be read (duplicates and quarantined
 * ones included), each once.  Owned by L, valid until the next loader_begin.
 */
const long long *loader_ack_ids(const Loader *L, size_t *n);

/*
 * Events of the current batch whose id could not be read (quarantined):
 * they cannot be acknowledged.  An id given twice is acknowledged once, so
 * this is not the events received less loader_ack_ids.
 */
int loader_unidentified(const Loader *L);

/*
 * Whether the batch's answer broke in an event already stored (that copy is
 * not stored) with other events after it: no row holds those, the answer
 * was read up to its error only.  Set by loader_apply.
 */
bool loader_lost_after_broken(const Loader *L);

/*
 * Whether the batch's answer broke in an event that was quarantined, with
 * other events after it: they are in its raw bytes (centra.events.raw).
 */
bool loader_kept_after_broken(const Loader *L);

/* Record that Centra confirmed events_Done for ids: centra.events.done_at. */
ErrKind loader_mark_done(Loader *L, const long long *ids, size_t n, Error *err) CB_MUSTCHECK;

#endif /* CENTRA_LOADER_H */
