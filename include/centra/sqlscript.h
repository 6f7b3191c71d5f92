/*
 * include/centra/sqlscript.h
 *     Places in an SQL script (a migration, a sql/ file): where its
 *     statements start, and the line and column of a character position.
 *
 * Used only to say where an error is, never to run anything: the script is
 * still sent whole.  The statement split follows the server's (and psql's)
 * lexer closely enough for that: quotes, E'' strings, dollar quotes, nested
 * comments, parentheses, and BEGIN ... END bodies of CREATE FUNCTION and
 * CREATE PROCEDURE.  Assumes standard_conforming_strings = on.
 */
#ifndef CENTRA_SQLSCRIPT_H
#define CENTRA_SQLSCRIPT_H

#include <stddef.h>

/*
 * Byte offset in sql of the first token of statement number index (0-based).
 * Empty statements (only white space and comments) are not counted, as the
 * server does not run them.  -1 when sql has no such statement.
 */
long sqlscript_statement_start(const char *sql, int index);

/*
 * Byte offset in sql of character number pos (1-based, in characters, not
 * bytes, as PostgreSQL counts PG_DIAG_STATEMENT_POSITION), at most strlen(sql).
 */
size_t sqlscript_char_offset(const char *sql, long long pos);

/*
 * Byte offset of the first character of the body of the statement starting
 * at byte stmt: the inside of its first quoted or dollar-quoted string, as in
 * DO $$ ... $$.  -1 when the statement has none.
 */
long sqlscript_body_start(const char *sql, size_t stmt);

/* 1-based line and column (in characters) of byte offset off in sql. */
void sqlscript_line_of(const char *sql, size_t off, int *line, int *column);

#endif /* CENTRA_SQLSCRIPT_H */
