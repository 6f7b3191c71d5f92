/*
 * src/xml/eventparser.c
 *     Streaming parser of events_Get answers (expat).
 *
 * Design constraints: streams (never holds an answer whole); memory bounded
 * by the text cap; the same output whatever the chunking; bad input
 * quarantines one event and never blocks the queue.  See eventparser.h.
 *
 * The mapping is a tree of Nodes built once from evmap's tables: each
 * element of the answer is looked up by local name among the children of its
 * parent's node (a small hash per node).  A node may start a record (an
 * order, a line, ...) or be a field of the enclosing record.  Open records
 * sit on a small stack; a record is emitted when its element closes.
 */
#include "centra/eventparser.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The library is built with DTD support (it has the amplification limits); declare them. */
#ifndef XML_DTD
#define XML_DTD
#endif
#include <expat.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/hashmap.h"
#include "centra/log.h"
#include "centra/soap.h"
#include "centra/strutil.h"
#include "centra/utf8.h"
#include "transcode_int.h"

#define NS_SEP        '\x01'      /* between namespace URI and local name */
#define PAYLOAD_FLUSH (64 * 1024) /* payload bytes gathered before the sink gets them */
#define ID_SHOWN      100 /* bytes of an id a message quotes: the reason's line stays short */
#define RAW_MEM_MAX   (1024 * 1024) /* raw bytes kept in memory; beyond, a temporary file */
#define MAX_RECORDS   8             /* record nesting: order shipment refund product size .. */
#define MAX_FIELDS    160           /* fields of the widest record (order) */
#define NOTES_MAX     2000          /* bytes of notes per event */
#define REPL_MAX      16384         /* replacement positions remembered; bytes parsed at a time */
#define LENIENT_SCAN  (64 * 1024)   /* bytes searched for an id in a broken event */
#define FAULT_TEXT    4096          /* bytes kept of faultcode and faultstring */
#define HEAD_MAX      160           /* first bytes kept, to quote an answer that is no SOAP */
#define TOKEN_SLACK   (64 * 1024)   /* bytes over max_text a tag may take before refused */
#define TAG_NAME_MAX  64            /* bytes of a tag name quoted in an error */
#define NS_URI_MAX    4096          /* bytes of the namespace URI of an <event> */
#define TC_SLICE      (64 * 1024)   /* input bytes converted at a time (bounds the output) */
#define XML_NS_URI    "http://www.w3.org/XML/1998/namespace"
#define XSI_NS_URI    "http://www.w3.org/2001/XMLSchema-instance"

typedef struct Node Node;
struct Node {
    char *name;    /* local name */
    EvKind starts; /* record this element starts, or EVK_NONE */
    int field;     /* field of the enclosing record, or -1 */
    bool is_data;  /* the event's <data> */
    Node **kids;   /* children, in insertion order */
    size_t nkids;  /* number of children */
    size_t alloc;  /* allocated entries of kids */
    Node **slots;  /* hash of kids by name: open addressing, mask + 1 slots */
    unsigned mask; /* slots - 1 */
};

typedef enum Role {
    ROLE_OTHER,     /* anything else */
    ROLE_BODY,      /* soap:Body */
    ROLE_HEADER,    /* soap:Header and all inside it: never events */
    ROLE_EVENTS,    /* <events> */
    ROLE_EVENT,     /* <event> */
    ROLE_FAULT,     /* soap:Fault */
    ROLE_FAULTCODE, /* <faultcode>, or a SOAP 1.2 Fault's Code/Value */
    ROLE_FAULTSTR,  /* <faultstring>, or a SOAP 1.2 Fault's Reason/Text */
    ROLE_CODE12,    /* a SOAP 1.2 Fault's Code */
    ROLE_REASON12   /* a SOAP 1.2 Fault's Reason */
} Role;

typedef struct Frame {
    Node *node;         /* mapping node; NULL outside the mapping */
    Role role;          /* what the element is to the parser */
    bool record;        /* this element opened a record */
    bool in_data;       /* inside <data>: written to the payload */
    int field;          /* field of the top record this element's text goes to, or -1 */
    const char *out_ns; /* payload: default namespace in force (static or interned) */
    long long text_len; /* text bytes seen directly inside */
    long long name_at;  /* offset of its name in the start tag, to name it in an error */
} Frame;

typedef struct OpenRecord {
    EvKind kind;         /* the record */
    int rec;             /* its number in the event */
    int parent;          /* enclosing record's number, 0 for none */
    DynBuf buf;          /* the fields' text, one after the other */
    int off[MAX_FIELDS]; /* start of each field's text in buf, -1 when absent */
    int len[MAX_FIELDS]; /* its length */
} OpenRecord;

typedef struct RawTail {
    DynBuf mem;     /* bytes from base on, while no file */
    FILE *file;     /* spill file once mem would pass RAW_MEM_MAX */
    long long skip; /* bytes at the start of file that are before base */
    long long base; /* absolute offset of the first byte kept */
    long long end;  /* absolute offset after the last byte kept */
} RawTail;

struct EvParser {
    XML_Parser xp;                /* expat, namespace-aware */
    EvpLimits lim;                /* caps */
    EvpSink sink;                 /* where output goes */
    char *source;                 /* "events_Get" or a file name, for messages */
    char *subject;                /* "the answer to events_Get", "the answer in FILE" */
    Node *event_node;             /* mapping below <event> */
    Node **nodes;                 /* every node, for freeing */
    size_t nnodes;                /* number of nodes */
    size_t nodes_alloc;           /* allocated entries of nodes */
    Frame *frames;                /* open elements, frames[0] unused */
    int depth;                    /* current depth (frames in use) */
    int overflow;                 /* elements open beyond max_depth */
    OpenRecord recs[MAX_RECORDS]; /* open records; recs[0] is the event while in one */
    int nrecs;                    /* open records */
    int rec_counter;              /* last record number given out in this event */
    bool in_event;                /* between <event> and </event> */
    DynBuf event_ns;              /* namespace URI of the current <event> */
    int seq;                      /* events started */
    long long event_start;        /* offset of the current event's start tag */
    long long header_end;         /* offset after the SOAP Header; 0 before one closes */
    long long last_end;           /* offset after the last complete event */
    bool skip;                    /* the current event is quarantined: map nothing more */
    DynBuf reason;                /* why it is quarantined */
    DynBuf notes;                 /* values set to NULL */
    HashMap *keys;                /* keys seen in the event, for duplicates */
    bool has_order;               /* the event had an order record */
    bool order_started;           /* an <order> of the event was opened */
    bool payload_open;            /* payload_begin sent, payload_end not yet */
    bool had_data;                /* the event's <data> was seen */
    DynBuf payload;               /* payload bytes not yet passed on */
    RawTail raw;                  /* bytes of the current event (or after the last one) */
    DynBuf filtered;              /* a chunk after replacing invalid characters */
    unsigned char carry[2];       /* held-back start of a 3-byte sequence */
    int ncarry;                   /* bytes in carry */
    long long repl[REPL_MAX];     /* offsets of replacements not yet attributed */
    int nrepl;                    /* used entries of repl */
    int repl_lost;                /* replacements beyond REPL_MAX (while draining only) */
    int repl_open;                /* replacements settled as the open event's (or, between */
                                  /* events, as those a quarantine there would count) */
    ErrKind rc;                   /* error raised inside a handler */
    Error *err;                   /* where handlers put it */
    bool seen_events;             /* an <events> element was opened */
    bool in_fault;                /* inside a SOAP Fault */
    bool fault_done;              /* a whole Fault was read */
    DynBuf faultcode;             /* its faultcode */
    DynBuf faultstring;           /* its faultstring */
    char head[HEAD_MAX];          /* the first bytes fed */
    size_t nhead;                 /* how many */
    bool html;                    /* the answer is an HTML page (html_seen) */
    bool root_closed;             /* the document element has ended */
    unsigned long root_line;      /* where it closed, as expat reports it: the start of */
    unsigned long root_col;       /* its end tag, or after an empty-element tag (1-based) */
    bool draining;                /* an XML error ended parsing; bytes go to raw only */
    bool stopped;                 /* the answer passed max_response */
    long long fed;                /* bytes fed to expat so far */
    long long tok_end;            /* offset after the last token a handler saw */
    bool huge_token;              /* a handler saw a tag longer than the cap */
    DynBuf scratch;               /* values of the record being emitted */
    EvpStats stats;               /* counters */
    Transcoder *tc;               /* the answer's encoding to UTF-8 (transcode.c) */
};

/* ---------------------------------------------------------------------------
 * The mapping tree
 * ------------------------------------------------------------------------- */

static unsigned
name_hash(const char *s, size_t len)
{
    unsigned h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static Node *
node_new(EvParser *p, const char *name, size_t len)
{
    Node *n = xcalloc(1, sizeof(Node));

    n->name = xstrndup(name, len);
    n->field = -1;
    if (p->nnodes == p->nodes_alloc) {
        p->nodes_alloc = p->nodes_alloc == 0 ? 64 : p->nodes_alloc * 2;
        p->nodes = xrealloc_array(p->nodes, p->nodes_alloc, sizeof(Node *));
    }
    p->nodes[p->nnodes++] = n;
    return n;
}

static Node *
node_find(const Node *n, const char *name, size_t len)
{
    if (n == NULL || n->slots == NULL)
        return NULL;
    for (unsigned i = name_hash(name, len) & n->mask;; i = (i + 1) & n->mask) {
        Node *k = n->slots[i];

        if (k == NULL)
            return NULL;
        if (strncmp(k->name, name, len) == 0 && k->name[len] == '\0')
            return k;
    }
}

/* Rebuild n's hash after a child was added. */
static void
node_rehash(Node *n)
{
    unsigned size = 4;

    while (size < n->nkids * 2)
        size *= 2;
    xfree(n->slots);
    n->slots = xcalloc(size, sizeof(Node *));
    n->mask = size - 1;
    for (size_t i = 0; i < n->nkids; i++) {
        unsigned h = name_hash(n->kids[i]->name, strlen(n->kids[i]->name)) & n->mask;

        while (n->slots[h] != NULL)
            h = (h + 1) & n->mask;
        n->slots[h] = n->kids[i];
    }
}

static Node *
node_child(EvParser *p, Node *n, const char *name, size_t len)
{
    Node *k = node_find(n, name, len);

    if (k != NULL)
        return k;
    k = node_new(p, name, len);
    if (n->nkids == n->alloc) {
        n->alloc = n->alloc == 0 ? 4 : n->alloc * 2;
        n->kids = xrealloc_array(n->kids, n->alloc, sizeof(Node *));
    }
    n->kids[n->nkids++] = k;
    node_rehash(n);
    return k;
}

/* The node at path ('/'-separated) below n, created as needed. */
static Node *
node_path(EvParser *p, Node *n, const char *path)
{
    while (*path != '\0') {
        const char *slash = strchr(path, '/');
        size_t len = slash != NULL ? (size_t)(slash - path) : strlen(path);

        n = node_child(p, n, path, len);
        path += len + (slash != NULL);
    }
    return n;
}

/* Attach kind's fields and the records below it to n. */
static void
build_record(EvParser *p, Node *n, EvKind kind)
{
    const EvRecordDef *d = evmap_record(kind);
    size_t nroots;
    const EvRecordRoot *roots = evmap_roots(&nroots);

    if (d != NULL)
        for (int i = 0; i < d->nfields; i++)
            node_path(p, n, d->fields[i].path)->field = i;
    for (size_t i = 0; i < nroots; i++) {
        if (roots[i].parent == kind) {
            Node *r = node_path(p, n, roots[i].path);

            r->starts = roots[i].kind;
            build_record(p, r, roots[i].kind);
        }
    }
}

static void
build_tree(EvParser *p)
{
    Node *data;

    p->event_node = node_new(p, "event", 5);
    p->event_node->starts = EVK_EVENT;
    build_record(p, p->event_node, EVK_EVENT);
    data = node_child(p, p->event_node, "data", 4);
    data->is_data = true;
    build_record(p, data, EVK_NONE);
}

/* ---------------------------------------------------------------------------
 * Raw bytes of the current event
 * ------------------------------------------------------------------------- */

static ErrKind
raw_append(EvParser *p, const char *data, size_t len, Error *err)
{
    RawTail *r = &p->raw;

    if (r->file == NULL && r->mem.len + len > RAW_MEM_MAX) {
        r->file = tmpfile();
        r->skip = 0;
        if (r->file == NULL)
            return err_set(err, ERR_IO, "could not create a temporary file for a large event");
        if (r->mem.len > 0 && fwrite(r->mem.data, 1, r->mem.len, r->file) != r->mem.len)
            return err_set(err, ERR_IO, "could not write a temporary file for a large event");
        dynbuf_reset(&r->mem);
    }
    if (r->file != NULL) {
        if (fwrite(data, 1, len, r->file) != len)
            return err_set(err, ERR_IO, "could not write a temporary file for a large event");
    } else if (dynbuf_add(&r->mem, data, len) != ERR_OK) {
        return err_set(err, ERR_INTERNAL, "raw buffer overflow");
    }
    r->end += (long long)len;
    return ERR_OK;
}

/* Forget the bytes before offset at (absolute). */
static void
raw_drop_before(EvParser *p, long long at)
{
    RawTail *r = &p->raw;
    size_t n;

    if (at <= r->base)
        return;
    if (at > r->end)
        at = r->end;
    n = (size_t)(at - r->base);
    if (r->file == NULL) {
        memmove(r->mem.data, r->mem.data + n, r->mem.len - n);
        dynbuf_truncate(&r->mem, r->mem.len - n);
    } else if (r->end - at > RAW_MEM_MAX) {
        /* Still too much for memory (a large chunk): keep the file, skip its start. */
        r->skip += (long long)n;
    } else {
        /* What remains fits in memory: bring it back. */
        size_t keep = (size_t)(r->end - at);
        char buf[8192];

        dynbuf_reset(&r->mem);
        if (fseek(r->file, (long)(r->skip + (long long)n), SEEK_SET) == 0) {
            while (keep > 0) {
                size_t got = fread(buf, 1, keep < sizeof(buf) ? keep : sizeof(buf), r->file);

                if (got == 0 || dynbuf_add(&r->mem, buf, got) != ERR_OK)
                    break;
                keep -= got;
            }
        }
        fclose(r->file);
        r->file = NULL;
    }
    r->base = at;
}

static ErrKind
raw_each_range(EvParser *p, long long from, long long to, EvpBytesFn fn, void *arg, Error *err)
{
    RawTail *r = &p->raw;
    char buf[65536];

    if (from < r->base)
        from = r->base;
    if (to > r->end)
        to = r->end;
    if (from >= to)
        return ERR_OK;
    if (r->file == NULL)
        return fn(arg, r->mem.data + (from - r->base), (size_t)(to - from), err);
    fflush(r->file);
    if (fseek(r->file, (long)(from - r->base + r->skip), SEEK_SET) != 0)
        return err_set(err, ERR_IO, "could not read back a temporary file");
    while (from < to) {
        size_t want = (size_t)(to - from) < sizeof(buf) ? (size_t)(to - from) : sizeof(buf);
        size_t got = fread(buf, 1, want, r->file);
        ErrKind rc;

        if (got == 0)
            return err_set(err, ERR_IO, "could not read back a temporary file");
        rc = fn(arg, buf, got, err);
        if (rc != ERR_OK)
            return rc;
        from += (long long)got;
    }
    fseek(r->file, 0, SEEK_END);
    return ERR_OK;
}

/* ---------------------------------------------------------------------------
 * Errors and notes
 * ------------------------------------------------------------------------- */

/* Stop expat with an error that ends the whole parse. */
static void
fail(EvParser *p, ErrKind rc)
{
    if (p->rc == ERR_OK)
        p->rc = rc;
    XML_StopParser(p->xp, XML_FALSE);
}

static unsigned long
cur_line(const EvParser *p)
{
    return (unsigned long)XML_GetCurrentLineNumber(p->xp);
}

/* Quarantine the current event: its mapping stops, parsing goes on. */
static void quarantine(EvParser *p, const char *fmt, ...) CB_PRINTF(2, 3);

static void
quarantine(EvParser *p, const char *fmt, ...)
{
    va_list ap;

    if (p->skip)
        return;
    p->skip = true;
    va_start(ap, fmt);
    dynbuf_reset(&p->reason);
    (void)dynbuf_addvf(&p->reason, fmt, ap);
    va_end(ap);
}

static void note(EvParser *p, const char *fmt, ...) CB_PRINTF(2, 3);

static void
note(EvParser *p, const char *fmt, ...)
{
    va_list ap;

    if (p->notes.len >= NOTES_MAX)
        return;
    if (p->notes.len > 0)
        (void)dynbuf_addstr(&p->notes, "; ");
    va_start(ap, fmt);
    (void)dynbuf_addvf(&p->notes, fmt, ap);
    va_end(ap);
    if (p->notes.len >= NOTES_MAX)
        (void)dynbuf_addstr(&p->notes, "; ...");
}

/*
 * Lower-case the ASCII letters of s[0..len): an event's <type> is read so
 * (Centra's types are lower case; "Order" is an order).  Other bytes stay.
 */
static void
ascii_lower(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (char)(s[i] - 'A' + 'a');
}

/* ---------------------------------------------------------------------------
 * Payload
 * ------------------------------------------------------------------------- */

static void
payload_flush(EvParser *p, bool force)
{
    ErrKind rc;

    if (p->payload.len == 0 || (!force && p->payload.len < PAYLOAD_FLUSH))
        return;
    rc = p->sink.payload_data(p->sink.arg, p->payload.data, p->payload.len, p->err);
    dynbuf_reset(&p->payload);
    if (rc != ERR_OK)
        fail(p, rc);
}

/*
 * End a payload a quarantine left open, so every payload_begin has its
 * payload_end; what was not passed on yet is dropped (it must not reach the
 * next event's payload).
 */
static ErrKind
payload_abandon(EvParser *p, Error *err)
{
    if (!p->payload_open)
        return ERR_OK;
    dynbuf_reset(&p->payload);
    p->payload_open = false;
    return p->sink.payload_end(p->sink.arg, err);
}

/* Escape text (attr: for an attribute value) into the payload. */
static void
payload_text(EvParser *p, const char *s, size_t len, bool attr)
{
    const char *run = s;

    for (size_t i = 0; i < len; i++) {
        const char *rep;

        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '\r':
            rep = "&#13;";
            break;
        case '"':
            rep = attr ? "&quot;" : NULL;
            break;
        case '\t':
            rep = attr ? "&#9;" : NULL;
            break;
        case '\n':
            rep = attr ? "&#10;" : NULL;
            break;
        default:
            rep = NULL;
        }
        if (rep != NULL) {
            (void)dynbuf_add(&p->payload, run, (size_t)(s + i - run));
            (void)dynbuf_addstr(&p->payload, rep);
            run = s + i + 1;
        }
    }
    (void)dynbuf_add(&p->payload, run, (size_t)(s + len - run));
}

/* Split expat's "URI<NS_SEP>local" (or "local") into namespace URI and local name. */
static void
split_name(const char *name, const char **ns, size_t *nslen, const char **local)
{
    const char *sep = strchr(name, NS_SEP);

    if (sep == NULL) {
        *ns = "";
        *nslen = 0;
        *local = name;
    } else {
        *ns = name;
        *nslen = (size_t)(sep - name);
        *local = sep + 1;
    }
}

/* Whether the namespace URI ns (nslen bytes) is uri. */
static bool
ns_is(const char *ns, size_t nslen, const char *uri)
{
    return nslen == strlen(uri) && memcmp(ns, uri, nslen) == 0;
}

/*
 * Elements of Centra's and navision's namespace, or none, or the one of
 * their <event> (an answer in a namespace of its own is read as Centra's)
 * are written in Centra's.
 */
static const char *
payload_ns(const EvParser *p, const char *ns, size_t nslen)
{
    if (nslen == 0 || ns_is(ns, nslen, SOAP_NS_CENTRA) || ns_is(ns, nslen, SOAP_NS_NAVISION) ||
        (nslen == p->event_ns.len && memcmp(ns, p->event_ns.data, nslen) == 0))
        return SOAP_NS_CENTRA;
    return NULL; /* its own: the caller writes it */
}

/*
 * The attributes of an element, each with its namespace: xml:lang as it is,
 * xsi:nil and xsi:type with xsi declared on the element, another namespace
 * under a prefix n1, n2, ... declared on the element.  The original prefixes
 * are not known (expat reports URIs); their meaning is kept.
 */
static void
payload_attributes(EvParser *p, const char **atts)
{
    bool xsi_declared = false;
    int n = 0;

    for (int i = 0; atts[i] != NULL; i += 2) {
        const char *ns;
        const char *local;
        size_t nslen;
        char prefix[16];

        split_name(atts[i], &ns, &nslen, &local);
        prefix[0] = '\0';
        if (ns_is(ns, nslen, XML_NS_URI)) {
            snprintf(prefix, sizeof(prefix), "xml");
        } else if (nslen > 0) {
            bool xsi = ns_is(ns, nslen, XSI_NS_URI);

            if (xsi)
                snprintf(prefix, sizeof(prefix), "xsi");
            else
                snprintf(prefix, sizeof(prefix), "n%d", ++n);
            if (!xsi || !xsi_declared) {
                (void)dynbuf_addstr(&p->payload, " xmlns:");
                (void)dynbuf_addstr(&p->payload, prefix);
                (void)dynbuf_addstr(&p->payload, "=\"");
                payload_text(p, ns, nslen, true);
                (void)dynbuf_addc(&p->payload, '"');
                xsi_declared = xsi_declared || xsi;
            }
        }
        (void)dynbuf_addc(&p->payload, ' ');
        if (prefix[0] != '\0') {
            (void)dynbuf_addstr(&p->payload, prefix);
            (void)dynbuf_addc(&p->payload, ':');
        }
        (void)dynbuf_addstr(&p->payload, local);
        (void)dynbuf_addstr(&p->payload, "=\"");
        payload_text(p, atts[i + 1], strlen(atts[i + 1]), true);
        (void)dynbuf_addc(&p->payload, '"');
    }
}

static void
payload_start(EvParser *p, Frame *f, const Frame *parent, const char *ns, size_t nslen,
              const char *local, const char **atts)
{
    const char *out = payload_ns(p, ns, nslen);

    (void)dynbuf_addc(&p->payload, '<');
    (void)dynbuf_addstr(&p->payload, local);
    if (out == NULL) {
        /* A foreign namespace keeps its URI; its children say theirs again. */
        (void)dynbuf_addstr(&p->payload, " xmlns=\"");
        payload_text(p, ns, nslen, true);
        (void)dynbuf_addc(&p->payload, '"');
        f->out_ns = NULL;
    } else {
        if (parent == NULL || parent->out_ns != out)
            (void)dynbuf_addstr(&p->payload, " xmlns=\"" SOAP_NS_CENTRA "\"");
        f->out_ns = out;
    }
    payload_attributes(p, atts);
    (void)dynbuf_addc(&p->payload, '>');
}

/* ---------------------------------------------------------------------------
 * Records
 * ------------------------------------------------------------------------- */

static void
record_open(EvParser *p, EvKind kind)
{
    OpenRecord *r;
    const EvRecordDef *d = evmap_record(kind);

    if (p->nrecs == MAX_RECORDS) {
        quarantine(p, "records nested too deeply at line %lu", cur_line(p));
        return;
    }
    r = &p->recs[p->nrecs];
    r->kind = kind;
    r->rec = kind == EVK_EVENT ? 0 : ++p->rec_counter;
    r->parent = p->nrecs > 1 ? p->recs[p->nrecs - 1].rec : 0;
    dynbuf_reset(&r->buf);
    for (int i = 0; i < d->nfields; i++)
        r->off[i] = -1;
    p->nrecs++;
}

/* Whether a key was seen before in this event (and remember it). */
static bool
key_seen(EvParser *p, char tag, int scope, const char *value)
{
    char key[EVMAP_CODE_MAX + 32]; /* a code is at most EVMAP_CODE_MAX bytes (record_values) */

    snprintf(key, sizeof(key), "%c%d\x1f%s", tag, scope, value);
    if (hashmap_get(p->keys, key) != NULL)
        return true;
    hashmap_put(p->keys, key, p);
    return false;
}

/* An id as a message quotes it: at most ID_SHOWN bytes (str_sanitize), into buf. */
static const char *
shown_id(const char *id, char *buf)
{
    return str_sanitize(id, strlen(id), ID_SHOWN, buf, ID_SHOWN + 4);
}

/* The rules of the mapping: the keys of the staging tables exist and are unique. */
static void
check_keys(EvParser *p, const OpenRecord *r, const char *const *v)
{
    char shown[ID_SHOWN + 4];
    EvKind up = p->nrecs >= 2 ? p->recs[p->nrecs - 2].kind : EVK_NONE;
    EvKind up2 = p->nrecs >= 3 ? p->recs[p->nrecs - 3].kind : EVK_NONE;
    unsigned long line = cur_line(p);

    switch (r->kind) {
    case EVK_ORDER:
        if (v[0] == NULL)
            quarantine(p, "order without <id> (line %lu)", line);
        p->has_order = true;
        break;
    case EVK_SIZE:
        if (up != EVK_PRODUCT_LINE)
            break;
        if (v[evmap_field_index(EVK_SIZE, "orderitem_id")] == NULL)
            quarantine(p, "order line without <orderitem><id> (line %lu)", line);
        else if (key_seen(p, 'L', 0, v[evmap_field_index(EVK_SIZE, "orderitem_id")]))
            quarantine(p, "order line id \"%s\" appears twice (line %lu)",
                       shown_id(v[evmap_field_index(EVK_SIZE, "orderitem_id")], shown), line);
        break;
    case EVK_WAREHOUSE:
        if (up2 != EVK_PRODUCT_LINE)
            break;
        if (v[0] == NULL)
            quarantine(p, "warehouse allocation without <id> (line %lu)", line);
        else if (key_seen(p, 'W', r->parent, v[0]))
            quarantine(p, "warehouse \"%s\" appears twice on one order line (line %lu)",
                       shown_id(v[0], shown), line);
        break;
    case EVK_SHIPMENT:
        if (v[0] == NULL)
            quarantine(p, "shipment without <id> (line %lu)", line);
        else if (key_seen(p, 'S', 0, v[0]))
            quarantine(p, "shipment id \"%s\" appears twice (line %lu)", shown_id(v[0], shown),
                       line);
        break;
    case EVK_REFUND:
        if (v[0] == NULL)
            quarantine(p, "refund without <id> (line %lu)", line);
        else if (key_seen(p, 'R', 0, v[0]))
            quarantine(p, "refund id \"%s\" appears twice (line %lu)", shown_id(v[0], shown), line);
        break;
    default:
        break;
    }
}

/* Normalise the fields of r into p->scratch; vals receives pointers into it. */
static void
record_values(EvParser *p, const OpenRecord *r, const char **vals)
{
    const EvRecordDef *d = evmap_record(r->kind);
    size_t offs[MAX_FIELDS];

    dynbuf_reset(&p->scratch);
    for (int i = 0; i < d->nfields; i++) {
        const EvField *f = &d->fields[i];
        char norm[EVMAP_VALUE_MAX];
        bool is_null;
        const char *text = r->off[i] >= 0 ? dynbuf_str(&r->buf) + r->off[i] : NULL;
        size_t len = r->off[i] >= 0 ? (size_t)r->len[i] : 0;

        offs[i] = SIZE_MAX;
        if (text == NULL)
            continue;
        if (!evmap_normalize(f->type, text, len, norm, sizeof(norm), &is_null)) {
            char shown[64];

            note(p, "%s <%s> \"%s\" is not a valid %s", d->name, f->path,
                 str_sanitize(text, len, 40, shown, sizeof(shown)),
                 f->type == EVT_INT    ? "integer"
                 : f->type == EVT_NUM  ? "number"
                 : f->type == EVT_BOOL ? "yes/no value"
                                       : "date");
            continue;
        }
        if (is_null)
            continue;
        if (f->type == EVT_CODE) {
            evmap_trim(&text, &len);
            if (len > EVMAP_CODE_MAX) {
                quarantine(p,
                           "%s <%s> is %zu bytes long, more than the %d an id or code may have "
                           "(line %lu)",
                           d->name, f->path, len, EVMAP_CODE_MAX, cur_line(p));
                continue; /* NULL: it must not reach an index either way */
            }
        }
        offs[i] = p->scratch.len;
        if (f->type == EVT_TEXT || f->type == EVT_CODE)
            (void)dynbuf_add(&p->scratch, text, len);
        else
            (void)dynbuf_addstr(&p->scratch, norm);
        if (r->kind == EVK_EVENT && i == EVF_TYPE)
            ascii_lower(p->scratch.data + offs[i], p->scratch.len - offs[i]);
        (void)dynbuf_addc(&p->scratch, '\0');
    }
    for (int i = 0; i < d->nfields; i++)
        vals[i] = offs[i] == SIZE_MAX ? NULL : p->scratch.data + offs[i];
}

static void
record_close(EvParser *p)
{
    OpenRecord *r = &p->recs[p->nrecs - 1];
    const char *vals[MAX_FIELDS];
    EvpRecord out;

    if (!p->skip) {
        record_values(p, r, vals);
        check_keys(p, r, vals);
    }
    if (!p->skip) {
        out.kind = r->kind;
        out.seq = p->seq;
        out.rec = r->rec;
        out.parent = r->parent;
        out.values = vals;
        out.nvalues = evmap_record(r->kind)->nfields;
        ErrKind rc = p->sink.record(p->sink.arg, &out, p->err);

        if (rc != ERR_OK)
            fail(p, rc);
    }
    p->nrecs--;
}

/* ---------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------- */

static void
event_begin(EvParser *p)
{
    long long at = XML_GetCurrentByteIndex(p->xp);

    p->in_event = true;
    p->seq++;
    p->event_start = at;
    p->skip = false;
    p->has_order = false;
    p->order_started = false;
    p->repl_open = 0; /* those before it, between events, are not its */
    p->had_data = false;
    p->rec_counter = 0;
    p->nrecs = 0;
    dynbuf_reset(&p->reason);
    dynbuf_reset(&p->notes);
    hashmap_free(p->keys);
    p->keys = hashmap_new();
    raw_drop_before(p, at);
    record_open(p, EVK_EVENT);
}

/* Count the replacements before offset end that belong to the current event. */
static int
take_replacements(EvParser *p, long long end)
{
    int n = p->repl_lost + p->repl_open;
    int keep = 0;

    for (int i = 0; i < p->nrepl; i++) {
        if (p->repl[i] >= end)
            p->repl[keep++] = p->repl[i];
        else if (p->repl[i] >= p->event_start)
            n++;
    }
    p->nrepl = keep;
    p->repl_lost = 0;
    p->repl_open = 0;
    return n;
}

/*
 * After expat took a slice: the events that ended in it took their
 * replacements; each other one is counted in repl_open when a quarantine
 * now would keep its bytes (it is in the open event, or after the last
 * event while none is open), else dropped.  So no more than one slice's are
 * remembered at a time, and the counts do not depend on the chunking.
 */
static void
settle_replacements(EvParser *p)
{
    long long from = p->in_event ? p->event_start : p->last_end;
    int keep = 0;

    for (int i = 0; i < p->nrepl; i++) {
        if (p->repl[i] >= p->fed)
            p->repl[keep++] = p->repl[i];
        else if (p->repl[i] >= from)
            p->repl_open++;
    }
    p->nrepl = keep;
}

/*
 * An event id: digits, 0 included (Centra's start at 1, but one that can be
 * read can be acknowledged, and stored under it).  Both callers hand it over
 * without the XML white space around it (an <id> is a code: record_values
 * and text_of trim it), so an indented <id> is readable; an event whose id
 * cannot be read cannot be acknowledged.  -1 when it is not digits, -2 when
 * it is over EVENT_ID_MAX (2^53 - 1, what every JSON reader reads exactly).
 */
#define EVENT_ID_MAX 9007199254740991LL

static long long
parse_event_id(const char *s)
{
    long long v = 0;
    int digits = 0;
    bool big = false;

    if (s == NULL)
        return -1;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (v > (EVENT_ID_MAX - (*s - '0')) / 10)
            big = true;
        else
            v = v * 10 + (*s - '0');
    }
    if (digits == 0 || *s != '\0')
        return -1;
    return big ? -2 : v;
}

static ErrKind
emit_event(EvParser *p, EvpEvent *ev, Error *err)
{
    ErrKind rc;

    /*
     * Notes and reasons quote the answer's bytes, cut to a length: they go to
     * text columns, where one byte that is not UTF-8 would fail the whole
     * batch (and Centra would send it again, and again).
     */
    if (ev->notes == p->notes.data)
        (void)utf8_scrub(p->notes.data, p->notes.len);
    if (ev->quarantine == p->reason.data)
        (void)utf8_scrub(p->reason.data, p->reason.len);
    rc = p->sink.event(p->sink.arg, ev, p, err);

    p->stats.events++;
    p->stats.quarantined += ev->quarantine != NULL;
    return rc;
}

static void
event_end(EvParser *p)
{
    long long end = XML_GetCurrentByteIndex(p->xp) + XML_GetCurrentByteCount(p->xp);
    OpenRecord *r = &p->recs[0];
    const char *vals[MAX_FIELDS];
    EvpEvent ev;
    ErrKind rc;

    memset(&ev, 0, sizeof(ev));
    /* Records left open can only be there after a quarantine. */
    record_values(p, r, vals);
    for (int i = 0; i < EVF_COUNT_; i++)
        ev.values[i] = vals[i];
    ev.seq = p->seq;
    ev.event_id = parse_event_id(vals[EVF_ID]);
    if (vals[EVF_ID] == NULL) {
        quarantine(p, "event without <id>");
    } else if (ev.event_id < 0) {
        char id[64];

        str_sanitize(vals[EVF_ID], strlen(vals[EVF_ID]), 40, id, sizeof(id));
        if (ev.event_id == -2)
            quarantine(p, "event id \"%s\" is too large (over %lld)", id, EVENT_ID_MAX);
        else
            quarantine(p, "event id \"%s\" is not a whole number (digits only)", id);
        ev.event_id = -1;
    }
    /* Stored all the same, status unhandled: said, so that it is not taken for a success. */
    if (!p->skip && vals[EVF_TYPE] == NULL)
        note(p, "event without <type>: stored, applied to no table");
    else if (!p->skip && vals[EVF_ENTRY] == NULL &&
             !(p->has_order && strcmp(vals[EVF_TYPE], "order") == 0))
        note(p, "event without <entry>: stored, applied to no table");
    ev.has_order = p->has_order;
    ev.notes = p->notes.len > 0 ? p->notes.data : NULL;
    ev.quarantine = p->skip ? p->reason.data : NULL;
    ev.replaced_chars = take_replacements(p, end);
    p->last_end = end;
    rc = payload_abandon(p, p->err);
    if (rc == ERR_OK)
        rc = emit_event(p, &ev, p->err);
    if (rc != ERR_OK)
        fail(p, rc);
    p->in_event = false;
    p->nrecs = 0;
}

/* ---------------------------------------------------------------------------
 * expat handlers
 * ------------------------------------------------------------------------- */

/*
 * A handler saw a token: remember where it ends (feed_expat measures what
 * expat holds unreported from there).  Returns true when the token is
 * markup longer than the cap: then parsing stops as if the token had come
 * in small chunks and been caught unfinished, so the output does not depend
 * on the chunking.  Handlers return at once after that.
 */
static bool
token_seen(EvParser *p, bool markup)
{
    long long n = XML_GetCurrentByteCount(p->xp);

    if (p->huge_token)
        return true;
    p->tok_end = XML_GetCurrentByteIndex(p->xp) + n;
    if (!markup || n <= p->lim.max_text + TOKEN_SLACK)
        return false;
    p->huge_token = true;
    XML_StopParser(p->xp, XML_FALSE);
    return true;
}

/* The element's role outside the event mapping. */
static Role
role_of(EvParser *p, const Frame *parent, const char *local)
{
    if (p->depth == 2 && strcmp(local, "Body") == 0)
        return ROLE_BODY;
    if ((p->depth == 2 && strcmp(local, "Header") == 0) ||
        (parent != NULL && parent->role == ROLE_HEADER))
        return ROLE_HEADER;
    if (parent != NULL && parent->role == ROLE_BODY && strcmp(local, "Fault") == 0)
        return ROLE_FAULT;
    if (parent != NULL && parent->role == ROLE_FAULT) {
        if (strcmp(local, "faultcode") == 0)
            return ROLE_FAULTCODE;
        if (strcmp(local, "faultstring") == 0)
            return ROLE_FAULTSTR;
        if (strcmp(local, "Code") == 0)
            return ROLE_CODE12;
        if (strcmp(local, "Reason") == 0)
            return ROLE_REASON12;
    }
    if (parent != NULL && parent->role == ROLE_CODE12 && strcmp(local, "Value") == 0)
        return ROLE_FAULTCODE;
    if (parent != NULL && parent->role == ROLE_REASON12 && strcmp(local, "Text") == 0 &&
        p->faultstring.len == 0)
        return ROLE_FAULTSTR; /* the first language's */
    if (strcmp(local, "events") == 0)
        return ROLE_EVENTS;
    if (parent != NULL && parent->role == ROLE_EVENTS && strcmp(local, "event") == 0)
        return ROLE_EVENT;
    return ROLE_OTHER;
}

/*
 * Whether an element of namespace ns is one of Centra's, which the mapping
 * reads by local name: of no namespace, Centra's, navision's or the one of
 * its <event>.  An element of another namespace (an extension a proxy or a
 * plugin added) is only kept in the payload, even if its local name is one
 * of Centra's.
 */
static bool
centra_element(const EvParser *p, const char *ns, size_t nslen)
{
    return payload_ns(p, ns, nslen) != NULL;
}

/*
 * Whether the open event's <data> may be read as an order: its <type> is
 * "order" in any case, or not read yet (Centra writes it before <data>; the loader reads
 * the rows of an event of another type as an entity's all the same).
 */
static bool
may_hold_order(const EvParser *p)
{
    const OpenRecord *ev = &p->recs[0];
    const char *text;
    size_t len;

    if (p->nrecs == 0 || ev->kind != EVK_EVENT || ev->off[EVF_TYPE] < 0)
        return true;
    text = dynbuf_str(&ev->buf) + ev->off[EVF_TYPE];
    len = (size_t)ev->len[EVF_TYPE];
    evmap_trim(&text, &len);
    return len == strlen("order") && strncasecmp(text, "order", len) == 0;
}

/* An element inside an event: mapping and payload. */
static void
start_in_event(EvParser *p, Frame *f, const Frame *parent, const char *name, const char **atts)
{
    const char *ns;
    const char *local;
    size_t nslen;
    Node *n;

    split_name(name, &ns, &nslen, &local);
    n = parent->node != NULL && centra_element(p, ns, nslen)
            ? node_find(parent->node, local, strlen(local))
            : NULL;
    f->node = n;
    f->in_data = parent->in_data;
    if (p->skip)
        return;
    if (n != NULL && n->is_data) {
        ErrKind rc;

        if (p->had_data) {
            /* Its payload would be two documents. */
            quarantine(p, "two <data> elements in one event (line %lu)", cur_line(p));
            return;
        }
        p->had_data = true;
        rc = p->sink.payload_begin(p->sink.arg, p->seq, p->err);
        if (rc != ERR_OK) {
            fail(p, rc);
            return;
        }
        p->payload_open = true;
        f->in_data = true;
        payload_start(p, f, NULL, ns, nslen, local, atts);
    } else if (f->in_data) {
        payload_start(p, f, parent, ns, nslen, local, atts);
    }
    if (n == NULL)
        return;
    if (n->starts == EVK_ORDER && !may_hold_order(p)) {
        f->node = NULL; /* kept in the payload, not read as the event's order */
        return;
    }
    if (n->starts == EVK_ORDER) {
        /* Said at its start: its lines would otherwise clash with the first order's. */
        if (p->order_started) {
            quarantine(p, "two <order> elements in one event (line %lu)", cur_line(p));
            return;
        }
        p->order_started = true;
    }
    if (n->starts != EVK_NONE) {
        record_open(p, n->starts);
        f->record = true;
    } else if (n->field >= 0 && p->nrecs > 0) {
        OpenRecord *r = &p->recs[p->nrecs - 1];
        const EvRecordDef *d = evmap_record(r->kind);

        if (r->off[n->field] >= 0)
            note(p, "%s <%s> appears twice (line %lu): the last one is kept", d->name,
                 d->fields[n->field].path, cur_line(p));
        f->field = n->field;
        r->off[n->field] = (int)r->buf.len;
        r->len[n->field] = 0;
    }
}

/*
 * A web page where Centra's answer belongs: a maintenance page, a proxy or
 * load balancer answering in its place (often with HTTP 200), or a
 * CENTRA_URL that names a web page.  Seen at its DOCTYPE or root element,
 * parsing stops; the error, quoting the page's start, comes once HEAD_MAX
 * bytes are in or the answer ends, so it does not depend on the chunks.
 */
static void
html_seen(EvParser *p)
{
    p->html = true;
    /*
     * Nothing of the page is imported, so no character of it was replaced;
     * counting those scanned so far would depend on the chunks.
     */
    p->stats.replaced_chars = 0;
    fail(p, ERR_CENTRA_UNAVAILABLE);
}

/* Bytes of a UTF-8 byte order mark at the start of head: 3 or 0. */
static size_t
head_bom(const EvParser *p)
{
    return p->nhead >= 3 && memcmp(p->head, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/*
 * Whether the answer begins (after white space or a byte order mark) with
 * "<!d": HTML's lower-case "<!doctype", where XML knows only "<!DOCTYPE".
 * Expat fails at the "d", so that is all there may be to go by.
 */
static bool
begins_html_doctype(const EvParser *p)
{
    size_t i = head_bom(p);

    while (i < p->nhead && str_is_xml_space(p->head[i]))
        i++;
    return p->nhead - i >= 3 && memcmp(p->head + i, "<!d", 3) == 0;
}

/* The error of an answer that is an HTML page (transient, like HTTP 503). */
static ErrKind
html_error(EvParser *p, Error *err)
{
    char quoted[HEAD_MAX + 8];
    size_t bom = head_bom(p);

    err_set(err, ERR_CENTRA_UNAVAILABLE, "%s is an HTML page, not SOAP", p->subject);
    err_detail(err,
               "A maintenance page, or a proxy or load balancer answering in Centra's place, "
               "would look like this. The answer began: \"%s\".",
               str_sanitize(p->head + bom, p->nhead - bom, 100, quoted, sizeof(quoted)));
    err_hint(err, "If it lasts, check CENTRA_URL: it must be Centra's SOAP endpoint, such as "
                  "https://example.centra.com/ams/system/service/module/soap/api.");
    return ERR_CENTRA_UNAVAILABLE;
}

static void XMLCALL
on_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
    EvParser *p = arg;
    const Frame *parent = p->depth > 0 ? &p->frames[p->depth] : NULL;
    const char *ns;
    const char *local;
    size_t nslen;
    Frame *f;

    if (token_seen(p, true))
        return;
    if (p->overflow > 0 || p->depth >= p->lim.max_depth) {
        p->overflow++;
        if (p->in_event)
            quarantine(p, "elements nested deeper than %d (centra_max_depth) at line %lu",
                       p->lim.max_depth, cur_line(p));
        else if (p->rc == ERR_OK) {
            err_set(p->err, ERR_CENTRA_FAULT, "%s nests elements deeper than %d (centra_max_depth)",
                    p->subject, p->lim.max_depth);
            fail(p, ERR_CENTRA_FAULT);
        }
        return;
    }
    f = &p->frames[++p->depth];
    memset(f, 0, sizeof(*f));
    f->field = -1;
    f->name_at = XML_GetCurrentByteIndex(p->xp) + 1; /* after "<" */
    if (p->in_event) {
        f->role = ROLE_OTHER;
        start_in_event(p, f, parent, name, atts);
        return;
    }
    split_name(name, &ns, &nslen, &local);
    if (p->depth == 1 && strcasecmp(local, "html") == 0) {
        html_seen(p);
        return;
    }
    f->role = role_of(p, parent, local);
    if (f->role == ROLE_EVENTS)
        p->seen_events = true;
    else if (f->role == ROLE_FAULT)
        p->in_fault = true;
    else if (f->role == ROLE_EVENT) {
        f->node = p->event_node;
        f->record = true;
        dynbuf_reset(&p->event_ns);
        if (dynbuf_add(&p->event_ns, ns, nslen) != ERR_OK)
            dynbuf_reset(&p->event_ns); /* too long to be anyone's: Centra's still match */
        event_begin(p);
    }
}

static void XMLCALL
on_end(void *arg, const XML_Char *name)
{
    EvParser *p = arg;
    Frame *f;

    (void)name;
    if (token_seen(p, true))
        return;
    if (p->overflow > 0) {
        p->overflow--;
        return;
    }
    f = &p->frames[p->depth];
    if (f->role == ROLE_EVENT) {
        event_end(p);
    } else if (f->role == ROLE_FAULT) {
        p->in_fault = false;
        p->fault_done = true;
    } else if (f->role == ROLE_HEADER && p->depth == 2) {
        p->header_end = XML_GetCurrentByteIndex(p->xp) + XML_GetCurrentByteCount(p->xp);
    } else if (p->in_event && !p->skip) {
        if (f->in_data) {
            const char *ns;
            const char *local;
            size_t nslen;

            split_name(name, &ns, &nslen, &local);
            (void)dynbuf_addstr(&p->payload, "</");
            (void)dynbuf_addstr(&p->payload, local);
            (void)dynbuf_addc(&p->payload, '>');
            if (f->node != NULL && f->node->is_data) {
                ErrKind rc;

                payload_flush(p, true);
                rc = p->rc == ERR_OK ? p->sink.payload_end(p->sink.arg, p->err) : p->rc;
                if (rc != ERR_OK)
                    fail(p, rc);
                p->payload_open = false;
            } else {
                payload_flush(p, false);
            }
        }
        if (f->field >= 0) {
            OpenRecord *r = &p->recs[p->nrecs - 1];

            r->len[f->field] = (int)r->buf.len - r->off[f->field];
        }
        if (f->record)
            record_close(p);
    } else if (p->in_event && f->record && p->nrecs > 0) {
        p->nrecs--; /* quarantined: records are dropped as they close */
    }
    if (--p->depth == 0) {
        p->root_closed = true;
        p->root_line = (unsigned long)XML_GetCurrentLineNumber(p->xp);
        p->root_col = (unsigned long)XML_GetCurrentColumnNumber(p->xp) + 1;
    }
}

static void XMLCALL
on_text(void *arg, const XML_Char *s, int len)
{
    EvParser *p = arg;
    Frame *f;

    if (token_seen(p, false) || p->overflow > 0 || p->depth == 0)
        return;
    f = &p->frames[p->depth];
    f->text_len += len;
    if (f->text_len > p->lim.max_text) {
        if (p->in_event) {
            quarantine(p, "text longer than %lld bytes (centra_max_text_size) at line %lu",
                       p->lim.max_text, cur_line(p));
        } else if (f->role != ROLE_OTHER && f->role != ROLE_HEADER && p->rc == ERR_OK) {
            err_set(p->err, ERR_CENTRA_FAULT,
                    "%s has a text longer than %lld bytes (centra_max_text_size)", p->subject,
                    p->lim.max_text);
            fail(p, ERR_CENTRA_FAULT);
        }
        return;
    }
    if (f->role == ROLE_FAULTCODE || f->role == ROLE_FAULTSTR) {
        DynBuf *b = f->role == ROLE_FAULTCODE ? &p->faultcode : &p->faultstring;

        if (b->len + (size_t)len < FAULT_TEXT)
            (void)dynbuf_add(b, s, (size_t)len);
        return;
    }
    if (!p->in_event || p->skip)
        return;
    if (f->field >= 0) {
        OpenRecord *r = &p->recs[p->nrecs - 1];

        if (dynbuf_add(&r->buf, s, (size_t)len) != ERR_OK)
            quarantine(p, "record too large at line %lu", cur_line(p));
    }
    if (f->in_data) {
        payload_text(p, s, (size_t)len, false);
        payload_flush(p, false);
    }
}

static void XMLCALL
on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
           int has_internal_subset)
{
    EvParser *p = arg;

    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    if (name != NULL && strcasecmp(name, "html") == 0) {
        html_seen(p);
        return;
    }
    if (p->rc == ERR_OK) {
        err_set(p->err, ERR_CENTRA_FAULT,
                "%s has a document type declaration (DTD), which is refused", p->subject);
        err_detail(p->err, "DTDs can declare entities that expand without bound; Centra "
                           "never sends one.");
    }
    fail(p, ERR_CENTRA_FAULT);
}

/* Comments, and whatever no other handler receives (declarations, CDATA delimiters, ...). */
static void XMLCALL
on_other(void *arg, const XML_Char *data)
{
    (void)data;
    (void)token_seen(arg, true);
}

/*
 * Outside the document element as well: white space there is not markup, so
 * it has no cap.  Expat passes it on as it comes (once fed whole, once per
 * chunk), so counting it as one token would make the cap depend on the chunks.
 */
static void XMLCALL
on_default(void *arg, const XML_Char *data, int len)
{
    bool space = true;

    for (int i = 0; i < len && space; i++)
        space = str_is_xml_space(data[i]);
    (void)token_seen(arg, !space);
}

static void XMLCALL
on_pi(void *arg, const XML_Char *target, const XML_Char *data)
{
    (void)target;
    on_other(arg, data);
}

/* ---------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------- */

static void
parser_init_expat(EvParser *p)
{
    p->xp = XML_ParserCreateNS("UTF-8", NS_SEP);
    if (p->xp == NULL) {
        fprintf(stderr, "out of memory creating an XML parser\n");
        abort();
    }
    XML_SetUserData(p->xp, p);
    XML_SetElementHandler(p->xp, on_start, on_end);
    XML_SetCharacterDataHandler(p->xp, on_text);
    XML_SetStartDoctypeDeclHandler(p->xp, on_doctype);
    XML_SetCommentHandler(p->xp, on_other);
    XML_SetProcessingInstructionHandler(p->xp, on_pi);
    XML_SetDefaultHandlerExpand(p->xp, on_default);
    XML_SetParamEntityParsing(p->xp, XML_PARAM_ENTITY_PARSING_NEVER);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
    XML_SetBillionLaughsAttackProtectionMaximumAmplification(p->xp, 100.0f);
    XML_SetBillionLaughsAttackProtectionActivationThreshold(p->xp, 8 * 1024 * 1024);
#endif
}

EvParser *
evp_new(const EvpLimits *limits, const EvpSink *sink)
{
    EvParser *p = xcalloc(1, sizeof(EvParser));

    p->lim = *limits;
    if (p->lim.max_depth <= 0 || p->lim.max_depth > 256)
        p->lim.max_depth = 256;
    p->sink = *sink;
    p->source = xstrdup("events_Get");
    p->subject = xstrdup("the answer to events_Get");
    p->frames = xcalloc((size_t)p->lim.max_depth + 2, sizeof(Frame));
    for (int i = 0; i < MAX_RECORDS; i++)
        dynbuf_init(&p->recs[i].buf, (size_t)p->lim.max_text * 4 + 4096);
    dynbuf_init(&p->reason, 4096);
    dynbuf_init(&p->notes, NOTES_MAX + 64);
    dynbuf_init(&p->payload, SIZE_MAX / 2);
    dynbuf_init(&p->raw.mem, RAW_MEM_MAX + 1);
    dynbuf_init(&p->filtered, SIZE_MAX / 2);
    dynbuf_init(&p->faultcode, FAULT_TEXT);
    dynbuf_init(&p->faultstring, FAULT_TEXT);
    dynbuf_init(&p->scratch, SIZE_MAX / 2);
    dynbuf_init(&p->event_ns, NS_URI_MAX);
    build_tree(p);
    parser_init_expat(p);
    p->tc = tc_new();
    return p;
}

void
evp_free(EvParser *p)
{
    if (p == NULL)
        return;
    XML_ParserFree(p->xp);
    for (size_t i = 0; i < p->nnodes; i++) {
        xfree(p->nodes[i]->name);
        xfree(p->nodes[i]->kids);
        xfree(p->nodes[i]->slots);
        xfree(p->nodes[i]);
    }
    xfree(p->nodes);
    xfree(p->frames);
    for (int i = 0; i < MAX_RECORDS; i++)
        dynbuf_free(&p->recs[i].buf);
    dynbuf_free(&p->reason);
    dynbuf_free(&p->notes);
    dynbuf_free(&p->payload);
    dynbuf_free(&p->raw.mem);
    if (p->raw.file != NULL)
        fclose(p->raw.file);
    dynbuf_free(&p->filtered);
    dynbuf_free(&p->faultcode);
    dynbuf_free(&p->faultstring);
    dynbuf_free(&p->scratch);
    dynbuf_free(&p->event_ns);
    hashmap_free(p->keys);
    tc_free(p->tc);
    xfree(p->source);
    xfree(p->subject);
    xfree(p);
}

void
evp_set_source(EvParser *p, const char *what, bool saved)
{
    size_t n = strlen(what) + sizeof("the answer to ");

    xfree(p->source);
    xfree(p->subject);
    p->source = xstrdup(what);
    p->subject = xmalloc(n);
    snprintf(p->subject, n, "the answer %s %s", saved ? "in" : "to", what);
}

bool
evp_stopped(const EvParser *p)
{
    return p->stopped;
}

EvpStats
evp_stats(const EvParser *p)
{
    return p->stats;
}

/* ---------------------------------------------------------------------------
 * Feeding
 * ------------------------------------------------------------------------- */

static void
remember_replacement(EvParser *p, long long at)
{
    p->stats.replaced_chars++;
    if (p->nrepl < REPL_MAX)
        p->repl[p->nrepl++] = at;
    else
        p->repl_lost++;
}

/* Whether byte c may start something to replace (a control character or EF BF BE/BF). */
static inline bool
suspect(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0xEF;
}

/*
 * The first byte at or after i that suspect() flags, or len.  Eight bytes at
 * a time: a word is looked at byte by byte only when one of its bytes is
 * below 0x20 or is 0xEF (exact tests: x - 0x20.. & ~x has a high bit set in
 * the lowest such byte, and so has y - 0x01.. & ~y for a zero byte of y).
 */
static size_t
first_suspect(const unsigned char *s, size_t i, size_t len)
{
    const uint64_t ones = 0x0101010101010101u;
    const uint64_t highs = 0x8080808080808080u;

    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        uint64_t ef;

        memcpy(&x, s + i, sizeof(x));
        ef = x ^ (0xEF * ones);
        if (((x - 0x20 * ones) & ~x & highs) == 0 && ((ef - ones) & ~ef & highs) == 0)
            continue;
        for (size_t k = i; k < i + 8; k++)
            if (suspect(s[k]))
                return k;
    }
    for (; i < len; i++)
        if (suspect(s[i]))
            return i;
    return len;
}

/*
 * Replace invalid XML characters by U+FFFD (EF BF BD): C0 controls but tab,
 * newline and carriage return, and U+FFFE/U+FFFF (EF BF BE/BF), which may be
 * split across chunks (held back in carry).  *out is data itself when
 * nothing needed replacing.
 */
static void
filter_chunk(EvParser *p, const char *data, size_t len, const char **out, size_t *outlen,
             bool final)
{
    const unsigned char *s = (const unsigned char *)data;
    DynBuf *b = &p->filtered;
    size_t i = 0;
    size_t run;

    if (p->ncarry == 0) {
        i = first_suspect(s, 0, len);
        if (i == len) {
            *out = data;
            *outlen = len;
            return;
        }
    }
    dynbuf_reset(b);
    (void)dynbuf_add(b, p->carry, (size_t)p->ncarry);
    p->ncarry = 0;
    for (run = 0; i < len; i++) {
        if (s[i] >= 0x20 || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
            continue;
        (void)dynbuf_add(b, data + run, i - run);
        remember_replacement(p, (long long)b->len + p->fed);
        (void)dynbuf_add(b, "\xEF\xBF\xBD", 3);
        run = i + 1;
    }
    (void)dynbuf_add(b, data + run, len - run);
    /* U+FFFE / U+FFFF in what was gathered (carry included). */
    for (size_t j = 0; j + 2 < b->len; j++) {
        unsigned char *q = (unsigned char *)b->data + j;

        if (q[0] == 0xEF && q[1] == 0xBF && (q[2] == 0xBE || q[2] == 0xBF)) {
            q[2] = 0xBD;
            remember_replacement(p, (long long)j + p->fed);
        }
    }
    /* Hold back a trailing EF or EF BF: the sequence may end in the next chunk. */
    if (!final) {
        size_t n = b->len;
        unsigned char *q = (unsigned char *)b->data;

        if (n >= 2 && q[n - 2] == 0xEF && q[n - 1] == 0xBF) {
            p->carry[0] = 0xEF;
            p->carry[1] = 0xBF;
            p->ncarry = 2;
        } else if (n >= 1 && q[n - 1] == 0xEF) {
            p->carry[0] = 0xEF;
            p->ncarry = 1;
        }
        dynbuf_truncate(b, n - (size_t)p->ncarry);
    }
    *out = b->data;
    *outlen = b->len;
}

/* Start of the bytes a malformed answer's quarantine keeps. */
static long long
broken_start(const EvParser *p)
{
    return p->in_event ? p->event_start : p->last_end;
}

/* The error for the SOAP Fault the answer held. */
static ErrKind
fault_error(const EvParser *p, Error *err)
{
    return soap_fault_error(err, p->source, dynbuf_str(&p->faultcode), dynbuf_str(&p->faultstring));
}

/* raw_each_range's callback: the bytes into a DynBuf, the first LENIENT_SCAN at most. */
static ErrKind
gather_chunk(void *arg, const char *data, size_t len, Error *err)
{
    DynBuf *b = arg;

    (void)err;
    if (b->len < LENIENT_SCAN)
        (void)dynbuf_add(b, data, len < LENIENT_SCAN - b->len ? len : LENIENT_SCAN - b->len);
    return ERR_OK;
}

/* A byte of a tag name (of a well-formed one: expat checked it). */
static bool
in_name(char c)
{
    return !str_is_xml_space(c) && c != '/' && c != '>';
}

/*
 * The tag name that starts at offset at, as written (prefix included), into
 * out (TAG_NAME_MAX + 4 bytes: a longer name is cut between characters and
 * ends in "...").  False when its bytes are no longer kept (before the
 * current event).
 */
static bool
tag_name_at(EvParser *p, long long at, char *out)
{
    DynBuf h; /* the name, with the rest of a character cut at the cap and more */
    size_t n = 0;

    dynbuf_init(&h, TAG_NAME_MAX + 5);
    if (at >= p->raw.base &&
        raw_each_range(p, at, at + TAG_NAME_MAX + 4, gather_chunk, &h, NULL) == ERR_OK) {
        while (n < h.len && in_name(h.data[n]))
            n++;
        (void)str_sanitize(h.data, n, TAG_NAME_MAX, out, TAG_NAME_MAX + 4);
    }
    dynbuf_free(&h);
    return n > 0;
}

/*
 * expat's message, with the tags named when an end tag does not match:
 * "mismatched tag: </b> where </a> is expected".  expat places the error at
 * the end tag's name; the open element is named when its start tag is still
 * in the bytes kept (inside an event, or after the last one).
 */
static void
expat_message(EvParser *p, enum XML_Error code, char *out, size_t size)
{
    char found[TAG_NAME_MAX + 4];
    char open[TAG_NAME_MAX + 4];

    if (code != XML_ERROR_TAG_MISMATCH || !tag_name_at(p, XML_GetCurrentByteIndex(p->xp), found)) {
        snprintf(out, size, "%s", XML_ErrorString(code));
        return;
    }
    if (p->overflow == 0 && p->depth > 0 && tag_name_at(p, p->frames[p->depth].name_at, open))
        snprintf(out, size, "%s: </%s> where </%s> is expected", XML_ErrorString(code), found,
                 open);
    else
        snprintf(out, size, "%s: </%s>", XML_ErrorString(code), found);
}

/* expat stopped on an error in the document. */
static ErrKind
xml_error(EvParser *p, Error *err)
{
    enum XML_Error code = XML_GetErrorCode(p->xp);
    unsigned long line = (unsigned long)XML_GetCurrentLineNumber(p->xp);
    unsigned long col = (unsigned long)XML_GetCurrentColumnNumber(p->xp) + 1;
    char msg[3 * TAG_NAME_MAX];
    char why[4 * TAG_NAME_MAX];

    if (p->rc != ERR_OK)
        return p->rc; /* a handler's error, already in err */
    if (p->root_closed && p->fault_done)
        return fault_error(p, err); /* what follows a whole Fault does not hide it */
    /*
     * After the document element expat's error depends on where the chunks end
     * ("xmlns=" is an invalid token when whole, junk after the document element
     * when cut after "x"), so it is not repeated: where the element closed is
     * the same however the answer arrives.
     */
    if (p->root_closed)
        snprintf(why, sizeof(why),
                 "after the document element, which closes at line %lu, column %lu, comes "
                 "something other than white space, a comment or a processing instruction",
                 p->root_line, p->root_col);
    else {
        expat_message(p, code, msg, sizeof(msg));
        snprintf(why, sizeof(why), "at line %lu, column %lu: %s", line, col, msg);
    }
    if (p->depth == 0 && !p->root_closed && begins_html_doctype(p)) {
        html_seen(p); /* "<!doctype html>": HTML's spelling, a syntax error to XML */
        return p->rc;
    }
    if (!p->seen_events || p->in_fault) {
        err_set(err, ERR_CENTRA_FAULT, "%s is not well-formed XML", p->subject);
        err_detail(err, "%c%s.", toupper((unsigned char)why[0]), why + 1);
        if (code == XML_ERROR_MISPLACED_XML_PI && p->nhead > 0 && str_is_xml_space(p->head[0]))
            err_hint(err, "The answer starts with white space before \"<?xml\", which XML "
                          "does not allow: the server's script writes something before it (in "
                          "PHP, often a blank line before \"<?php\" in an included file).");
        return ERR_CENTRA_FAULT;
    }
    p->draining = true;
    p->stats.malformed = true;
    p->stats.rest_unread = !p->root_closed;
    dynbuf_reset(&p->reason);
    (void)dynbuf_addf(&p->reason, "malformed XML %s", why);
    raw_drop_before(p, broken_start(p));
    return ERR_OK;
}

/* A token longer than the cap: parsing ends as for malformed XML. */
static void
huge_token_error(EvParser *p)
{
    p->draining = true;
    p->stats.malformed = true;
    p->stats.rest_unread = !p->root_closed;
    dynbuf_reset(&p->reason);
    (void)dynbuf_addf(&p->reason,
                      "a single tag or comment is longer than %lld bytes (centra_max_text_size)",
                      p->lim.max_text);
    raw_drop_before(p, broken_start(p));
}

static ErrKind
feed_expat(EvParser *p, const char *data, size_t len, bool final, Error *err)
{
    ErrKind rc;

    rc = raw_append(p, data, len, err);
    if (rc != ERR_OK)
        return rc;
    p->err = err;
    /*
     * Fed in pieces that end where expat would hold more than the cap past the
     * last token a handler saw: a token that long (a tag, a comment, an XML
     * declaration without end) is refused at the same byte however the
     * answer arrives, before expat could judge it whole.
     */
    for (;;) {
        long long room = p->tok_end + p->lim.max_text + TOKEN_SLACK + 1 - p->fed;
        size_t n = (long long)len > room ? (size_t)room : len;

        p->fed += (long long)n;
        if (XML_Parse(p->xp, data, (int)n, final && n == len) != XML_STATUS_OK && !p->huge_token)
            return xml_error(p, err);
        if (p->rc != ERR_OK)
            return p->rc;
        /* A handler met a huge token, or expat is buffering one without end. */
        if (p->huge_token || p->fed - p->tok_end > p->lim.max_text + TOKEN_SLACK) {
            huge_token_error(p);
            return ERR_OK;
        }
        data += n;
        len -= n;
        if (len == 0)
            return ERR_OK;
    }
}

static ErrKind
feed_slice(EvParser *p, const char *data, size_t len, Error *err)
{
    const char *chunk;
    size_t clen;
    ErrKind rc;

    p->stats.bytes += (long long)len;
    /*
     * Filtered while draining too: a quarantine's bytes and replacements must
     * not depend on where the chunk that broke the XML ended.
     */
    filter_chunk(p, data, len, &chunk, &clen, false);
    if (clen == 0)
        return ERR_OK;
    if (p->draining) {
        p->fed += (long long)clen;
        return raw_append(p, chunk, clen, err);
    }
    rc = feed_expat(p, chunk, clen, false, err);
    if (rc == ERR_OK && !p->draining)
        settle_replacements(p);
    return rc;
}

/* At most REPL_MAX bytes at a time: each adds at most one replacement to remember. */
static ErrKind
feed_chunk(EvParser *p, const char *data, size_t len, Error *err)
{
    ErrKind rc = ERR_OK;

    while (rc == ERR_OK && len > 0) {
        size_t n = len < REPL_MAX ? len : REPL_MAX;

        rc = feed_slice(p, data, n, err);
        data += n;
        len -= n;
    }
    return rc;
}

/* ---------------------------------------------------------------------------
 * A counting sink
 * ------------------------------------------------------------------------- */

static ErrKind
count_payload_begin(void *arg, int seq, Error *err)
{
    (void)arg;
    (void)seq;
    (void)err;
    return ERR_OK;
}

static ErrKind
count_payload_data(void *arg, const char *data, size_t len, Error *err)
{
    (void)arg;
    (void)data;
    (void)len;
    (void)err;
    return ERR_OK;
}

static ErrKind
count_payload_end(void *arg, Error *err)
{
    (void)arg;
    (void)err;
    return ERR_OK;
}

static ErrKind
count_record(void *arg, const EvpRecord *rec, Error *err)
{
    (void)arg;
    (void)rec;
    (void)err;
    return ERR_OK;
}

static ErrKind
count_event(void *arg, const EvpEvent *ev, EvParser *p, Error *err)
{
    (void)ev;
    (void)p;
    (void)err;
    (*(long long *)arg)++;
    return ERR_OK;
}

EvpSink
evp_count_sink(long long *events)
{
    EvpSink sink = {count_payload_begin, count_payload_data, count_payload_end,
                    count_record,        count_event,        events};

    return sink;
}

/*
 * Feed UTF-8 bytes, up to the size cap.  The caps count the bytes of the
 * UTF-8 text, after conversion from another encoding: they bound what is
 * held and parsed, and they are then the same for an answer and its UTF-8
 * twin.
 */
static ErrKind
feed_capped(EvParser *p, const char *data, size_t len, Error *err)
{
    size_t room;
    ErrKind rc;

    if (p->stopped)
        return ERR_OK;
    room = (size_t)(p->lim.max_response - p->stats.bytes);
    if (len <= room)
        return feed_chunk(p, data, len, err);
    /* The bytes up to the cap are parsed, whatever the chunking: the same events are complete. */
    rc = room > 0 ? feed_chunk(p, data, room, err) : ERR_OK;
    if (rc != ERR_OK)
        return rc;
    p->stopped = true;
    p->stats.stopped_at_cap = true;
    return err_set(err, ERR_TOO_BIG, "%s is larger than %lld bytes (centra_max_response_size)",
                   p->subject, p->lim.max_response);
}

/*
 * Bytes not valid in the answer's encoding (see transcode.c): refused before
 * the events, as malformed XML is; in or after an event, the same as
 * malformed XML there (the event is quarantined with its bytes, the invalid
 * ones as U+FFFD, and parsing ends).
 */
static ErrKind
encoding_error(EvParser *p, Error *err)
{
    if (!p->seen_events || p->in_fault)
        return tc_invalid_error(p->tc, p->subject, err);
    p->draining = true;
    p->stats.malformed = true;
    p->stats.rest_unread = !p->root_closed;
    dynbuf_reset(&p->reason);
    tc_invalid_reason(p->tc, &p->reason);
    raw_drop_before(p, broken_start(p));
    return ERR_OK;
}

/* Feed bytes through the transcoder, a slice at a time (final: the answer's last). */
static ErrKind
feed_transcoded(EvParser *p, const char *data, size_t len, bool final, Error *err)
{
    do {
        size_t n = len < TC_SLICE ? len : TC_SLICE;
        TcChunk c;
        size_t good;
        ErrKind rc;

        if (p->stopped)
            return ERR_OK;
        rc = tc_feed(p->tc, p->subject, data, n, final && n == len, &c, err);
        if (rc != ERR_OK)
            return rc;
        good = c.bad && !p->draining ? c.bad_at : c.len;
        rc = feed_capped(p, c.data, good, err);
        if (rc == ERR_OK && good < c.len && !p->stopped && !p->draining)
            rc = encoding_error(p, err);
        if (rc == ERR_OK && good < c.len)
            rc = feed_capped(p, c.data + good, c.len - good, err);
        if (rc != ERR_OK)
            return rc;
        data += n;
        len -= n;
    } while (len > 0);
    return ERR_OK;
}

ErrKind
evp_feed(EvParser *p, const char *data, size_t len, Error *err)
{
    ErrKind rc;

    if (p->nhead < sizeof(p->head)) {
        size_t n = len < sizeof(p->head) - p->nhead ? len : sizeof(p->head) - p->nhead;

        memcpy(p->head + p->nhead, data, n);
        p->nhead += n;
    }
    if (p->html) {
        p->stats.bytes += (long long)len; /* not parsed, but counted as if */
    } else {
        rc = tc_passthrough(p->tc) ? feed_capped(p, data, len, err)
                                   : feed_transcoded(p, data, len, false, err);
        if (!p->html)
            return rc;
        err_reset(err);
    }
    return p->nhead == sizeof(p->head) ? html_error(p, err) : ERR_OK;
}

/*
 * Find "<[prefix:]name>", or the same with attributes (not "<name/>"), or with
 * closing "</[prefix:]name>", at or after from; returns the offset after '>'
 * or -1.
 */
static long
find_tag_of(const char *s, size_t len, size_t from, const char *name, bool closing)
{
    size_t n = strlen(name);

    for (size_t i = from; i + n + 1 < len; i++) {
        if (s[i] != '<' || (s[i + 1] == '/') != closing)
            continue;
        size_t j = i + 1 + closing;

        while (j < len && j - i < 40 && s[j] != ':' && s[j] != '>' && s[j] != '/' &&
               !str_is_xml_space(s[j]))
            j++;
        if (j < len && s[j] == ':')
            j++;
        else
            j = i + 1 + closing;
        if (j + n >= len || memcmp(s + j, name, n) != 0)
            continue;
        j += n;
        if (s[j] == '>')
            return (long)(j + 1);
        /* Attributes (namespace declarations, xsi:type): the tag ends at its '>'. */
        if (closing || !str_is_xml_space(s[j]))
            continue;
        while (j < len && s[j] != '>') {
            if (s[j] == '"' || s[j] == '\'') {
                const char *q = memchr(s + j + 1, s[j], len - j - 1); /* a value may hold '>' */

                j = q != NULL ? (size_t)(q - s) : len;
            }
            j++;
        }
        if (j < len && s[j - 1] != '/')
            return (long)(j + 1);
    }
    return -1;
}

static long
find_tag(const char *s, size_t len, size_t from, const char *name)
{
    return find_tag_of(s, len, from, name, false);
}

/*
 * Copy the text of the first <[prefix:]name> at or after from (up to '<',
 * printable or XML white space, short) into out, without the white space
 * around it, as the mapping reads the codes of an event's head; "" when
 * there is none or it is not such text.
 */
static bool
text_of(const char *s, size_t len, size_t from, const char *name, char *out, size_t size)
{
    long at = find_tag(s, len, from, name);
    const char *t;
    size_t n = 0;
    size_t i;

    out[0] = '\0';
    if (at < 0)
        return false;
    for (i = (size_t)at; i < len && s[i] != '<'; i++) {
        if (((unsigned char)s[i] < 0x20 && !str_is_xml_space(s[i])) || n + 1 >= size) {
            out[0] = '\0';
            return false;
        }
        out[n++] = s[i];
    }
    /* Cut by the end of what was scanned, or not UTF-8 (it goes to COPY): none. */
    if (i >= len || !utf8_is_valid(out, n)) {
        out[0] = '\0';
        return false;
    }
    t = out;
    evmap_trim(&t, &n);
    memmove(out, t, n);
    out[n] = '\0';
    return n > 0;
}

typedef struct Lenient {
    char id[32];                     /* event id text */
    char type[64];                   /* event type */
    char entry[128];                 /* entry */
    char mission[32];                /* mission */
    char date[64];                   /* date as written */
    char date_norm[EVMAP_VALUE_MAX]; /* ...normalised, "" when not a date */
} Lenient;

/* Where the lenient scans of a broken answer start: the bytes kept, after a SOAP Header. */
static long long
scan_start(const EvParser *p)
{
    return p->header_end > p->raw.base ? p->header_end : p->raw.base;
}

/* Recover id, type, entry, mission and date of a broken event from its first bytes. */
static void
lenient_scan(EvParser *p, Lenient *l, Error *err)
{
    DynBuf b;
    long ev;
    size_t stop;

    memset(l, 0, sizeof(*l));
    dynbuf_init(&b, LENIENT_SCAN + 1);
    if (raw_each_range(p, scan_start(p), p->raw.end, gather_chunk, &b, err) == ERR_OK &&
        b.len > 0) {
        ev = find_tag(b.data, b.len, 0, "event");
        if (ev >= 0) {
            /* Only this event's head: before its <data>, its end, or the next event. */
            long bound[3] = {find_tag(b.data, b.len, (size_t)ev, "data"),
                             find_tag(b.data, b.len, (size_t)ev, "event"),
                             find_tag_of(b.data, b.len, (size_t)ev, "event", true)};

            stop = b.len;
            for (size_t k = 0; k < CB_LENGTH(bound); k++)
                if (bound[k] >= 0 && (size_t)bound[k] < stop)
                    stop = (size_t)bound[k];
            text_of(b.data, stop, (size_t)ev, "id", l->id, sizeof(l->id));
            text_of(b.data, stop, (size_t)ev, "type", l->type, sizeof(l->type));
            ascii_lower(l->type, strlen(l->type));
            text_of(b.data, stop, (size_t)ev, "entry", l->entry, sizeof(l->entry));
            text_of(b.data, stop, (size_t)ev, "mission", l->mission, sizeof(l->mission));
            text_of(b.data, stop, (size_t)ev, "date", l->date, sizeof(l->date));
        }
    }
    dynbuf_free(&b);
    /* The date goes to a timestamptz column: only a date that reads as one. */
    if (l->date[0] != '\0') {
        bool is_null;

        if (!evmap_normalize(EVT_TS, l->date, strlen(l->date), l->date_norm, sizeof(l->date_norm),
                             &is_null) ||
            is_null)
            l->date_norm[0] = '\0';
    }
}

/* The answer broke: report the event it broke in (or the bytes after the last one). */
static ErrKind
finish_broken(EvParser *p, Error *err)
{
    EvpEvent ev;
    Lenient l;
    bool had_event = p->in_event;
    ErrKind rc = payload_abandon(p, err);

    if (rc != ERR_OK)
        return rc;
    if (!p->seen_events && !p->in_fault) {
        /* Broken (a tag over the cap) before any <events>: not an answer, as xml_error says. */
        err_set(err, ERR_CENTRA_FAULT, "%s is not well-formed XML", p->subject);
        err_detail(err, "%c%s.", toupper((unsigned char)p->reason.data[0]), p->reason.data + 1);
        return ERR_CENTRA_FAULT;
    }
    lenient_scan(p, &l, err);
    if (!had_event) {
        /* Nothing event-like after the last event: the events are all complete. */
        DynBuf b;
        bool event_like;

        dynbuf_init(&b, LENIENT_SCAN + 1);
        (void)raw_each_range(p, scan_start(p), p->raw.end, gather_chunk, &b, err);
        event_like = b.len > 0 && find_tag(b.data, b.len, 0, "event") >= 0;
        dynbuf_free(&b);
        if (!event_like) {
            log_warn("%s: ignored what follows the last event: %s", p->source, p->reason.data);
            return ERR_OK;
        }
    }
    memset(&ev, 0, sizeof(ev));
    ev.seq = had_event ? p->seq : p->seq + 1;
    ev.event_id = parse_event_id(l.id[0] != '\0' ? l.id : NULL);
    if (ev.event_id < 0)
        ev.event_id = -1; /* what the sink knows: no id it can acknowledge */
    ev.values[EVF_ID] = l.id[0] != '\0' ? l.id : NULL;
    ev.values[EVF_TYPE] = l.type[0] != '\0' ? l.type : NULL;
    ev.values[EVF_ENTRY] = l.entry[0] != '\0' ? l.entry : NULL;
    ev.values[EVF_MISSION] = l.mission[0] != '\0' ? l.mission : NULL;
    ev.values[EVF_DATE] = l.date_norm[0] != '\0' ? l.date_norm : NULL;
    ev.quarantine = p->reason.data;
    ev.replaced_chars = take_replacements(p, p->raw.end);
    p->in_event = false;
    return emit_event(p, &ev, err);
}

/* The answer passed the size cap. */
static ErrKind
finish_stopped(EvParser *p, Error *err)
{
    if (!p->in_event && p->stats.events > 0)
        return ERR_OK; /* cut between events: the rest comes next time */
    if (!p->in_event) {
        /* Nothing usable: not an empty queue, and nothing to quarantine. */
        err_set(err, ERR_CENTRA_FAULT,
                "%s passed %lld bytes (centra_max_response_size) before its "
                "first event",
                p->subject, p->lim.max_response);
        err_detail(err, "Nothing of it was stored or acknowledged.");
        err_hint(err, "If Centra's answers are legitimately this large, raise "
                      "centra_max_response_size.");
        return ERR_CENTRA_FAULT;
    }
    if (p->stats.events > 0) {
        /* Complete events go on; the cut one comes again first next time. */
        ErrKind rc = payload_abandon(p, err);

        if (rc != ERR_OK)
            return rc;
        log_warn("%s: the answer passed centra_max_response_size in event %d; the %d complete "
                 "events before it are kept, that event and the rest are not read (import: the "
                 "next events_Get sends them again)",
                 p->source, p->seq, p->stats.events);
        return ERR_OK;
    }
    p->draining = true;
    dynbuf_reset(&p->reason);
    (void)dynbuf_addf(&p->reason,
                      "the event is larger than %lld bytes (centra_max_response_size); its "
                      "first %lld bytes are kept",
                      p->lim.max_response, p->raw.end - p->raw.base);
    return finish_broken(p, err);
}

static ErrKind
finish_parse(EvParser *p, Error *err)
{
    ErrKind rc;

    if (!p->stopped && !tc_passthrough(p->tc)) {
        /* Bytes held back: a short answer, or a sequence the end cuts. */
        rc = feed_transcoded(p, "", 0, true, err);
        if (rc != ERR_OK && !p->stopped)
            return rc;
    }
    if (p->stopped)
        return finish_stopped(p, err);
    if (p->draining && p->ncarry > 0) {
        /* A held-back EF or EF BF is the answer's last bytes: keep them with the quarantine. */
        rc = raw_append(p, (const char *)p->carry, (size_t)p->ncarry, err);
        p->fed += p->ncarry;
        p->ncarry = 0;
        if (rc != ERR_OK)
            return rc;
    }
    if (!p->draining) {
        const char *chunk = (const char *)p->carry;
        size_t clen = (size_t)p->ncarry;

        p->ncarry = 0;
        rc = raw_append(p, chunk, clen, err);
        if (rc != ERR_OK)
            return rc;
        if (XML_Parse(p->xp, chunk, (int)clen, XML_TRUE) != XML_STATUS_OK) {
            if (p->rc != ERR_OK)
                return p->rc;
            if (!p->root_closed) {
                /* Everything before parsed: the document just stopped (a truncated body). */
                err_set(err, ERR_CENTRA_UNAVAILABLE, "%s ended before it was complete", p->subject);
                err_detail(err, "After %lld bytes, at line %lu: %s.", p->stats.bytes,
                           (unsigned long)XML_GetCurrentLineNumber(p->xp),
                           XML_ErrorString(XML_GetErrorCode(p->xp)));
                return ERR_CENTRA_UNAVAILABLE;
            }
            /* The document was complete: an unclosed comment after it is junk, not a cut. */
            rc = xml_error(p, err);
            if (rc != ERR_OK)
                return rc;
        }
        if (p->rc != ERR_OK)
            return p->rc;
    }
    if (p->fault_done)
        return fault_error(p, err);
    if (p->draining)
        return finish_broken(p, err);
    if (!p->seen_events) {
        err_set(err, ERR_CENTRA_FAULT, "%s has no <events> element", p->subject);
        err_hint(err, "Check that CENTRA_URL is Centra's SOAP endpoint.");
        return ERR_CENTRA_FAULT;
    }
    return ERR_OK;
}

ErrKind
evp_finish(EvParser *p, Error *err)
{
    ErrKind rc;

    p->err = err;
    rc = p->html ? ERR_OK : finish_parse(p, err);
    return p->html ? html_error(p, err) : rc;
}

ErrKind
evp_raw_each(EvParser *p, EvpBytesFn fn, void *arg, Error *err)
{
    long long to = p->draining || p->stopped ? p->raw.end : p->last_end;

    return raw_each_range(p, p->raw.base, to, fn, arg, err);
}
