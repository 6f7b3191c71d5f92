/*
 * src/util/netaddr.c
 *     "ADDRESS:PORT" of a listening socket.
 */
#include "centra/netaddr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "centra/strutil.h"

bool
net_parse_listen(const char *text, struct sockaddr_in *addr, const char **why)
{
    const char *colon = strrchr(text, ':');
    char host[64];
    long long port;

    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    if (colon == NULL || colon == text || (size_t)(colon - text) >= sizeof(host) ||
        !str_to_ll(colon + 1, &port) || port < 0 || port > 65535) {
        *why = "Write ADDRESS:PORT with an IPv4 address and a port from 0 to 65535, e.g. "
               "127.0.0.1:9470 (port 0: any free port).";
        return false;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
        *why = "The address must be an IPv4 address (or localhost): 127.0.0.1 to serve this "
               "machine only, or the address of one of its interfaces.";
        return false;
    }
    addr->sin_port = htons((uint16_t)port);
    return true;
}

/* Where host..end ends without the scheme's default port (":443" for https, ":80" else). */
static const char *
without_default_port(const char *host, const char *end, bool https)
{
    const char *port = https ? ":443" : ":80";
    size_t len = strlen(port);

    return (size_t)(end - host) > len && memcmp(end - len, port, len) == 0 ? end - len : end;
}

void
net_canonical_url(const char *url, char *out, size_t size)
{
    const char *sep = strstr(url, "://");
    const char *host;
    const char *end;
    const char *at;
    const char *host_end;
    size_t n = 0;
    bool https;

    if (size == 0)
        return;
    if (sep == NULL) {
        snprintf(out, size, "%s", url);
        return;
    }
    https = (size_t)(sep - url) == 5 && strncasecmp(url, "https", 5) == 0;
    host = sep + 3;
    end = host + strcspn(host, "/?#");
    at = memchr(host, '@', (size_t)(end - host));
    if (at != NULL)
        host = at + 1; /* credentials are refused in settings; never part of a key */
    for (const char *c = url; c < sep && n + 1 < size; c++)
        out[n++] = (char)tolower((unsigned char)*c);
    for (const char *c = "://"; *c != '\0' && n + 1 < size; c++)
        out[n++] = *c;
    host_end = without_default_port(host, end, https);
    for (const char *c = host; c < host_end && n + 1 < size; c++)
        out[n++] = (char)tolower((unsigned char)*c);
    out[n] = '\0';
    snprintf(out + n, size - n, "%s%s", *end == '/' ? "" : "/", end);
}
