/*
 * src/util/strutil.c
 *     Small string helpers (see strutil.h).
 */
#include "centra/strutil.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "centra/alloc.h"
#include "centra/utf8.h"

const char *
str_errno(int errnum, char *buf, size_t size)
{
    /* _DEFAULT_SOURCE without _GNU_SOURCE selects the XSI strerror_r. */
    if (strerror_r(errnum, buf, size) != 0)
        snprintf(buf, size, "error %d", errnum);
    return buf;
}

size_t
str_edit_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    size_t row[64];

    if (lb >= CB_LENGTH(row) || (la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        size_t best;

        row[0] = i;
        best = row[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = diag + cost;

            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > cap)
            return cap + 1;
    }
    return row[lb] > cap ? cap + 1 : row[lb];
}

const char *
str_closest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3;

    for (size_t i = 0; i < n; i++) {
        size_t d = str_edit_distance(word, candidates[i], 2);

        if (d < best_d) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}

char *
str_join_quoted(const char *const *words, size_t n, char *buf, size_t size)
{
    size_t used = 0;

    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        const char *sep = i == 0 ? "" : (i + 1 == n ? " and " : ", ");
        int w = snprintf(buf + used, size - used, "%s\"%s\"", sep, words[i]);

        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

bool
str_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *
str_find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    if (nlen == 0)
        return hay;
    for (size_t i = 0; i + nlen <= hlen; i++) {
        const char *p = memchr(hay + i, needle[0], hlen - i - nlen + 1);

        if (p == NULL)
            return NULL;
        i = (size_t)(p - hay);
        if (memcmp(p, needle, nlen) == 0)
            return p;
    }
    return NULL;
}

bool
str_to_ll(const char *s, long long *out)
{
    char *end;
    long long v;

    if (s == NULL || *s == '\0' || *s == ' ' || *s == '\t')
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* A unit and what one of it is worth. */
typedef struct UnitDef {
    const char *unit; /* as written after the number; "" for none */
    long long mult;   /* its value in the base unit */
} UnitDef;

/*
 * A whole number followed by one of units (compared ignoring case when
 * fold), times that unit; false on anything else or on overflow.
 */
static bool
parse_with_unit(const char *s, const UnitDef *units, size_t n, bool fold, long long *out)
{
    char *end;
    long long v;

    if (s == NULL || !(*s >= '0' && *s <= '9'))
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((fold ? strcasecmp(end, units[i].unit) : strcmp(end, units[i].unit)) == 0) {
            if (v > LLONG_MAX / units[i].mult)
                return false;
            *out = v * units[i].mult;
            return true;
        }
    }
    return false;
}

bool
str_to_duration_ms(const char *s, long long *out)
{
    static const UnitDef units[] = {
        {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"", 1000}};

    return parse_with_unit(s, units, CB_LENGTH(units), false, out);
}

char *
str_format_duration(long long ms, char *buf, size_t size)
{
    if (ms != 0 && ms % 3600000 == 0)
        snprintf(buf, size, "%lldh", ms / 3600000);
    else if (ms != 0 && ms % 60000 == 0)
        snprintf(buf, size, "%lldmin", ms / 60000);
    else if (ms % 1000 == 0)
        snprintf(buf, size, "%llds", ms / 1000);
    else
        snprintf(buf, size, "%lldms", ms);
    return buf;
}

bool
str_to_size(const char *s, long long *out)
{
    static const UnitDef units[] = {
        {"", 1}, {"b", 1}, {"kb", 1024}, {"mb", 1024 * 1024}, {"gb", 1024 * 1024 * 1024}};

    return parse_with_unit(s, units, CB_LENGTH(units), true, out);
}

char *
str_format_size(long long bytes, char *buf, size_t size)
{
    static const char *const units[] = {"GB", "MB", "kB"};
    long long mult = 1024LL * 1024 * 1024;

    for (size_t i = 0; i < CB_LENGTH(units); i++, mult /= 1024) {
        if (bytes != 0 && bytes % mult == 0) {
            snprintf(buf, size, "%lld%s", bytes / mult, units[i]);
            return buf;
        }
    }
    snprintf(buf, size, "%lldB", bytes);
    return buf;
}

char *
str_trimmed_copy(const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)s[0])) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    return xstrndup(s, len);
}

/*
 * Quote up to max bytes of s (len bytes) for a message into out: runs of
 * whitespace and control characters become one space, invalid UTF-8 '?',
 * and a cut is marked with "...".  Returns out.
 */
const char *
str_sanitize(const char *s, size_t len, size_t max, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    size_t i = 0;
    bool gap = false; /* whitespace or control characters since the last output */

    if (max + 4 > size)
        max = size - 4;
    while (i < len) {
        size_t n = utf8_valid_prefix(p + i, len - i);
        const char *piece = n == 0 ? "?" : s + i;
        size_t plen = n == 0 ? 1 : n;

        if (n == 1 && (p[i] <= 0x20 || p[i] == 0x7F)) {
            gap = true;
            i++;
            continue;
        }
        if (o + (gap && o > 0) + plen > max)
            break;
        if (gap && o > 0)
            out[o++] = ' ';
        gap = false;
        memcpy(out + o, piece, plen);
        o += plen;
        i += plen;
    }
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}
