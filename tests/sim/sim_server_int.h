/*
 * tests/sim/sim_server_int.h
 *     centra-sim's HTTP server: the SOAP endpoint and the /_sim admin API.
 *
 * Can run inside another program (the integration tests start one per test)
 * or as the centra-sim binary (sim_main.c).  Binds 127.0.0.1 on port 0 by
 * default and reports the port it got.
 */
#ifndef TESTS_SIM_SIM_SERVER_INT_H
#define TESTS_SIM_SIM_SERVER_INT_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "centra/error.h"
#include "sim_faults_int.h"
#include "sim_soap_int.h"
#include "sim_store_int.h"

#define SIM_DEFAULT_PATH     "/ams/system/service/module/soap/api"
#define SIM_NAVISION_PATH    "/ams/system/service/module/navision/soap" /* --flavor navision */
#define SIM_DEFAULT_USER     "centra-sim"
#define SIM_DEFAULT_PASSWORD "centra-sim"

typedef struct SimOptions {
    const char *host;               /* address to bind, "127.0.0.1" */
    unsigned port;                  /* 0 for any free port */
    const char *path;               /* SOAP endpoint path */
    bool navision;                  /* the legacy flavor's namespace */
    const char *prefix;             /* response element prefix; NULL: default namespace */
    bool ok_responses;              /* <xxxUpdateResponse>OK</...> instead of <result> */
    const char *username;           /* expected login */
    const char *password;           /* expected password */
    size_t orders;                  /* generated order events */
    uint64_t seed;                  /* generator and fault seed */
    const char *const *event_files; /* --events FILE|DIR, loaded after generating */
    size_t nevent_files;
    const SimFault *faults; /* faults active from the start */
    size_t nfaults;
    bool discard_updates;   /* answer *_Update unread, only counted (sim_soap_discard) */
    bool gzip;              /* --gzip: compress answers for clients that accept gzip */
    const char *tls_cert;   /* PEM certificate file: serve HTTPS; NULL: plain HTTP */
    const char *tls_key;    /* PEM private key file of tls_cert */
    const char *state_file; /* --state-file: journal and replay the state, or NULL */
} SimOptions;

#define SIM_MAX_ORDERS 50000000 /* largest --orders and reset?orders= */

typedef struct SimServer {
    SimOptions opts;      /* as started (strings borrowed) */
    pthread_mutex_t lock; /* held around every use of store and faults */
    sem_t busy;           /* SOAP requests being parsed and answered (bounds their memory) */
    SimStore store;       /* state */
    SimFaults faults;     /* active faults */
    SimAuth auth;         /* expected login */
    void *daemon;         /* struct MHD_Daemon */
    unsigned port;        /* the port bound */
    char url[512];        /* http://host:port/path */
    bool stopping;        /* sim_server_stop began: endless answers end */
    size_t gzipped;       /* answers sent compressed (--gzip); atomic */
    char *tls_cert_pem;   /* --tls-cert, read (NULL without TLS) */
    char *tls_key_pem;    /* --tls-key, read */
} SimServer;

/* Defaults for every option. */
void sim_options_default(SimOptions *o);

/*
 * Load the data (generate, read --events files), then listen.  On success
 * srv->url is the SOAP endpoint.  ERR_NO_INPUT/ERR_DATA for event files,
 * ERR_IO when the address cannot be bound.
 */
ErrKind sim_server_start(SimServer *srv, const SimOptions *opts, Error *err);

/* Stop listening and free everything. */
void sim_server_stop(SimServer *srv);

/* Back to the start state (data as loaded at start or with new orders/seed). */
ErrKind sim_server_reset(SimServer *srv, size_t orders, uint64_t seed, Error *err);

#endif /* TESTS_SIM_SIM_SERVER_INT_H */
