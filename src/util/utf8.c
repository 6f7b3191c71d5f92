/*
 * src/util/utf8.c
 *     UTF-8 validation per RFC 3629, table 3-7 of the Unicode standard.
 */
#include "centra/utf8.h"

size_t
utf8_valid_prefix(const unsigned char *s, size_t len)
{
    unsigned char c;
    unsigned char lo = 0x80; /* allowed range of the second byte */
    unsigned char hi = 0xBF;
    size_t n;
    size_t i;

    if (len == 0)
        return 0;
    c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else
        return 0;
    if (len < n)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

bool
utf8_is_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        size_t n = utf8_valid_prefix(p + i, len - i);

        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

size_t
utf8_scrub(char *s, size_t len)
{
    unsigned char *p = (unsigned char *)s;
    size_t fixed = 0;
    size_t i = 0;

    while (i < len) {
        size_t n = utf8_valid_prefix(p + i, len - i);

        if (n == 0) {
            p[i] = '?';
            fixed++;
            n = 1;
        }
        i += n;
    }
    return fixed;
}
