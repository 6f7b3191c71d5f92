/*
 * include/centra/netaddr.h
 *     "ADDRESS:PORT" of a listening socket, as settings and options give it;
 *     the one spelling of a URL that names a queue.
 */
#ifndef CENTRA_NETADDR_H
#define CENTRA_NETADDR_H

#include <netinet/in.h>
#include <stdbool.h>

#include "centra/attrs.h"

/*
 * Parses text, "ADDRESS:PORT" with an IPv4 address (or "localhost") and a
 * port from 0 to 65535 (0: any free one), into addr.  On failure returns
 * false and sets *why to a sentence saying what is allowed.
 */
bool net_parse_listen(const char *text, struct sockaddr_in *addr, const char **why) CB_MUSTCHECK;

/*
 * url in one spelling, into out (size bytes, cut if too small): scheme and
 * host in lower case, the scheme's default port (http 80, https 443) left
 * out, an empty path as "/".  The rest is kept as it is (a path is case
 * sensitive), and host names are not resolved: "localhost" and "127.0.0.1"
 * stay two spellings.  Used in lock keys, so that one queue is one lock.
 */
void net_canonical_url(const char *url, char *out, size_t size);

#endif /* CENTRA_NETADDR_H */
