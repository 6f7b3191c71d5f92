/*
 * include/centra/utf8.h
 *     UTF-8 validation helpers.
 */
#ifndef CENTRA_UTF8_H
#define CENTRA_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* U+FFFD REPLACEMENT CHARACTER, encoded. */
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

/*
 * Length (1-4) of the well-formed UTF-8 sequence at the start of s, or 0 if
 * the bytes there are not one (overlong forms, surrogates and code points
 * above U+10FFFF are rejected, as RFC 3629 requires).  len is the number of
 * bytes available.
 */
size_t utf8_valid_prefix(const unsigned char *s, size_t len);

/* Whether the len bytes at s are entirely well-formed UTF-8. */
bool utf8_is_valid(const char *s, size_t len);

/*
 * Make the len bytes at s well-formed UTF-8 in place: every byte that does
 * not belong to a well-formed sequence becomes '?'.  Returns how many did.
 */
size_t utf8_scrub(char *s, size_t len);

#endif /* CENTRA_UTF8_H */
