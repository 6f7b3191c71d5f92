/*
 * include/centra/error_kinds.h
 *     The one list of error kinds, in the manner of pgBackRest's build/error.yaml.
 *
 * Each row: ERR_KIND(NAME, "name", exit code, retryable, "what it means").
 * The exit codes follow sysexits(3) as DESIGN.md fixes them: 64 usage, 69 Centra
 * or the database unreachable, 77 Centra rejected the credentials, 78
 * configuration, 1 finished but something was quarantined or failed for good.
 * Beyond the contract: 70 internal error (a bug, or an SQL statement of ours
 * failing), 74 file I/O, 75 temporary failure worth retrying later, 76 Centra
 * answered with an error or something not understood (EX_PROTOCOL).  "retryable" says whether a
 * caller may try the same operation again after a backoff; once retries are
 * exhausted the caller reports the same kind with all attempts in the detail.
 *
 * This file is included several times with different definitions of ERR_KIND:
 * it has no include guard on purpose.
 */

/* clang-format off */
/*       NAME            name              exit retryable description */
ERR_KIND(OK,             "ok",                0, false, "success")
ERR_KIND(PARTIAL,        "partial",           1, false,
         "finished, but something was quarantined or failed permanently")
ERR_KIND(USAGE,          "usage",            64, false, "invalid command line")
ERR_KIND(DATA,           "data",             65, false, "input data is malformed")
ERR_KIND(TOO_BIG,        "too_big",          65, false,
         "a document or value exceeds its configured limit")
ERR_KIND(NO_INPUT,       "no_input",         66, false, "an input file is missing or unreadable")
ERR_KIND(DB_CONNECTION,  "db_connection",    69, true,
         "the connection to PostgreSQL failed or was lost")
ERR_KIND(INTERNAL,       "internal",         70, false, "internal error")
ERR_KIND(IO,             "io",               74, false, "reading or writing a file failed")
ERR_KIND(DB_CONFLICT,    "db_conflict",      75, true,
         "serialization failure or deadlock; the transaction can be retried")
ERR_KIND(DB_TIMEOUT,     "db_timeout",       75, false, "a database statement timed out")
ERR_KIND(BUSY,           "busy",             75, false, "another run holds the lock")
ERR_KIND(CONFIG,         "config",           78, false, "invalid configuration")
ERR_KIND(DB_AUTH,        "db_auth",          78, false,
         "PostgreSQL refused the connection: credentials, database name or pg_hba.conf")
ERR_KIND(DB_PERMISSION,  "db_permission",    78, false, "the database user lacks a privilege")
ERR_KIND(MIGRATION,      "migration",        78, false,
         "the database schema does not match this binary's migrations")
ERR_KIND(DB_SCHEMA,      "db_schema",        78, false,
         "the database schema is missing or older than this binary")
ERR_KIND(DB_QUERY,       "db_query",         70, false, "an SQL statement failed")
ERR_KIND(CENTRA_UNAVAILABLE, "centra_unavailable", 69, true,
         "Centra could not be reached or answered with a temporary error")
ERR_KIND(CENTRA_AUTH,    "centra_auth",      77, false, "Centra rejected the credentials")
ERR_KIND(CENTRA_FAULT,   "centra_fault",     76, false,
         "Centra answered with a SOAP fault or a response that is not understood")
ERR_KIND(CENTRA_TLS,     "centra_tls",       78, false,
         "the TLS certificate of Centra could not be verified")
/* clang-format on */
