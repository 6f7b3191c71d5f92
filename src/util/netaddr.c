/*
 * src/util/netaddr.c
 *     "ADDRESS:PORT" of a listening socket.
 */
#include "centra/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

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
