/*
 * include/centra/strutil.h
 *     Small string helpers shared by the modules.
 */
#ifndef CENTRA_STRUTIL_H
#define CENTRA_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/attrs.h"

/*
 * The text of errno value errnum in buf (thread-safe, unlike strerror, which
 * checksrc bans).  Returns buf.
 */
const char *str_errno(int errnum, char *buf, size_t size);

/* Levenshtein distance between a and b, capped at cap + 1 (cheap early out). */
size_t str_edit_distance(const char *a, const char *b, size_t cap);

/*
 * Of the n candidates, the one closest to word within a distance of 2 (for
 * "did you mean" hints), or NULL when none is close.
 */
const char *str_closest(const char *word, const char *const *candidates, size_t n);

/*
 * Write the n words quoted and joined as English prose into buf:
 * "a", "a" and "b", "a", "b" and "c".  Truncates to size.  Returns buf.
 */
char *str_join_quoted(const char *const *words, size_t n, char *buf, size_t size);

/* Whether c is XML white space: space, tab, newline or carriage return. */
static inline bool
str_is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A copy of the len bytes at s without the white space around them (caller frees with xfree). */
char *str_trimmed_copy(const char *s, size_t len);

/* Whether s starts with prefix. */
bool str_starts_with(const char *s, const char *prefix);

/* First occurrence of the nlen bytes of needle in the hlen bytes of hay, or NULL. */
const char *str_find(const char *hay, size_t hlen, const char *needle, size_t nlen);

/*
 * Parse a whole decimal integer (optional sign, no trailing text) into *out.
 * Returns false on syntax error or overflow.
 */
bool str_to_ll(const char *s, long long *out);

/*
 * Parse a duration: an integer with an optional unit "ms", "s", "min" or "h"
 * (no unit means seconds), into milliseconds.  Returns false on syntax error
 * or overflow.
 */
bool str_to_duration_ms(const char *s, long long *out);

/* Format a duration in milliseconds the way str_to_duration_ms reads it. */
char *str_format_duration(long long ms, char *buf, size_t size);

/*
 * Parse a size: a whole number with an optional unit B, kB, MB or GB (powers
 * of 1024, as PostgreSQL writes them; case is ignored); no unit means bytes.
 * Returns false on anything else or on overflow.
 */
bool str_to_size(const char *s, long long *out);

/* Format a size in bytes the way str_to_size reads it, in the largest exact unit. */
char *str_format_size(long long bytes, char *buf, size_t size);

/*
 * Quote up to max bytes of s (len bytes) for a message into out (size
 * bytes): runs of whitespace and control characters become one space,
 * invalid UTF-8 '?', and a cut is marked with "...".  Returns out.
 */
const char *str_sanitize(const char *s, size_t len, size_t max, char *out, size_t size);

#endif /* CENTRA_STRUTIL_H */
