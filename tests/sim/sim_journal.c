/*
 * tests/sim/sim_journal.c
 *     centra-sim's state file (see sim_journal_int.h).
 */
#include "sim_journal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/log.h"
#include "centra/strutil.h"
#include "sim_server_int.h"
#include "sim_update_int.h"

#define JOURNAL_MAGIC      "centra-sim-state 1"
#define JOURNAL_RECORD_MAX (1024u * 1024 * 1024) /* one record; an events document is <= 256 MB */

struct SimJournal {
    int fd;           /* the file, opened for appending */
    char *path;       /* its name, for messages */
    bool write_error; /* an error was already logged */
};

static const char *const id_modes[] = {"keep", "free", "new"}; /* by SimIdMode */

/* Append one record: "TAG LENGTH ARGS\n" + payload + "\n", in one write when it fits. */
static void
append(SimJournal *j, char tag, const char *args, const char *payload, size_t len)
{
    DynBuf b;
    const char *p;
    size_t left;

    if (j == NULL)
        return;
    dynbuf_init(&b, JOURNAL_RECORD_MAX + 256);
    if (dynbuf_addf(&b, "%c %zu%s%s\n", tag, len, args[0] != '\0' ? " " : "", args) != ERR_OK ||
        dynbuf_add(&b, payload, len) != ERR_OK || dynbuf_addc(&b, '\n') != ERR_OK) {
        log_error("state file \"%s\": a record of %zu bytes is too large, not kept", j->path, len);
        dynbuf_free(&b);
        return;
    }
    p = dynbuf_str(&b);
    left = dynbuf_len(&b);
    while (left > 0) {
        ssize_t w = write(j->fd, p, left);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            char ebuf[128];

            if (!j->write_error)
                log_error("could not write state file \"%s\": %s", j->path,
                          str_errno(errno, ebuf, sizeof(ebuf)));
            j->write_error = true;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    dynbuf_free(&b);
}

void
sim_journal_done(SimJournal *j, const long long *ids, size_t n)
{
    DynBuf b;

    if (j == NULL || n == 0)
        return;
    dynbuf_init(&b, JOURNAL_RECORD_MAX);
    for (size_t i = 0; i < n; i++)
        dynbuf_addf(&b, "%s%lld", i > 0 ? " " : "", ids[i]);
    append(j, 'D', "", dynbuf_str(&b), dynbuf_len(&b));
    dynbuf_free(&b);
}

void
sim_journal_events(SimJournal *j, SimIdMode mode, const char *xml, size_t len)
{
    append(j, 'E', id_modes[mode], xml, len);
}

void
sim_journal_update(SimJournal *j, const char *body, size_t len)
{
    append(j, 'U', "", body, len);
}

void
sim_journal_poison(SimJournal *j, long long id, int poison)
{
    char args[32];
    char payload[32];

    snprintf(args, sizeof(args), "%d", poison);
    snprintf(payload, sizeof(payload), "%lld", id);
    append(j, 'P', args, payload, strlen(payload));
}

void
sim_journal_reset(SimJournal *j, size_t orders, uint64_t seed)
{
    char args[64];

    snprintf(args, sizeof(args), "%zu %" PRIu64, orders, seed);
    append(j, 'R', args, "", 0);
}

void
sim_journal_close(SimJournal *j)
{
    if (j == NULL)
        return;
    close(j->fd);
    xfree(j->path);
    xfree(j);
}

/* --- replay ------------------------------------------------------------------------------ */

/* Replay an update request as the SOAP endpoint applied it (the login was checked then). */
static ErrKind
replay_update(SimStore *s, const char *body, size_t len, Error *err)
{
    XmlNode *root;
    const XmlNode *soap_body;
    const XmlNode *opnode;
    SimResult res = {0};

    if (xml_parse(body, len, &root, err) != ERR_OK)
        return ERR_DATA;
    soap_body = xml_child(root, "Body");
    opnode = soap_body != NULL && soap_body->nkids > 0 ? soap_body->kids[0] : NULL;
    if (opnode == NULL || !sim_update_known(opnode->name, NULL)) {
        xml_free(root);
        return err_set(err, ERR_DATA, "an update record holds no update operation");
    }
    sim_store_log_request(s, opnode->name, root, body, len);
    sim_update_apply(s, opnode->name, opnode, &res);
    sim_result_free(&res);
    xml_free(root);
    return ERR_OK;
}

/* Replay the acknowledged ids of a 'D' record (NUL-terminated, separated by spaces). */
static ErrKind
replay_done(SimStore *s, char *text, Error *err)
{
    char *p = text;

    while (*p != '\0') {
        size_t n = strcspn(p, " ");
        char save = p[n];
        long long id;

        p[n] = '\0';
        if (n > 0 && !str_to_ll(p, &id))
            return err_set(err, ERR_DATA, "bad event id \"%.40s\" in an acknowledgement record", p);
        if (n > 0)
            sim_store_done(s, &id, 1);
        p[n] = save;
        p += n + (save != '\0' ? 1 : 0);
    }
    return ERR_OK;
}

/* Replay one record. */
static ErrKind
replay_record(SimServer *srv, char tag, const char *args, char *payload, size_t len, Error *err)
{
    SimStore *s = &srv->store;
    long long a = 0;
    long long b = 0;

    switch (tag) {
    case 'D':
        return replay_done(s, payload, err);
    case 'E':
        for (size_t m = 0; m < CB_LENGTH(id_modes); m++) {
            if (strcmp(args, id_modes[m]) == 0)
                return sim_store_append_xml(s, payload, len, (SimIdMode)m, err) < 0 ? ERR_DATA
                                                                                    : ERR_OK;
        }
        return err_set(err, ERR_DATA, "bad id mode \"%.20s\" in an events record", args);
    case 'U':
        return replay_update(s, payload, len, err);
    case 'P': {
        char idbuf[32];
        SimEvent *e;

        snprintf(idbuf, sizeof(idbuf), "%.*s", (int)(len < 31 ? len : 31), payload);
        if (!str_to_ll(args, &a) || !str_to_ll(idbuf, &b))
            return err_set(err, ERR_DATA, "bad poison record");
        e = sim_store_find(s, b);
        if (e != NULL && !e->done)
            e->poison = (uint8_t)a;
        s->spoiled++; /* counted when it happened, whatever became of the event since */
        return ERR_OK;
    }
    case 'R':
        if (sscanf(args, "%lld %lld", &a, &b) != 2 || a < 0 || a > SIM_MAX_ORDERS)
            return err_set(err, ERR_DATA, "bad reset record");
        return sim_server_reset(srv, (size_t)a, (uint64_t)b, err);
    default:
        return err_set(err, ERR_DATA, "unknown record type '%c'", tag);
    }
}

/*
 * Replay the records of data (len bytes, after the header at offset start).
 * *good gets the offset after the last whole record.
 */
static ErrKind
replay(SimServer *srv, const char *data, size_t len, size_t start, size_t *good, size_t *count,
       Error *err)
{
    size_t at = start;

    *good = at;
    *count = 0;
    while (at < len) {
        const char *nl = memchr(data + at, '\n', len - at);
        char line[128];
        char tag;
        unsigned long long plen;
        int used = 0;
        const char *args;
        size_t body;

        if (nl == NULL || (size_t)(nl - (data + at)) >= sizeof(line))
            break; /* cut short */
        memcpy(line, data + at, (size_t)(nl - (data + at)));
        line[nl - (data + at)] = '\0';
        if (sscanf(line, "%c %llu%n", &tag, &plen, &used) != 2)
            return err_set(err, ERR_DATA, "bad record header \"%.60s\" at byte %zu", line, at);
        args = line + used + (line[used] == ' ' ? 1 : 0);
        body = (size_t)(nl - data) + 1;
        if (plen > len - body || len - body - plen < 1 || data[body + plen] != '\n')
            break; /* cut short by the kill */
        {
            /* The payload NUL-terminated: the XML parser and str_to_ll want that. */
            char *payload = xmalloc((size_t)plen + 1);
            ErrKind rc;

            memcpy(payload, data + body, (size_t)plen);
            payload[plen] = '\0';
            rc = replay_record(srv, tag, args, payload, (size_t)plen, err);
            xfree(payload);
            if (rc != ERR_OK) {
                err_detail(err, "The record starts at byte %zu.", at);
                return rc;
            }
        }
        at = body + (size_t)plen + 1;
        *good = at;
        (*count)++;
    }
    return ERR_OK;
}

/* Read the whole file into *out (xmalloc'd, NUL-terminated) and *len. */
static ErrKind
read_all(int fd, const char *path, char **out, size_t *len, Error *err)
{
    struct stat st;
    size_t got = 0;
    char *buf;
    char ebuf[128];

    if (fstat(fd, &st) != 0)
        return err_set(err, ERR_IO, "could not stat state file \"%s\": %s", path,
                       str_errno(errno, ebuf, sizeof(ebuf)));
    buf = xmalloc((size_t)st.st_size + 1);
    while (got < (size_t)st.st_size) {
        ssize_t r = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            xfree(buf);
            return err_set(err, ERR_IO, "could not read state file \"%s\": %s", path,
                           r == 0 ? "file shrank" : str_errno(errno, ebuf, sizeof(ebuf)));
        }
        got += (size_t)r;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return ERR_OK;
}

ErrKind
sim_journal_open(SimServer *srv, const char *path, Error *err)
{
    SimJournal *j;
    char header[128];
    char *data = NULL;
    size_t len = 0;
    size_t good = 0;
    size_t count = 0;
    char ebuf[128];
    int fd;

    snprintf(header, sizeof(header), JOURNAL_MAGIC " orders=%zu seed=%" PRIu64 "\n",
             srv->opts.orders, srv->opts.seed);
    fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_set(err, ERR_IO, "could not open state file \"%s\": %s", path,
                       str_errno(errno, ebuf, sizeof(ebuf)));
    if (read_all(fd, path, &data, &len, err) != ERR_OK) {
        close(fd);
        return ERR_IO;
    }
    j = xcalloc(1, sizeof(SimJournal));
    j->fd = fd;
    j->path = xstrdup(path);
    if (len == 0 && write(fd, header, strlen(header)) != (ssize_t)strlen(header)) {
        err_set(err, ERR_IO, "could not write state file \"%s\": %s", path,
                str_errno(errno, ebuf, sizeof(ebuf)));
        xfree(data);
        sim_journal_close(j);
        return ERR_IO;
    }
    if (len > 0) {
        size_t hlen = strlen(header);

        if (len < hlen || memcmp(data, header, hlen) != 0) {
            const char *nl = memchr(data, '\n', len);
            int shown = nl != NULL ? (int)(nl - data) : (int)(len < 80 ? len : 80);

            if (str_starts_with(data, JOURNAL_MAGIC " "))
                err_set(err, ERR_DATA, "state file \"%s\" belongs to another queue", path);
            else
                err_set(err, ERR_DATA, "\"%s\" is not a centra-sim state file", path);
            err_detail(err,
                       "It starts with \"%.*s\"; this simulator has orders=%zu seed=%" PRIu64 ".",
                       shown > 80 ? 80 : shown, data, srv->opts.orders, srv->opts.seed);
            err_hint(err, "Start with the --orders and --seed it was written with, or remove it.");
            xfree(data);
            sim_journal_close(j);
            return ERR_DATA;
        }
        if (replay(srv, data, len, hlen, &good, &count, err) != ERR_OK) {
            char why[ERR_MESSAGE_MAX];
            char detail[ERR_DETAIL_MAX];

            snprintf(why, sizeof(why), "%s", err->message);
            snprintf(detail, sizeof(detail), "%s", err->detail);
            err_set(err, ERR_DATA, "state file \"%s\": %s", path, why);
            if (detail[0] != '\0')
                err_detail(err, "%s", detail);
            xfree(data);
            sim_journal_close(j);
            return ERR_DATA;
        }
        if (good < len) {
            log_warn("state file \"%s\": dropped an incomplete last record (%zu bytes)", path,
                     len - good);
            if (ftruncate(fd, (off_t)good) != 0) {
                err_set(err, ERR_IO, "could not cut state file \"%s\": %s", path,
                        str_errno(errno, ebuf, sizeof(ebuf)));
                xfree(data);
                sim_journal_close(j);
                return ERR_IO;
            }
        }
        log_info("state file \"%s\": replayed %zu records: %zu events queued, next id %lld", path,
                 count, srv->store.live, srv->store.next_id);
    }
    xfree(data);
    srv->store.journal = j;
    return ERR_OK;
}
