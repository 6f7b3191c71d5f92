/*
 * include/centra/netaddr.h
 *     "ADDRESS:PORT" of a listening socket, as settings and options give it.
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

#endif /* CENTRA_NETADDR_H */
