/*
 * tests/sim/sim_soap_int.h
 *     centra-sim's SOAP endpoint: one request in, one reply out.
 */
#ifndef TESTS_SIM_SIM_SOAP_INT_H
#define TESTS_SIM_SIM_SOAP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/dynbuf.h"
#include "sim_faults_int.h"
#include "sim_store_int.h"

typedef enum SimCut {
    SIM_CUT_NONE,     /* send the whole body */
    SIM_CUT_DROP,     /* chunked: send half, then close the connection */
    SIM_CUT_TRUNCATE, /* Content-Length of the whole, send half, then close */
    SIM_CUT_HUGE,     /* chunked: the start of the body, then text up to cut_param bytes */
    SIM_CUT_ENDLESS   /* chunked: the start of the body, then nothing for cut_param ms */
} SimCut;

typedef struct SimReply {
    int status;               /* HTTP status */
    const char *content_type; /* of body */
    DynBuf body;              /* the answer */
    long retry_after;         /* seconds, for a Retry-After header; -1 for none */
    long delay_ms;            /* wait this long before answering (outside the lock) */
    SimCut cut;               /* cut the body short on purpose */
    long cut_param;           /* huge: bytes in all; endless: ms to hold the connection */
} SimReply;

typedef struct SimAuth {
    const char *username; /* expected <login><username> */
    const char *password; /* expected <login><password> */
} SimAuth;

/* Initialise a reply (200, empty body). */
void sim_reply_init(SimReply *r);

/* Free a reply's body. */
void sim_reply_free(SimReply *r);

/*
 * Parse a request body (without the server lock: parsing is the slow part).
 * Returns the document, or NULL with err set.
 */
XmlNode *sim_soap_parse(const char *body, size_t len, Error *err);

/*
 * Answer a request: root is its parse from sim_soap_parse, or NULL with
 * parse_err saying why; body is kept for the request log.  The caller holds
 * the server lock.
 */
void sim_soap_handle(SimStore *s, SimFaults *f, const SimAuth *auth, const XmlNode *root,
                     const Error *parse_err, const char *body, size_t len, SimReply *reply);

/*
 * --discard-updates: when body is a *_Update request, count it (by
 * operation) and its items (s->discarded_items), answer success without
 * parsing, checking the login or applying it, and return true; false for any
 * other request.  A cheap scan of the tags, no XML parser: the item elements
 * counted are those two levels below the operation element (<products>
 * <product>).  Transport faults apply as for any request.  The caller holds
 * the server lock.
 */
bool sim_soap_discard(SimStore *s, SimFaults *f, const char *body, size_t len, SimReply *reply);

#endif /* TESTS_SIM_SIM_SOAP_INT_H */
