/*
 * tests/sim/sim_main.c
 *     The centra-sim binary: options, start, print the URL, wait for a signal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/log.h"
#include "centra/options.h"
#include "centra/strutil.h"
#include "centra/version.h"
#include "sim_server_int.h"

static const char sim_help[] =
    "centra-sim: a Centra SOAP API simulator for tests, benchmarks and demos.\n"
    "\n"
    "Usage: centra-sim [OPTION]...\n"
    "\n"
    "Serves Centra's ERP SOAP API (events_Get, events_GetByMarkets, events_Done and\n"
    "the 14 *_Update operations) on http://HOST:PORT/PATH, from generated data or\n"
    "recorded events, and prints the URL it listens on.\n"
    "\n"
    "Options:\n"
    "      --listen=HOST:PORT    address to bind (default 127.0.0.1:0, any free port)\n"
    "      --path=PATH           SOAP endpoint path (default " SIM_DEFAULT_PATH ",\n"
    "                            with --flavor=navision " SIM_NAVISION_PATH ")\n"
    "      --flavor=FLAVOR       soap (default) or navision (namespace\n"
    "                            http://www.silkvms.com/webservices/)\n"
    "      --style=STYLE         response element prefix, e.g. ns1 (the default, as in\n"
    "                            Centra's guide), or \"default\" for a default namespace\n"
    "      --response-style=S    result (default: <result><success>...) or ok\n"
    "                            (<xxxUpdateResponse>OK</...>)\n"
    "      --username=NAME       expected SOAP login (default " SIM_DEFAULT_USER "); the\n"
    "                            password comes from CENTRA_SIM_PASSWORD (default\n"
    "                            " SIM_DEFAULT_PASSWORD ")\n"
    "      --orders=N            generate N order events (default 0)\n"
    "      --seed=S              generator and fault seed (default 1)\n"
    "      --events=FILE|DIR     also queue the <event> elements of FILE, or of every\n"
    "                            *.xml file in DIR (repeatable)\n"
    "      --fault=SPEC          inject a fault: KIND[:count=N|:rate=R][:ms=N]\n"
    "                            [:retry_after=S][:bytes=N][:op=OPERATION] (repeatable);\n"
    "                            kinds:\n"
    "                            http_500 http_503 http_429 soap_fault delay drop truncate\n"
    "                            malformed invalid_chars repeat slow_done huge endless\n"
    "                            html_200 refuse twice accepted_errors\n"
    "      --url-file=FILE       also write the URL to FILE\n"
    "      --gzip                compress whole answers with gzip for clients that\n"
    "                            accept it (Accept-Encoding)\n"
    "      --discard-updates     answer every *_Update with success after counting it\n"
    "                            and its items, unparsed and unapplied (benchmarks)\n"
    "      --tls-cert=FILE       serve HTTPS with this PEM certificate (with --tls-key);\n"
    "                            the URL printed is then https://\n"
    "      --tls-key=FILE        the PEM private key of --tls-cert\n"
    "      --state-file=FILE     keep the queue, acknowledgements and updates in FILE\n"
    "                            and replay it on start (survives SIGKILL)\n"
    "  -v, --verbose             log each request\n"
    "  -q, --quiet               log errors only\n"
    "  -h, --help                show this help, then exit\n"
    "  -V, --version             show the version, then exit\n"
    "\n"
    "Admin API (JSON): GET /_sim/state, GET /_sim/requests?op=OP&since=SEQ,\n"
    "POST /_sim/events (XML with <event> elements), GET|POST /_sim/faults?kind=...,\n"
    "POST /_sim/reset?orders=N&seed=S.  See docs/simulator.md.\n";

enum {
    OPT_LISTEN = 1000,
    OPT_PATH,
    OPT_FLAVOR,
    OPT_STYLE,
    OPT_RESPONSE_STYLE,
    OPT_USERNAME,
    OPT_ORDERS,
    OPT_SEED,
    OPT_EVENTS,
    OPT_FAULT,
    OPT_URL_FILE,
    OPT_DISCARD_UPDATES,
    OPT_GZIP,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_STATE_FILE
};

/* A usage error: message, detail (may be ""), and the hint to read --help. */
static void
print_usage_error(const char *message, const char *detail)
{
    Error err;

    err_set(&err, ERR_USAGE, "%s", message);
    if (detail[0] != '\0')
        err_detail(&err, "%s", detail);
    err_hint(&err, "Try \"centra-sim --help\" for more information.");
    usage_error_print("centra-sim", &err);
}

static void usage_error(const char *fmt, ...) CB_PRINTF(1, 2);

static void
usage_error(const char *fmt, ...)
{
    char message[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    print_usage_error(message, "");
}

/* Report the option getopt_long refused (rc '?' or ':'); at is optind before that call. */
static void
bad_option(int argc, char **argv, int at, int rc)
{
    char msg[256];

    usage_error("%s", option_error(argc, argv, at, rc, msg, sizeof(msg)));
}

/*
 * Whether p can be an element prefix: an XML name without ':' (ASCII
 * letters, digits, '_', '-', '.'; not starting with a digit, '-' or '.'),
 * and not reserved (starting with "xml" in any case).
 */
static bool
valid_prefix(const char *p)
{
    static const char first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    static const char rest[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                               "0123456789-.";

    if (p[0] == '\0' || strchr(first, p[0]) == NULL || strspn(p, rest) != strlen(p) ||
        strlen(p) > 32)
        return false;
    /* "SOAP-ENV" is the envelope's own prefix in every answer. */
    return strncasecmp(p, "xml", 3) != 0 && strcmp(p, "SOAP-ENV") != 0;
}

/* HOST:PORT, HOST an IPv4 address (checked here, before any data is generated). */
static bool
parse_listen(const char *arg, SimOptions *o, char *host, size_t size)
{
    const char *colon = strrchr(arg, ':');
    struct in_addr addr;
    long long port;

    if (colon == NULL || (size_t)(colon - arg) >= size || !str_to_ll(colon + 1, &port) ||
        port < 0 || port > 65535)
        return false;
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = '\0';
    if (inet_pton(AF_INET, host, &addr) != 1)
        return false;
    o->host = host;
    o->port = (unsigned)port;
    return true;
}

/* Write url to path atomically (readers never see a partial line). */
static bool
write_url_file(const char *path, const char *url)
{
    char tmp[4096];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "w");
    if (f == NULL)
        return false;
    fprintf(f, "%s\n", url);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return false;
    }
    return true;
}

int
main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"path", required_argument, NULL, OPT_PATH},
        {"flavor", required_argument, NULL, OPT_FLAVOR},
        {"style", required_argument, NULL, OPT_STYLE},
        {"response-style", required_argument, NULL, OPT_RESPONSE_STYLE},
        {"username", required_argument, NULL, OPT_USERNAME},
        {"orders", required_argument, NULL, OPT_ORDERS},
        {"seed", required_argument, NULL, OPT_SEED},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"fault", required_argument, NULL, OPT_FAULT},
        {"url-file", required_argument, NULL, OPT_URL_FILE},
        {"discard-updates", no_argument, NULL, OPT_DISCARD_UPDATES},
        {"gzip", no_argument, NULL, OPT_GZIP},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"state-file", required_argument, NULL, OPT_STATE_FILE},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    SimOptions o;
    SimServer srv;
    SimFault faults[SIM_MAX_FAULTS];
    const char *events[64];
    const char *url_file = NULL;
    bool path_given = false;
    char host[256];
    const char *pw = getenv("CENTRA_SIM_PASSWORD");
    long long v;
    Error err;
    sigset_t stop;
    int sig;
    int at;
    int c;

    alloc_set_program("centra-sim");
    sim_options_default(&o);
    o.faults = faults;
    o.event_files = events;
    if (pw != NULL && pw[0] == '\0') {
        print_usage_error("CENTRA_SIM_PASSWORD is set but empty",
                          "Unset it for the default password, \"" SIM_DEFAULT_PASSWORD "\".");
        return 64;
    }
    if (pw != NULL)
        o.password = pw;
    opterr = 0;
    while ((at = optind, c = getopt_long(argc, argv, ":vqhV", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN:
            if (!parse_listen(optarg, &o, host, sizeof(host))) {
                usage_error("invalid --listen \"%s\" (HOST:PORT, HOST an IPv4 address)", optarg);
                return 64;
            }
            break;
        case OPT_PATH:
            if (optarg[0] != '/' || str_starts_with(optarg, "/_sim")) {
                usage_error("invalid --path \"%s\" (starts with / and not /_sim)", optarg);
                return 64;
            }
            o.path = optarg;
            path_given = true;
            break;
        case OPT_FLAVOR:
            if (strcmp(optarg, "soap") != 0 && strcmp(optarg, "navision") != 0) {
                usage_error("invalid --flavor \"%s\" (soap or navision)", optarg);
                return 64;
            }
            o.navision = strcmp(optarg, "navision") == 0;
            break;
        case OPT_STYLE:
            if (!valid_prefix(optarg)) {
                usage_error("invalid --style \"%s\" (a prefix such as ns1, or default)", optarg);
                return 64;
            }
            o.prefix = strcmp(optarg, "default") == 0 ? NULL : optarg;
            break;
        case OPT_RESPONSE_STYLE:
            if (strcmp(optarg, "result") != 0 && strcmp(optarg, "ok") != 0) {
                usage_error("invalid --response-style \"%s\" (result or ok)", optarg);
                return 64;
            }
            o.ok_responses = strcmp(optarg, "ok") == 0;
            break;
        case OPT_USERNAME:
            o.username = optarg;
            break;
        case OPT_ORDERS:
            if (!str_to_ll(optarg, &v) || v < 0 || v > SIM_MAX_ORDERS) {
                usage_error("invalid --orders \"%s\" (0 to %d)", optarg, SIM_MAX_ORDERS);
                return 64;
            }
            o.orders = (size_t)v;
            break;
        case OPT_SEED:
            if (!str_to_ll(optarg, &v)) {
                usage_error("invalid --seed \"%s\"", optarg);
                return 64;
            }
            o.seed = (uint64_t)v;
            break;
        case OPT_EVENTS:
            if (o.nevent_files == CB_LENGTH(events)) {
                usage_error("too many --events (at most 64)");
                return 64;
            }
            events[o.nevent_files++] = optarg;
            break;
        case OPT_FAULT:
            if (o.nfaults == SIM_MAX_FAULTS) {
                usage_error("too many --fault options");
                return 64;
            }
            if (sim_fault_parse(optarg, &faults[o.nfaults], &err) != ERR_OK) {
                print_usage_error(err.message, err.detail);
                return 64;
            }
            o.nfaults++;
            break;
        case OPT_URL_FILE:
            url_file = optarg;
            break;
        case OPT_DISCARD_UPDATES:
            o.discard_updates = true;
            break;
        case OPT_GZIP:
            o.gzip = true;
            break;
        case OPT_TLS_CERT:
            o.tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            o.tls_key = optarg;
            break;
        case OPT_STATE_FILE:
            o.state_file = optarg;
            break;
        case 'v':
            log_set_level(LOG_LEVEL_DEBUG);
            break;
        case 'q':
            log_set_level(LOG_LEVEL_ERROR);
            break;
        case 'h':
            fputs(sim_help, stdout);
            return 0;
        case 'V':
            printf("centra-sim %s\n", CENTRA_BRIDGE_VERSION);
            return 0;
        default: /* '?' or ':' */
            bad_option(argc, argv, at, c);
            return 64;
        }
    }
    if (optind < argc) {
        usage_error("unexpected argument \"%s\"", argv[optind]);
        return 64;
    }
    if ((o.tls_cert == NULL) != (o.tls_key == NULL)) {
        usage_error("--tls-cert and --tls-key go together");
        return 64;
    }
    if (o.navision && !path_given)
        o.path = SIM_NAVISION_PATH; /* where Centra has that flavor's endpoint */

    /* Signals to stop on are taken by sigwait, in every thread. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (sim_server_start(&srv, &o, &err) != ERR_OK) {
        log_report(LOG_LEVEL_ERROR, &err);
        return err_exit_code(err.kind);
    }
    /* The file first: a URL on stdout means the simulator is up and stays up. */
    if (url_file != NULL && !write_url_file(url_file, srv.url)) {
        char ebuf[128];

        log_error("could not write --url-file \"%s\": %s", url_file,
                  str_errno(errno, ebuf, sizeof(ebuf)));
        sim_server_stop(&srv);
        return 74;
    }
    printf("%s\n", srv.url);
    fflush(stdout);
    log_info("centra-sim %s listening on %s: %zu events queued (%u orders), flavor %s, style %s",
             CENTRA_BRIDGE_VERSION, srv.url, srv.store.live, srv.store.plan.norders,
             o.navision ? "navision" : "soap", o.prefix != NULL ? o.prefix : "default");
    while (sigwait(&stop, &sig) != 0)
        ;
    log_info("centra-sim stopping (signal %d)", sig);
    sim_server_stop(&srv);
    if (url_file != NULL)
        unlink(url_file);
    return 0;
}
