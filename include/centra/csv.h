/*
 * include/centra/csv.h
 *     An incremental RFC 4180 CSV reader.
 *
 * Input is fed in pieces of any size (a byte at a time works); each complete
 * record is handed to a callback, so memory is bounded by the longest record
 * (a cap fixed at csv_new), never by the file.  The dialect:
 * - fields are separated by commas and records by LF, CRLF or a lone CR;
 * - a field that starts with a double quote is quoted: it ends at the next
 *   lone double quote, holds commas, CR and LF verbatim, and "" stands for
 *   one double quote; after the closing quote only a comma or a line end may
 *   follow;
 * - a double quote inside an unquoted field is kept as it is;
 * - a UTF-8 byte order mark at the very start is skipped;
 * - empty lines (no characters at all) are skipped, not records.
 * The reader does not validate the encoding: that is the caller's business.
 */
#ifndef CENTRA_CSV_H
#define CENTRA_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/attrs.h"
#include "centra/error.h"

typedef struct CsvReader CsvReader;

typedef struct CsvRecord {
    long line;                 /* line number (1-based) on which the record starts */
    int nfields;               /* number of fields, at least 1 */
    const char *const *fields; /* the fields, each NUL-terminated (may hold NUL bytes) */
    const size_t *lens;        /* the length in bytes of each field */
} CsvRecord;

/*
 * Called for every record.  The record and its fields are borrowed: they
 * are valid until the callback returns.  A result other than ERR_OK (with
 * err set) stops the reader, and csv_feed or csv_finish returns it.
 */
typedef ErrKind (*CsvRecordFn)(void *arg, const CsvRecord *rec, Error *err);

/*
 * A reader that hands records to fn(arg, ...).  A record longer than
 * max_record bytes (its fields' bytes, unquoted, and the commas between
 * them) fails with ERR_TOO_BIG.  The caller frees it with
 * csv_free.
 */
CsvReader *csv_new(size_t max_record, CsvRecordFn fn, void *arg);

/*
 * Feed len bytes.  Errors: ERR_DATA (a character after a closing quote),
 * ERR_TOO_BIG (a record beyond the cap), or what the callback returned.
 * After an error the reader refuses further input with the same error kind.
 */
ErrKind csv_feed(CsvReader *r, const char *data, size_t len, Error *err) CB_MUSTCHECK;

/*
 * End of input: hand over the last record if it had no line end.  Errors:
 * ERR_DATA for a quoted field still open ("unterminated quoted field"), or
 * as csv_feed.
 */
ErrKind csv_finish(CsvReader *r, Error *err) CB_MUSTCHECK;

/* Number of lines seen so far (the line being read, 1-based). */
long csv_line(const CsvReader *r);

/* Free the reader; csv_free(NULL) is a no-op. */
void csv_free(CsvReader *r);

#endif /* CENTRA_CSV_H */
