/*
 * tests/sim/sim_store.c
 *     centra-sim's state (see sim_store_int.h).
 *
 * The queue is an array in id order with a cursor below which everything
 * is acknowledged, so events_Get costs O(batch) on a queue drained in order
 * and never O(queue).
 */
#include "sim_store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "centra/alloc.h"
#include "centra/strutil.h"
#include "sim_journal_int.h"

#define EVENT_DEPTH 4 /* Envelope, Body, events_Get, events: an <event> is at depth 4 */

/* Index of value in table, or -1. */
static int
intern_find(char *const *table, size_t n, const char *value)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i], value) == 0)
            return (int)i;
    return -1;
}

/* Index of value in table, added if new (callers keep n below SIM_MAX_INTERNED). */
static int
intern(char ***table, size_t *n, const char *value)
{
    int i = intern_find(*table, *n, value);

    if (i >= 0)
        return i;
    *table = xrealloc_array(*table, *n + 1, sizeof(char *));
    (*table)[*n] = xstrdup(value);
    return (int)(*n)++;
}

static bool
free_node(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    xml_free(value);
    return true;
}

static bool
free_string(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    xfree(value);
    return true;
}

void
sim_store_init(SimStore *s, const SimStyle *style)
{
    memset(s, 0, sizeof(*s));
    s->style = *style;
    s->objects = hashmap_new();
    s->orders = hashmap_new();
    s->refunds = hashmap_new();
    s->variations = hashmap_new();
    s->op_counts = hashmap_new();
    s->next_id = 1;
    s->next_seq = 1;
}

static void
free_event(SimEvent *e)
{
    if (e->stored == NULL)
        return;
    xfree(e->stored->entry);
    xfree(e->stored->mission);
    xfree(e->stored->date);
    xfree(e->stored->data);
    xfree(e->stored);
    e->stored = NULL;
}

void
sim_store_clear(SimStore *s)
{
    for (size_t i = 0; i < s->nevents; i++)
        free_event(&s->events[i]);
    xfree(s->events);
    for (size_t i = 0; i < s->ntypes; i++)
        xfree(s->types[i]);
    xfree(s->types);
    for (size_t i = 0; i < s->nmarkets; i++)
        xfree(s->markets[i]);
    xfree(s->markets);
    xfree(s->done_ids);
    for (size_t i = 0; i < s->nrequests; i++) {
        SimRequest *r = &s->requests[(s->requests_head + i) % s->requests_alloc];

        xfree(r->op);
        xfree(r->time);
        xfree(r->body);
    }
    xfree(s->requests);
    hashmap_each(s->objects, free_node, NULL);
    hashmap_each(s->orders, free_node, NULL);
    hashmap_each(s->refunds, free_string, NULL);
    hashmap_each(s->variations, free_string, NULL);
    hashmap_free(s->objects);
    hashmap_free(s->orders);
    hashmap_free(s->refunds);
    hashmap_free(s->variations);
    hashmap_free(s->op_counts);
    gen_plan_free(&s->plan);
    {
        SimStyle style = s->style; /* sim_store_init clears s first */

        sim_store_init(s, &style);
    }
}

void
sim_store_free(SimStore *s)
{
    sim_store_clear(s);
    hashmap_free(s->objects);
    hashmap_free(s->orders);
    hashmap_free(s->refunds);
    hashmap_free(s->variations);
    hashmap_free(s->op_counts);
    memset(s, 0, sizeof(*s));
}

void
sim_now(char *buf, size_t size, SimTime format)
{
    time_t t = time(NULL);
    struct tm tm;

    if (format != SIM_TIME_UTC)
        t += 3600;
    gmtime_r(&t, &tm);
    switch (format) {
    case SIM_TIME_EVENT:
        strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
        break;
    case SIM_TIME_ISO:
        strftime(buf, size, "%Y-%m-%dT%H:%M:%S+01:00", &tm);
        break;
    case SIM_TIME_UTC:
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
        break;
    }
}

/* --- objects ------------------------------------------------------------------------ */

void
sim_store_key(char *buf, size_t size, const char *type, const char *id)
{
    snprintf(buf, size, "%s" SIM_KEY_SEP "%s", type, id);
}

XmlNode *
sim_store_object(SimStore *s, const char *type, const char *id)
{
    char key[512];

    sim_store_key(key, sizeof(key), type, id);
    return hashmap_get(s->objects, key);
}

void
sim_store_put_object(SimStore *s, const char *type, const char *id, XmlNode *obj)
{
    char key[512];
    XmlNode *old;

    sim_store_key(key, sizeof(key), type, id);
    old = hashmap_put(s->objects, key, obj);
    if (old != obj)
        xml_free(old);
    if (strcmp(type, "product") == 0) {
        const XmlNode *vars = xml_child(obj, "variations");

        for (XmlNode *v = xml_child(vars, "variation"); v != NULL;
             v = xml_next(vars, "variation", v)) {
            const char *vid = xml_child_text(v, "id");

            if (vid != NULL && vid[0] != '\0')
                xfree(hashmap_put(s->variations, vid, xstrdup(id)));
        }
    }
}

const char *
sim_store_variation_owner(const SimStore *s, const char *vid)
{
    return hashmap_get(s->variations, vid);
}

static void
add_catalog_object(const char *type, const char *id, XmlNode *obj, void *arg)
{
    sim_store_put_object(arg, type, id, obj);
}

/* --- the queue ------------------------------------------------------------------------ */

static SimEvent *
push_event(SimStore *s, long long id)
{
    size_t pos = s->nevents;

    if (s->nevents == s->events_alloc) {
        s->events_alloc = s->events_alloc == 0 ? 1024 : s->events_alloc * 2;
        s->events = xrealloc_array(s->events, s->events_alloc, sizeof(SimEvent));
    }
    /* Keep id order: an explicit id lower than the last goes where it belongs. */
    while (pos > 0 && s->events[pos - 1].id > id)
        pos--;
    memmove(&s->events[pos + 1], &s->events[pos], (s->nevents - pos) * sizeof(SimEvent));
    s->nevents++;
    if (pos < s->first_live)
        s->first_live = pos;
    memset(&s->events[pos], 0, sizeof(SimEvent));
    s->events[pos].id = id;
    s->events[pos].market = -1;
    s->live++;
    if (id >= s->next_id)
        s->next_id = id + 1;
    return &s->events[pos];
}

void
sim_store_generate(SimStore *s, uint64_t seed, size_t norders)
{
    s->seed = seed;
    gen_catalog(add_catalog_object, s);
    gen_plan(seed, norders, &s->plan);
    for (size_t i = 0; i < s->plan.n; i++) {
        const GenEntry *g = &s->plan.entries[i];
        const char *market = gen_event_market(g);
        SimEvent *e = push_event(s, s->next_id);

        e->gen = (uint32_t)i + 1;
        e->type = (uint16_t)intern(&s->types, &s->ntypes, gen_event_type(g));
        if (market != NULL)
            e->market = (int16_t)intern(&s->markets, &s->nmarkets, market);
    }
}

SimEvent *
sim_store_find(SimStore *s, long long id)
{
    size_t lo = 0;
    size_t hi = s->nevents;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (s->events[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nevents && s->events[lo].id == id ? &s->events[lo] : NULL;
}

/*
 * Whether value fits table (n entries) when the values in pending (may be
 * NULL) are added too; a new value is then added to pending.
 */
static bool
fits_table(char *const *table, size_t n, HashMap *pending, const char *value)
{
    size_t more = pending != NULL ? hashmap_count(pending) : 0;

    if (intern_find(table, n, value) >= 0 || (pending != NULL && hashmap_get(pending, value)))
        return true;
    if (n + more >= SIM_MAX_INTERNED)
        return false;
    if (pending != NULL)
        hashmap_put(pending, value, (void *)1);
    return true;
}

/* Whether an event with type and market (may be NULL) fits the interned tables. */
static bool
fits_tables(const SimStore *s, const char *type, const char *market, HashMap *new_types,
            HashMap *new_markets, Error *err)
{
    if (!fits_table(s->types, s->ntypes, new_types, type)) {
        err_set(err, ERR_DATA, "too many distinct event types (at most %d)", SIM_MAX_INTERNED);
        return false;
    }
    if (market != NULL && market[0] != '\0' &&
        !fits_table(s->markets, s->nmarkets, new_markets, market)) {
        err_set(err, ERR_DATA, "too many distinct markets (at most %d)", SIM_MAX_INTERNED);
        return false;
    }
    return true;
}

bool
sim_store_event_fits(const SimStore *s, const char *type, const char *market, Error *err)
{
    if (s->next_id > SIM_MAX_EVENT_ID) {
        err_set(err, ERR_DATA, "no event id left (ids stop at %lld)", SIM_MAX_EVENT_ID);
        return false;
    }
    return fits_tables(s, type, market, NULL, NULL, err);
}

long long
sim_store_append(SimStore *s, const char *type, const char *entry, const char *mission,
                 const char *date, const char *market, const char *data, long long want_id,
                 Error *err)
{
    long long id = want_id > 0 ? want_id : s->next_id;
    SimEvent *e;

    if (id > SIM_MAX_EVENT_ID) {
        err_set(err, ERR_DATA, "event id %lld is too large (at most %lld)", id, SIM_MAX_EVENT_ID);
        return 0;
    }
    if (want_id > 0 && sim_store_find(s, want_id) != NULL) {
        err_set(err, ERR_DATA, "event id %lld is already in the queue", want_id);
        return 0;
    }
    if (!fits_tables(s, type, market, NULL, NULL, err))
        return 0;
    e = push_event(s, id);
    e->type = (uint16_t)intern(&s->types, &s->ntypes, type);
    if (market != NULL && market[0] != '\0')
        e->market = (int16_t)intern(&s->markets, &s->nmarkets, market);
    e->stored = xcalloc(1, sizeof(SimStoredEvent));
    e->stored->entry = xstrdup(entry != NULL ? entry : "");
    e->stored->mission = xstrdup(mission != NULL ? mission : "update");
    e->stored->date = xstrdup(date);
    e->stored->data = xstrdup(data != NULL ? data : "");
    return id;
}

/* The market of an event's object, found anywhere in its data. */
static const char *
data_market(const XmlNode *data)
{
    for (size_t i = 0; data != NULL && i < data->nkids; i++) {
        const char *m = xml_path_text(data->kids[i], "market/id");

        if (m != NULL)
            return m;
    }
    return NULL;
}

/* An order that arrives in an event can be updated like a generated one. */
static void
remember_order(SimStore *s, const XmlNode *order)
{
    const char *id = order != NULL ? xml_child_text(order, "id") : NULL;

    if (id == NULL || id[0] == '\0')
        return;
    sim_store_put_order(s, id, xml_copy(order));
}

/* An <event> of a loaded document, checked and ready to append. */
typedef struct Loaded {
    const XmlNode *node; /* the <event> */
    long long id;        /* its id (given or assigned) */
    char *data;          /* its data in the server's style (owned) */
} Loaded;

typedef struct LoadList {
    Loaded *items;
    size_t n;
    size_t alloc;
} LoadList;

/* Every <event> element below n, in document order (not inside another <event>). */
static void
find_events(const XmlNode *n, LoadList *list)
{
    if (strcmp(n->name, "event") == 0) {
        if (list->n == list->alloc) {
            list->alloc = list->alloc == 0 ? 64 : list->alloc * 2;
            list->items = xrealloc_array(list->items, list->alloc, sizeof(Loaded));
        }
        memset(&list->items[list->n], 0, sizeof(Loaded));
        list->items[list->n++].node = n;
        return;
    }
    for (size_t i = 0; i < n->nkids; i++)
        find_events(n->kids[i], list);
}

/*
 * Write n in the server's style (prefix home), but for an element of
 * another namespace than Centra's (an extension): that one keeps its
 * namespace, under the prefix "x" ("y" when the style's is "x") declared
 * where it is not bound to it already (bound: the namespace that prefix
 * stands for here, NULL for none).
 */
static void
write_data_node(XmlWriter *w, const XmlNode *n, const char *home, const char *bound)
{
    bool foreign =
        n->ns != NULL && strcmp(n->ns, SIM_NS_CENTRA) != 0 && strcmp(n->ns, SIM_NS_NAVISION) != 0;
    /* Not the style's own prefix (--prefix x), which Centra's elements inside must keep. */
    bool home_x = home != NULL && strcmp(home, "x") == 0;
    const char *ext = home_x ? "y" : "x";
    const char *xmlns = home_x ? "xmlns:y" : "xmlns:x";
    const char *decl = foreign && (bound == NULL || strcmp(bound, n->ns) != 0) ? n->ns : NULL;

    xw_set_prefix(w, foreign ? ext : home);
    if (n->nkids == 0) {
        xw_leafn_attr(w, n->name, decl != NULL ? xmlns : NULL, decl, n->text, n->text_len);
        return;
    }
    xw_open_attr(w, n->name, decl != NULL ? xmlns : NULL, decl);
    for (size_t i = 0; i < n->nkids; i++)
        write_data_node(w, n->kids[i], home, foreign ? n->ns : bound);
    xw_set_prefix(w, foreign ? ext : home);
    xw_close(w, n->name);
}

/* Check one loaded event and prepare its data; *next is the next free id. */
typedef struct LoadCheck {
    SimIdMode mode;       /* what a given id means */
    HashMap *ids;         /* ids taken by the document so far */
    HashMap *new_types;   /* event types the document adds */
    HashMap *new_markets; /* markets the document adds */
    long long next;       /* the next free id */
} LoadCheck;

static bool
check_event(SimStore *s, Loaded *l, size_t index, LoadCheck *c, Error *err)
{
    const XmlNode *data = xml_child(l->node, "data");
    const char *type = xml_child_text(l->node, "type");
    const char *id_text = xml_child_text(l->node, "id");
    char key[32];
    DynBuf buf;
    XmlWriter w;

    /* Served as one of each, an event written twice over would not be the one posted. */
    static const char *const once[] = {"id", "type", "entry", "mission", "date", "data"};

    for (size_t i = 0; i < CB_LENGTH(once); i++) {
        if (xml_count(l->node, once[i]) > 1) {
            err_set(err, ERR_DATA, "event %zu of the document has more than one <%s>", index + 1,
                    once[i]);
            return false;
        }
    }
    if (type == NULL || type[0] == '\0') {
        err_set(err, ERR_DATA, "event %zu of the document has no <type>", index + 1);
        return false;
    }
    if (c->mode != SIM_IDS_NEW && id_text != NULL && id_text[0] != '\0') {
        if (!str_to_ll(id_text, &l->id) || l->id <= 0 || l->id > SIM_MAX_EVENT_ID) {
            err_set(err, ERR_DATA, "event id \"%s\" is not a number from 1 to %lld", id_text,
                    SIM_MAX_EVENT_ID);
            return false;
        }
        snprintf(key, sizeof(key), "%lld", l->id);
        if (c->mode == SIM_IDS_FREE &&
            (sim_store_find(s, l->id) != NULL || hashmap_get(c->ids, key) != NULL))
            l->id = 0; /* taken: the next free one */
        else if (sim_store_find(s, l->id) != NULL) {
            err_set(err, ERR_DATA, "event id %lld is already in the queue", l->id);
            return false;
        }
    } else {
        l->id = 0;
    }
    if (l->id == 0) {
        l->id = c->next;
        if (l->id > SIM_MAX_EVENT_ID) {
            err_set(err, ERR_DATA, "no event id left (ids stop at %lld)", SIM_MAX_EVENT_ID);
            return false;
        }
    }
    snprintf(key, sizeof(key), "%lld", l->id);
    if (hashmap_put(c->ids, key, l) != NULL) {
        err_set(err, ERR_DATA, "event id %lld appears twice in the document", l->id);
        return false;
    }
    if (l->id >= c->next)
        c->next = l->id + 1;
    if (!fits_tables(s, type, data_market(data), c->new_types, c->new_markets, err))
        return false;
    dynbuf_init(&buf, 64u * 1024 * 1024);
    xw_init(&w, &buf, s->style.prefix, true, EVENT_DEPTH + 2);
    for (size_t i = 0; data != NULL && i < data->nkids; i++)
        write_data_node(&w, data->kids[i], s->style.prefix, NULL);
    if (xw_status(&w) != ERR_OK) {
        err_set(err, ERR_DATA, "event %lld: its data cannot be written: %s", l->id, xw_error(&w));
        dynbuf_free(&buf);
        return false;
    }
    l->data = dynbuf_take(&buf);
    return true;
}

long
sim_store_append_xml(SimStore *s, const char *xml, size_t len, SimIdMode mode, Error *err)
{
    XmlNode *root;
    LoadList list = {NULL, 0, 0};
    LoadCheck check;
    bool ok = true;
    char now[32];

    if (xml_parse(xml, len, &root, err) != ERR_OK)
        return -1;
    find_events(root, &list);
    /* All or nothing: every event is checked before the first is queued. */
    check.mode = mode;
    check.ids = hashmap_new();
    check.new_types = hashmap_new();
    check.new_markets = hashmap_new();
    check.next = s->next_id;
    for (size_t i = 0; i < list.n && ok; i++)
        ok = check_event(s, &list.items[i], i, &check, err);
    hashmap_free(check.ids);
    hashmap_free(check.new_types);
    hashmap_free(check.new_markets);
    sim_now(now, sizeof(now), SIM_TIME_EVENT);
    for (size_t i = 0; i < list.n; i++) {
        const Loaded *l = &list.items[i];

        if (ok) {
            const char *date = xml_child_text(l->node, "date");
            const XmlNode *data = xml_child(l->node, "data");
            Error ignored;

            /* Cannot fail: checked above. */
            (void)sim_store_append(
                s, xml_child_text(l->node, "type"), xml_child_text(l->node, "entry"),
                xml_child_text(l->node, "mission"), date != NULL && date[0] != '\0' ? date : now,
                data_market(data), l->data, l->id, &ignored);
            remember_order(s, xml_child(data, "order"));
        }
        xfree(l->data);
    }
    xfree(list.items);
    xml_free(root);
    return ok ? (long)list.n : -1;
}

static bool
market_matches(const SimStore *s, const SimEvent *e, const char *const *markets, size_t n)
{
    if (n == 0)
        return true;
    if (e->market < 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s->markets[e->market], markets[i]) == 0)
            return true;
    return false;
}

bool
sim_store_matches(const SimStore *s, const SimEvent *e, const char *type,
                  const char *const *markets, size_t nmarkets)
{
    bool any = type == NULL || type[0] == '\0' || strcmp(type, "all") == 0;

    return (any || strcmp(s->types[e->type], type) == 0) && market_matches(s, e, markets, nmarkets);
}

size_t
sim_store_select(SimStore *s, const char *type, const char *const *markets, size_t nmarkets,
                 SimEvent **out, size_t max)
{
    size_t n = 0;

    for (size_t i = s->first_live; i < s->nevents && n < max; i++) {
        SimEvent *e = &s->events[i];

        if (!e->done && sim_store_matches(s, e, type, markets, nmarkets))
            out[n++] = e;
    }
    return n;
}

size_t
sim_store_done(SimStore *s, const long long *ids, size_t n)
{
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        SimEvent *e = sim_store_find(s, ids[i]);

        if (e == NULL || e->done)
            continue;
        e->done = 1;
        s->live--;
        count++;
        if (s->ndone == s->done_alloc) {
            s->done_alloc = s->done_alloc == 0 ? 1024 : s->done_alloc * 2;
            s->done_ids = xrealloc_array(s->done_ids, s->done_alloc, sizeof(long long));
        }
        s->done_ids[s->ndone++] = e->id;
        s->last_done = e->id;
    }
    while (s->first_live < s->nevents && s->events[s->first_live].done)
        s->first_live++;
    sim_journal_done(s->journal, s->done_ids + s->ndone - count, count);
    return count;
}

const char *
sim_store_type(const SimStore *s, const SimEvent *e)
{
    return s->types[e->type];
}

/* --- orders ---------------------------------------------------------------------------- */

XmlNode *
sim_store_order_copy(SimStore *s, const char *id)
{
    const XmlNode *stored = hashmap_get(s->orders, id);
    XmlNode *o;
    GenEntry g;
    DynBuf buf;
    XmlWriter w;
    Error err;
    long index;

    if (stored != NULL)
        return xml_copy(stored);
    index = gen_order_index(&s->plan, id);
    if (index < 0)
        return NULL;
    gen_order_entry(s->seed, &s->plan, (uint32_t)index, &g);
    dynbuf_init(&buf, 16u * 1024 * 1024);
    xw_init(&w, &buf, NULL, false, 0);
    gen_write_object(&w, s->seed, &g);
    if (xw_status(&w) != ERR_OK ||
        xml_parse(dynbuf_str(&buf), dynbuf_len(&buf), &o, &err) != ERR_OK) {
        dynbuf_free(&buf);
        return NULL;
    }
    dynbuf_free(&buf);
    return o;
}

void
sim_store_put_order(SimStore *s, const char *id, XmlNode *order)
{
    XmlNode *old = hashmap_put(s->orders, id, order);

    if (old != order)
        xml_free(old);
}

/* --- writing events ----------------------------------------------------------------------- */

/* Replace the first occurrence of from (after start) in b with to. */
static void
replace_once(DynBuf *b, size_t start, const char *from, const char *to)
{
    const char *text = dynbuf_str(b);
    const char *hit = strstr(text + start, from);
    DynBuf out;

    if (hit == NULL)
        return;
    dynbuf_init(&out, b->cap);
    dynbuf_add(&out, text, (size_t)(hit - text));
    dynbuf_addstr(&out, to);
    dynbuf_addstr(&out, hit + strlen(from));
    dynbuf_free(b);
    *b = out;
}

/* Break a serialized event the way the poison says. */
static void
poison_event(const SimStore *s, DynBuf *b, SimPoison poison)
{
    char from[80];
    char to[96];
    const char *p = s->style.prefix;
    const char *sep = p != NULL ? ":" : "";

    if (p == NULL)
        p = "";
    if (poison == SIM_POISON_MALFORMED) {
        /* The typo of Centra's own guide: <ordernumber>30</id>. */
        snprintf(from, sizeof(from), "</%s%sordernumber>", p, sep);
        snprintf(to, sizeof(to), "</%s%sid>", p, sep);
        if (strstr(dynbuf_str(b), from) == NULL)
            snprintf(from, sizeof(from), "</%s%sentry>", p, sep);
        replace_once(b, 0, from, to);
    } else if (poison == SIM_POISON_CTRLCHAR) {
        /* What a shopper pasted: a vertical tab inside a name. */
        snprintf(from, sizeof(from), "<%s%sdescription>", p, sep);
        if (strstr(dynbuf_str(b), from) == NULL)
            snprintf(from, sizeof(from), "<%s%sentry>", p, sep);
        snprintf(to, sizeof(to), "%s\v", from);
        replace_once(b, 0, from, to);
    }
}

void
sim_store_write_event(SimStore *s, XmlWriter *w, const SimEvent *e)
{
    DynBuf buf;
    XmlWriter ew;
    char entry[64];
    char date[40];
    const GenEntry *g = e->gen > 0 ? &s->plan.entries[e->gen - 1] : NULL;
    const char *data;

    /*
     * A poisoned event is built aside so the fault can rewrite it; the others
     * go straight into the answer.
     */
    dynbuf_init(&buf, 64u * 1024 * 1024);
    if (e->poison != SIM_POISON_NONE)
        xw_init(&ew, &buf, w->prefix, w->indent, w->depth);
    else
        ew = *w;
    xw_open(&ew, "event");
    xw_leafi(&ew, "id", e->id);
    xw_leaf(&ew, "type", s->types[e->type]);
    if (g != NULL) {
        gen_event_entry(s->seed, g, entry, sizeof(entry));
        gen_event_date(s->seed, e->gen - 1, date, sizeof(date));
        xw_leaf(&ew, "entry", entry);
        xw_leaf(&ew, "mission", gen_event_mission(g));
        xw_leaf(&ew, "date", date);
        if (g->kind == GEN_DELETE) {
            xw_leaf(&ew, "data", NULL);
        } else {
            /* Always as generated: an event is a snapshot, later updates queue their own. */
            xw_open(&ew, "data");
            gen_write_object(&ew, s->seed, g);
            xw_close(&ew, "data");
        }
    } else {
        xw_leaf(&ew, "entry", e->stored->entry);
        xw_leaf(&ew, "mission", e->stored->mission);
        xw_leaf(&ew, "date", e->stored->date);
        data = e->stored->data;
        if (data[0] == '\0') {
            xw_leaf(&ew, "data", NULL);
        } else {
            xw_open(&ew, "data");
            xw_raw(&ew, data, strlen(data));
            xw_close(&ew, "data");
        }
    }
    xw_close(&ew, "event");
    if (e->poison == SIM_POISON_NONE) {
        *w = ew;
        return;
    }
    if (xw_status(&ew) != ERR_OK && w->rc == ERR_OK)
        w->rc = xw_status(&ew);
    poison_event(s, &buf, (SimPoison)e->poison);
    xw_raw(w, dynbuf_str(&buf), dynbuf_len(&buf));
    dynbuf_free(&buf);
}

/* --- counters and the request log ------------------------------------------------------------ */

void
sim_store_count(SimStore *s, const char *op)
{
    uintptr_t n = (uintptr_t)hashmap_get(s->op_counts, op);

    hashmap_put(s->op_counts, op, (void *)(n + 1));
}

/* Collect the content ranges of every <password> element below n, in document order. */
static void
password_ranges(const XmlNode *n, const XmlNode **out, size_t *count, size_t max)
{
    if (strcmp(n->name, "password") == 0) {
        if (*count < max && n->content_len > 0)
            out[(*count)++] = n;
        return;
    }
    for (size_t i = 0; i < n->nkids; i++)
        password_ranges(n->kids[i], out, count, max);
}

/*
 * Copy body with the content of every <password> element replaced, found
 * through the parse, so that attributes, CDATA, entity references or
 * whitespace in the tags cannot hide one.  With more passwords than fit
 * the list, nothing of the body is kept.
 */
static char *
mask_password(const XmlNode *root, const char *body, size_t len)
{
    const XmlNode *pw[64];
    size_t n = 0;
    size_t at = 0;
    DynBuf out;

    password_ranges(root, pw, &n, CB_LENGTH(pw));
    if (n == CB_LENGTH(pw))
        return xstrdup("(not logged: too many <password> elements)");
    dynbuf_init(&out, len + 8 * n + 1);
    for (size_t i = 0; i < n; i++) {
        if (pw[i]->content_at < at || pw[i]->content_at + pw[i]->content_len > len)
            continue;
        dynbuf_add(&out, body + at, pw[i]->content_at - at);
        dynbuf_addstr(&out, "********");
        at = pw[i]->content_at + pw[i]->content_len;
    }
    dynbuf_add(&out, body + at, len - at);
    return dynbuf_take(&out);
}

void
sim_store_log_request(SimStore *s, const char *op, const XmlNode *root, const char *body,
                      size_t len)
{
    SimRequest *r;
    char now[32];

    char *masked = mask_password(root, body, len);
    size_t masked_len = strlen(masked);

    sim_journal_update(s->journal, masked, masked_len); /* before it is cut */

    if (masked_len > SIM_REQUEST_BODY_MAX) {
        /* Cut at a tag, so the text stays readable and whole characters. */
        DynBuf cut;
        size_t at = SIM_REQUEST_BODY_MAX;

        while (at > 0 && masked[at] != '<')
            at--;
        dynbuf_init(&cut, at + 128);
        dynbuf_add(&cut, masked, at);
        dynbuf_addf(&cut, "... (cut: %zu bytes in all)", masked_len);
        xfree(masked);
        masked_len = dynbuf_len(&cut);
        masked = dynbuf_take(&cut);
    }
    if (s->requests_alloc == 0) {
        s->requests_alloc = SIM_REQUEST_LOG;
        s->requests = xcalloc(s->requests_alloc, sizeof(SimRequest));
    }
    /* The oldest entries go while the log is full or its bodies too large. */
    while (s->nrequests > 0 && (s->nrequests == s->requests_alloc ||
                                s->requests_bytes + masked_len > SIM_REQUEST_LOG_BYTES)) {
        r = &s->requests[s->requests_head];
        s->requests_bytes -= strlen(r->body);
        xfree(r->op);
        xfree(r->time);
        xfree(r->body);
        s->requests_head = (s->requests_head + 1) % s->requests_alloc;
        s->nrequests--;
    }
    r = &s->requests[(s->requests_head + s->nrequests++) % s->requests_alloc];
    sim_now(now, sizeof(now), SIM_TIME_UTC);
    r->seq = s->next_seq++;
    r->op = xstrdup(op);
    r->time = xstrdup(now);
    r->body = masked;
    s->requests_bytes += masked_len;
}

const SimRequest *
sim_store_request(const SimStore *s, size_t i)
{
    return &s->requests[(s->requests_head + i) % s->requests_alloc];
}
