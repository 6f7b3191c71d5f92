/*
 * include/centra/archive.h
 *     The answer archive (CENTRA_ARCHIVE_DIR): every events_Get answer that
 *     held events, kept byte for byte as Centra sent it, in a file of its own.
 *
 * Why: Centra has no read API, so an event acknowledged with events_Done
 * exists nowhere but in the database.  A database restored from a backup
 * older than the last import has lost those events for good, unless their
 * answers were kept somewhere else: "centra-bridge load" replays archived
 * answers (it recognises what is already stored).
 *
 * How: the answer is written to a hidden temporary file in the directory as
 * it streams in (never held whole); once it has been read to its end, it is
 * fsynced and linked under its final name, and the directory is fsynced,
 * before the batch is committed and long before events_Done.  A failed
 * write fails the batch: nothing of it is stored or acknowledged.
 */
#ifndef CENTRA_ARCHIVE_H
#define CENTRA_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "centra/attrs.h"
#include "centra/error.h"

typedef struct Archive Archive;

/*
 * Check that dir names a directory this process may create files in:
 * ERR_CONFIG naming "setting" (CENTRA_ARCHIVE_DIR) when it is not.
 */
ErrKind archive_check_dir(const char *dir, const char *setting, Error *err) CB_MUSTCHECK;

/*
 * Start archiving one answer into a new temporary file of dir (mode 0600):
 * ERR_IO when it cannot be created.
 */
ErrKind archive_open(const char *dir, Archive **out, Error *err) CB_MUSTCHECK;

/* Append len bytes of the answer: ERR_IO when the write fails (disk full). */
ErrKind archive_write(Archive *a, const char *data, size_t len, Error *err) CB_MUSTCHECK;

/*
 * Make the answer durable under its final name, "YYYYMMDDTHHMMSS.mmmZ-run<run_id>-<n>.xml"
 * (UTC; the time the answer began; n counts the answers this process archived; "-<k>"
 * after n when the name was taken; "-cut" before ".xml" when cut, an answer the parser
 * stopped reading at centra_max_response_size), and free a.  The name is stored in *name
 * (NULL: not wanted; else freed by the caller).  ERR_IO when fsync or the rename fails;
 * the temporary file is removed then too.
 */
ErrKind archive_keep(Archive *a, long long run_id, bool cut, char **name, Error *err) CB_MUSTCHECK;

/* Take *t as the time the answer began (for tests: it decides the final name). */
void archive_set_began(Archive *a, const struct timespec *t);

/* Remove the temporary file and free a (NULL is fine). */
void archive_discard(Archive *a);

#endif /* CENTRA_ARCHIVE_H */
