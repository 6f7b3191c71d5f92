/*
 * src/util/json.c
 *     JSON string escaping (see json.h).
 */
#include "centra/json.h"

#include <string.h>

#include "centra/utf8.h"

ErrKind
json_append_string(DynBuf *b, const char *s)
{
    return json_append_stringn(b, s, strlen(s));
}

ErrKind
json_append_stringn(DynBuf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    ErrKind rc = dynbuf_addc(b, '"');

    while (rc == ERR_OK && i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t n;

        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            rc = dynbuf_add(b, esc, 2);
            i++;
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
            if (c == '\n')
                rc = dynbuf_add(b, "\\n", 2);
            else if (c == '\t')
                rc = dynbuf_add(b, "\\t", 2);
            else if (c == '\r')
                rc = dynbuf_add(b, "\\r", 2);
            else
                rc = dynbuf_add(b, esc, 6);
            i++;
        } else if (c < 0x80) {
            rc = dynbuf_addc(b, (char)c);
            i++;
        } else if ((n = utf8_valid_prefix((const unsigned char *)s + i, len - i)) > 0) {
            rc = dynbuf_add(b, s + i, n);
            i += n;
        } else {
            rc = dynbuf_add(b, UTF8_REPLACEMENT, sizeof(UTF8_REPLACEMENT) - 1);
            i++;
        }
    }
    if (rc == ERR_OK)
        rc = dynbuf_addc(b, '"');
    return rc;
}
