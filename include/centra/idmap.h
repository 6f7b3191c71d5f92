/*
 * include/centra/idmap.h
 *     "idmap import" and "idmap export": centra.id_map to and from CSV files
 *     in the format of Centra's ID conversion table (docs/idmap.md).
 *
 * Import streams: the file is read in pieces by the CSV reader, each row is
 * validated and COPYed into a temporary table, so memory does not grow with
 * the file.  Nothing reaches centra.id_map unless every row is valid; then
 * one set-based upsert applies the whole file in one transaction.
 */
#ifndef CENTRA_IDMAP_H
#define CENTRA_IDMAP_H

#include <stdbool.h>
#include <stdio.h>

#include "centra/attrs.h"
#include "centra/config.h"
#include "centra/error.h"

#define IDMAP_EXTERNAL_ID_MAX 255 /* characters of an external id */
#define IDMAP_BAD_ROWS_SHOWN  20  /* bad rows named in an import error */

/* What an import did (or, with dry_run, would do). */
typedef struct IdmapCounts {
    long long rows;      /* data rows in the file */
    long long added;     /* mappings new to centra.id_map */
    long long changed;   /* existing mappings whose centra_id, name or source changed */
    long long unchanged; /* existing mappings already as in the file */
    long long replaced;  /* mappings removed: their centra_id now belongs to another erp_id */
    long long repeated;  /* rows repeating an earlier row's mapping (counted once) */
} IdmapCounts;

/*
 * The kind of id_map for a type name as Centra's admin or our export writes
 * it, matched case-insensitively, ignoring spaces, '_' and '-' and a plural
 * "s" ("Product", "Variant", "Price list", "customers"): a static string
 * such as "variation", or NULL when unknown.
 */
const char *idmap_kind_parse(const char *name);

/* The accepted kinds, "order, product, ...", for messages.  Static. */
const char *idmap_kinds_list(void);

/*
 * Import the CSV file at path ("-" for stdin) into centra.id_map.  Every
 * row is validated; when any is bad, nothing is written and ERR_DATA names
 * the bad rows (at most IDMAP_BAD_ROWS_SHOWN) with their lines and columns.
 * With dry_run the changes are computed and rolled back.  *counts is
 * filled on success.  Errors: ERR_NO_INPUT (path cannot be opened),
 * ERR_IO, ERR_DATA, ERR_TOO_BIG (a row beyond 64 KiB), the database's.
 */
ErrKind idmap_import(const Config *cfg, const char *path, bool dry_run, IdmapCounts *counts,
                     Error *err) CB_MUSTCHECK;

/*
 * Write centra.id_map as CSV to out, with the header
 * type,centra_id,external_id,name,source,updated_at, ordered by type and
 * external id.  kinds (nkinds entries, canonical kinds from
 * idmap_kind_parse) and source (NULL = any) restrict the rows.  *rows
 * receives the rows written.  Errors: ERR_IO (writing out failed), the
 * database's.
 */
ErrKind idmap_export(const Config *cfg, const char *const *kinds, int nkinds, const char *source,
                     FILE *out, long long *rows, Error *err) CB_MUSTCHECK;

#endif /* CENTRA_IDMAP_H */
