/*
 * tests/sim/sim_journal_int.h
 *     centra-sim's state file (--state-file): what a real Centra would not
 *     forget when the simulator is killed and started again.
 *
 * Every change a client or the admin API makes to the store is appended
 * to the file as one record, with one write() (no fsync: the process dies,
 * not the machine): acknowledged event ids, the documents of POST
 * /_sim/events, update requests (password masked; replayed, they queue the
 * same order events and fill the request log again), events spoiled by a
 * fault, and resets.  Started again with the same --orders and --seed, the
 * simulator replays the file before it listens, so it serves exactly the
 * queue it served when it died.  Faults are not kept.
 *
 * File format: a header line "centra-sim-state 1 orders=N seed=S", then
 * records "TAG LENGTH [ARG...]\n" followed by LENGTH bytes and "\n".  A
 * record cut short by the kill is dropped (and cut off the file).
 */
#ifndef TESTS_SIM_SIM_JOURNAL_INT_H
#define TESTS_SIM_SIM_JOURNAL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "centra/error.h"
#include "sim_store_int.h"

struct SimServer;

/*
 * Open (or create) path, replay what it holds into srv's freshly loaded
 * store and attach it, so that changes from now on are appended.
 * ERR_IO when the file cannot be opened, read or written, ERR_DATA when it
 * is not a state file, was written with other --orders/--seed, or a record
 * cannot be replayed.
 */
ErrKind sim_journal_open(struct SimServer *srv, const char *path, Error *err);

/* Close the journal (NULL: nothing). */
void sim_journal_close(SimJournal *j);

/* Records: each a no-op when j is NULL. */
void sim_journal_done(SimJournal *j, const long long *ids, size_t n);
void sim_journal_events(SimJournal *j, SimIdMode mode, const char *xml, size_t len);
void sim_journal_update(SimJournal *j, const char *body, size_t len);
void sim_journal_poison(SimJournal *j, long long id, int poison);
void sim_journal_reset(SimJournal *j, size_t orders, uint64_t seed);

#endif /* TESTS_SIM_SIM_JOURNAL_INT_H */
