/*
 * tests/unit/sim/test_sim_gen.c
 *     centra-sim's data generator through its internal API (sim_gen_int.h):
 *     the plan's rules, determinism per seed, and the shape of every object
 *     it writes, parsed back with xml_parse and compared as text.
 *
 * No server and no sockets: the integration test test_sim covers the same
 * data as served over HTTP.  The shape tests scan plans of NEVENTS order
 * events, small enough for valgrind.
 */
#include "sim_gen_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/hashmap.h"
#include "centra/strutil.h"
#include "centra/xmltree.h"
#include "centra/xmlwriter.h"
#include "testutil.h"

/* Order events in the plans the shape tests scan. */
#define NEVENTS    1000
#define OBJECT_CAP (16u * 1024 * 1024)  /* cap of the buffer one object is written to */
#define PLAN_CAP   (256u * 1024 * 1024) /* cap of a buffer for a whole plan's objects */
/*
 * Issue 3 asks for 1-20 lines per order; build_order adds up to 6 products
 * (12 on a wholesale restock) of up to 3 sizes, one size repeated on a line
 * of its own and a bundle (2 parts and itself), within that bound.
 */
#define MAX_LINES            20 /* <size> lines (orderitems) of an order's products */
#define MAX_PRODUCT_ELEMENTS 16 /* <product> elements */

/* --- helpers ----------------------------------------------------------------------- */

/* Write e's object into b (initialised here); the caller frees b. */
static void
write_into(DynBuf *b, uint64_t seed, const GenEntry *e, const char *prefix)
{
    XmlWriter w;

    dynbuf_init(b, OBJECT_CAP);
    xw_init(&w, b, prefix, true, 0);
    gen_write_object(&w, seed, e);
    ck_assert_msg(xw_status(&w) == ERR_OK, "writing failed: %s", xw_error(&w));
}

/* e's object parsed back; the caller frees it with xml_free. */
static XmlNode *
parse_object(uint64_t seed, const GenEntry *e)
{
    DynBuf b;
    XmlNode *root = NULL;
    Error err;

    write_into(&b, seed, e, NULL);
    ck_assert_msg(xml_parse(dynbuf_str(&b), dynbuf_len(&b), &root, &err) == ERR_OK,
                  "not well-formed: %s\n%.3000s", err.message, dynbuf_str(&b));
    dynbuf_free(&b);
    return root;
}

/*
 * An amount in cents, in either of the guide's formats: two decimals
 * ("1135.00", "-5.00") or a plain number ("1000", "98.4", "0"); the test
 * amounts_have_the_guides_format_per_element checks which element has which.
 */
static long long
cents(const char *text)
{
    const char *p = text;
    long long v = 0;
    int decimals = -1;

    ck_assert_ptr_nonnull(text);
    if (*p == '-')
        p++;
    ck_assert_msg(*p >= '0' && *p <= '9', "not an amount: \"%s\"", text);
    for (; *p != '\0'; p++) {
        if (*p == '.' && decimals < 0) {
            decimals = 0;
            continue;
        }
        ck_assert_msg(*p >= '0' && *p <= '9', "not an amount: \"%s\"", text);
        v = v * 10 + (*p - '0');
        if (decimals >= 0)
            decimals++;
    }
    ck_assert_msg(decimals != 0 && decimals <= 2, "not an amount: \"%s\"", text);
    for (decimals = decimals < 0 ? 0 : decimals; decimals < 2; decimals++)
        v *= 10;
    return text[0] == '-' ? -v : v;
}

/* A decimal integer. */
static long long
integer(const char *text)
{
    long long v;

    ck_assert_ptr_nonnull(text);
    ck_assert_msg(str_to_ll(text, &v), "not an integer: \"%s\"", text);
    return v;
}

/* Child text that must be there. */
static const char *
need(const XmlNode *n, const char *path)
{
    const char *t = xml_path_text(n, path);

    ck_assert_msg(t != NULL, "<%s> has no %s", n->name, path);
    return t;
}

/* Queue position of the first event of order index, or plan->n. */
static size_t
first_event_of(const GenPlan *plan, uint32_t index)
{
    size_t i;

    for (i = 0; i < plan->n; i++)
        if (plan->entries[i].kind == GEN_ORDER && plan->entries[i].index == index)
            break;
    return i;
}

/* --- the plan ---------------------------------------------------------------------- */

START_TEST(an_empty_plan_has_no_events)
{
    GenPlan plan;

    gen_plan(1, 0, &plan);
    ck_assert_uint_eq(plan.n, 0);
    ck_assert_uint_eq(plan.norders, 0);
    gen_plan_free(&plan);
    ck_assert_ptr_null(plan.entries);
    ck_assert_ptr_null(plan.last_version);
}
END_TEST

static const size_t plan_sizes[] = {1, 19, 20, 21, 39, 40, 200, 1001};

START_TEST(another_event_follows_every_twentieth_order_event)
{
    size_t n = plan_sizes[_i];
    size_t orders = 0;
    GenPlan plan;

    gen_plan(7, n, &plan);
    ck_assert_uint_eq(plan.n, n + n / 20);
    for (size_t i = 0; i < plan.n; i++) {
        bool other = i % 21 == 20; /* 20 order events, then one other */

        ck_assert_msg((plan.entries[i].kind != GEN_ORDER) == other, "n=%zu position %zu kind %d", n,
                      i, plan.entries[i].kind);
        orders += !other;
    }
    ck_assert_uint_eq(orders, n);
    gen_plan_free(&plan);
}
END_TEST

START_TEST(other_events_cycle_customer_account_invoice_customer_delete)
{
    static const GenKind cycle[] = {GEN_CUSTOMER, GEN_ACCOUNT, GEN_INVOICE, GEN_CUSTOMER,
                                    GEN_DELETE};
    GenPlan plan;
    uint32_t k = 0;

    gen_plan(3, 20 * 23, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        const GenEntry *e = &plan.entries[i];

        if (e->kind == GEN_ORDER)
            continue;
        ck_assert_int_eq(e->kind, cycle[k % 5]);
        ck_assert_uint_eq(e->index, k);
        ck_assert_uint_eq(e->version, 1);
        /* Accounts are wholesale: the two wholesale markets in turn. */
        ck_assert_uint_eq(e->market, 3 + k % 2);
        ck_assert_str_eq(sim_markets[e->market].type, "wholesale");
        k++;
    }
    ck_assert_uint_eq(k, 23);
    gen_plan_free(&plan);
}
END_TEST

START_TEST(new_orders_are_numbered_in_queue_order_and_some_get_a_second_event)
{
    GenPlan plan;
    uint32_t next_new = 0;
    uint32_t next_repeat = 0;
    size_t seconds = 0;
    size_t order_events = 0;
    uint8_t *seen;

    gen_plan(1, 2000, &plan);
    seen = xcalloc(plan.norders + 1, 1);
    for (size_t i = 0; i < plan.n; i++) {
        const GenEntry *e = &plan.entries[i];

        if (e->kind != GEN_ORDER)
            continue;
        /* The first eleven order events are all new orders. */
        if (order_events++ < 11)
            ck_assert_uint_eq(e->version, 1);
        if (e->version == 1) {
            ck_assert_uint_eq(e->index, next_new++);
        } else {
            ck_assert_uint_eq(e->version, 2);
            /* Second events move earlier orders on, oldest first, each once. */
            ck_assert_uint_eq(e->index, next_repeat++);
            ck_assert_uint_eq(seen[e->index], 1);
            ck_assert_uint_lt(e->index + 5, next_new);
            seconds++;
        }
        seen[e->index] = e->version;
        ck_assert_uint_eq(e->market, plan.entries[first_event_of(&plan, e->index)].market);
    }
    ck_assert_uint_eq(plan.norders, next_new);
    ck_assert_uint_eq(order_events, 2000);
    ck_assert_uint_eq(seconds + plan.norders, 2000);
    /* About one event in ten. */
    ck_assert_uint_gt(seconds, 100);
    ck_assert_uint_lt(seconds, 300);
    for (uint32_t i = 0; i < plan.norders; i++)
        ck_assert_uint_eq(plan.last_version[i], seen[i]);
    xfree(seen);
    gen_plan_free(&plan);
}
END_TEST

START_TEST(the_plan_is_the_same_for_a_seed_and_differs_between_seeds)
{
    GenPlan a;
    GenPlan b;
    GenPlan c;

    gen_plan(42, NEVENTS, &a);
    gen_plan(42, NEVENTS, &b);
    gen_plan(43, NEVENTS, &c);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert_uint_eq(a.norders, b.norders);
    ck_assert_int_eq(memcmp(a.entries, b.entries, a.n * sizeof(GenEntry)), 0);
    ck_assert_int_eq(memcmp(a.last_version, b.last_version, a.norders), 0);
    ck_assert_uint_eq(a.n, c.n);
    ck_assert_int_ne(memcmp(a.entries, c.entries, a.n * sizeof(GenEntry)), 0);
    gen_plan_free(&a);
    gen_plan_free(&b);
    gen_plan_free(&c);
}
END_TEST

START_TEST(orders_spread_over_every_market)
{
    size_t per_market[8] = {0};
    size_t wholesale = 0;
    GenPlan plan;

    ck_assert_uint_eq(sim_nmarkets, 5);
    gen_plan(1, NEVENTS, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        const GenEntry *e = &plan.entries[i];

        if (e->kind != GEN_ORDER || e->version != 1)
            continue;
        ck_assert_uint_lt(e->market, sim_nmarkets);
        per_market[e->market]++;
        wholesale += strcmp(sim_markets[e->market].type, "wholesale") == 0;
    }
    for (size_t m = 0; m < sim_nmarkets; m++)
        ck_assert_msg(per_market[m] > 30, "market %s has %zu orders", sim_markets[m].id,
                      per_market[m]);
    /* One order in four is wholesale. */
    ck_assert_uint_gt(wholesale * 100, plan.norders * 15);
    ck_assert_uint_lt(wholesale * 100, plan.norders * 35);
    gen_plan_free(&plan);
}
END_TEST

/* --- events ------------------------------------------------------------------------ */

START_TEST(type_mission_entry_and_market_follow_the_kind)
{
    static const struct {
        GenEntry e;          /* index, kind, version, market */
        const char *type;    /* gen_event_type */
        const char *mission; /* gen_event_mission */
        const char *entry;   /* gen_event_entry */
        const char *market;  /* gen_event_market, NULL for none */
    } cases[] = {
        {{0, GEN_ORDER, 1, 0}, "order", "update", "100001", "Retail-Sweden"},
        {{41, GEN_ORDER, 2, 4}, "order", "update", "100042", "Wholesale-US"},
        {{0, GEN_CUSTOMER, 1, 3}, "customer", "update", "C900000", NULL},
        {{3, GEN_CUSTOMER, 1, 4}, "customer", "update", "C900003", NULL},
        {{1, GEN_ACCOUNT, 1, 4}, "account", "update", "A0002", "Wholesale-US"},
        {{400, GEN_ACCOUNT, 1, 3}, "account", "update", "A0001", "Wholesale-EU"},
        {{2, GEN_INVOICE, 1, 3}, "invoice", "update", "INV-000003", NULL},
        {{4, GEN_DELETE, 1, 3}, "customer", "delete", "C900003", NULL},
    };

    for (size_t i = 0; i < CB_LENGTH(cases); i++) {
        char entry[64];
        const char *market = gen_event_market(&cases[i].e);

        gen_event_entry(1, &cases[i].e, entry, sizeof(entry));
        ck_assert_str_eq(gen_event_type(&cases[i].e), cases[i].type);
        ck_assert_str_eq(gen_event_mission(&cases[i].e), cases[i].mission);
        ck_assert_str_eq(entry, cases[i].entry);
        if (cases[i].market == NULL)
            ck_assert_ptr_null(market);
        else
            ck_assert_str_eq(market, cases[i].market);
    }
}
END_TEST

START_TEST(order_ids_start_at_100001_and_map_back_to_their_index)
{
    GenPlan plan;
    char last[32];
    char beyond[32];

    gen_plan(1, 100, &plan);
    snprintf(last, sizeof(last), "%u", SIM_ORDER_ID_BASE + plan.norders);
    snprintf(beyond, sizeof(beyond), "%u", SIM_ORDER_ID_BASE + plan.norders + 1);
    ck_assert_int_eq(gen_order_index(&plan, "100001"), 0);
    ck_assert_int_eq(gen_order_index(&plan, "100042"), 41);
    ck_assert_int_eq(gen_order_index(&plan, last), (long)plan.norders - 1);
    ck_assert_int_eq(gen_order_index(&plan, beyond), -1);
    ck_assert_int_eq(gen_order_index(&plan, "100000"), -1);
    ck_assert_int_eq(gen_order_index(&plan, "1"), -1);
    ck_assert_int_eq(gen_order_index(&plan, "-100001"), -1);
    ck_assert_int_eq(gen_order_index(&plan, ""), -1);
    ck_assert_int_eq(gen_order_index(&plan, "abc"), -1);
    ck_assert_int_eq(gen_order_index(&plan, "100001x"), -1);
    ck_assert_int_eq(gen_order_index(&plan, "99999999999999999999999"), -1);
    gen_plan_free(&plan);
}
END_TEST

START_TEST(an_orders_entry_is_its_latest_event)
{
    GenPlan plan;
    size_t checked = 0;

    gen_plan(5, NEVENTS, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        const GenEntry *e = &plan.entries[i];
        GenEntry latest;

        if (e->kind != GEN_ORDER)
            continue;
        memset(&latest, 0xAA, sizeof(latest));
        gen_order_entry(5, &plan, e->index, &latest);
        ck_assert_int_eq(latest.kind, GEN_ORDER);
        ck_assert_uint_eq(latest.index, e->index);
        ck_assert_uint_eq(latest.market, e->market);
        ck_assert_uint_eq(latest.version, plan.last_version[e->index]);
        ck_assert_uint_ge(latest.version, e->version);
        checked++;
    }
    ck_assert_uint_eq(checked, NEVENTS);
    gen_plan_free(&plan);
}
END_TEST

/* Whether date is "YYYY-MM-DD HH:MM:SS" (plain) or "YYYY-MM-DDTHH:MM:SS+01:00" (!plain). */
static bool
date_format(const char *date, bool *plain)
{
    static const char plain_shape[] = "dddd-dd-dd dd:dd:dd";
    static const char iso_shape[] = "dddd-dd-ddTdd:dd:dd+01:00";
    const char *shape = strlen(date) == strlen(plain_shape) ? plain_shape : iso_shape;

    if (strlen(date) != strlen(shape))
        return false;
    for (size_t i = 0; shape[i] != '\0'; i++)
        if (shape[i] == 'd' ? !(date[i] >= '0' && date[i] <= '9') : date[i] != shape[i])
            return false;
    *plain = shape == plain_shape;
    return true;
}

START_TEST(event_dates_advance_37_seconds_a_position_in_two_formats)
{
    static const struct {
        size_t pos;       /* queue position */
        const char *when; /* Stockholm time, as the plain format shows it */
    } cases[] = {
        {0, "2026-01-05 09:00:00"},
        {1, "2026-01-05 09:00:37"},
        {100000, "2026-02-17 04:46:40"},
        {1833373, "2028-02-29 12:00:01"}, /* a leap day */
    };
    int plain_seen = 0;
    int iso_seen = 0;

    for (size_t i = 0; i < CB_LENGTH(cases); i++) {
        for (uint64_t seed = 1; seed <= 8; seed++) {
            char date[40];
            char again[40];
            bool plain;

            gen_event_date(seed, cases[i].pos, date, sizeof(date));
            gen_event_date(seed, cases[i].pos, again, sizeof(again));
            ck_assert_str_eq(date, again);
            ck_assert_msg(date_format(date, &plain), "bad date \"%s\"", date);
            /* The format changes with the seed, the moment does not. */
            if (!plain)
                date[10] = ' ';
            date[19] = '\0';
            ck_assert_str_eq(date, cases[i].when);
        }
    }
    for (size_t pos = 0; pos < 200; pos++) {
        char date[40];
        bool plain;

        gen_event_date(1, pos, date, sizeof(date));
        ck_assert_msg(date_format(date, &plain), "bad date \"%s\"", date);
        plain_seen += plain;
        iso_seen += !plain;
    }
    /* Mostly the guide's format, one in five ISO 8601. */
    ck_assert_int_gt(plain_seen, 120);
    ck_assert_int_gt(iso_seen, 15);
}
END_TEST

/* --- objects ----------------------------------------------------------------------- */

/* Every object of a plan written one after another, as served (prefix ns1). */
static void
write_plan(uint64_t seed, size_t nevents, DynBuf *out)
{
    GenPlan plan;
    XmlWriter w;

    gen_plan(seed, nevents, &plan);
    dynbuf_init(out, PLAN_CAP);
    xw_init(&w, out, "ns1", true, 0);
    for (size_t i = 0; i < plan.n; i++)
        gen_write_object(&w, seed, &plan.entries[i]);
    ck_assert_int_eq(xw_status(&w), ERR_OK);
    gen_plan_free(&plan);
}

START_TEST(the_same_seed_writes_byte_identical_objects)
{
    DynBuf a;
    DynBuf b;

    write_plan(9, 300, &a);
    write_plan(9, 300, &b);
    ck_assert_uint_gt(dynbuf_len(&a), 100000);
    ck_assert_uint_eq(dynbuf_len(&a), dynbuf_len(&b));
    ck_assert_int_eq(memcmp(dynbuf_str(&a), dynbuf_str(&b), dynbuf_len(&a)), 0);
    dynbuf_free(&a);
    dynbuf_free(&b);
}
END_TEST

START_TEST(objects_do_not_depend_on_what_was_written_before)
{
    GenPlan plan;
    DynBuf *forward;

    gen_plan(9, 200, &plan);
    forward = xcalloc(plan.n, sizeof(DynBuf));
    for (size_t i = 0; i < plan.n; i++)
        write_into(&forward[i], 9, &plan.entries[i], NULL);
    for (size_t i = plan.n; i-- > 0;) {
        DynBuf b;

        write_into(&b, 9, &plan.entries[i], NULL);
        ck_assert_uint_eq(dynbuf_len(&b), dynbuf_len(&forward[i]));
        ck_assert_int_eq(memcmp(dynbuf_str(&b), dynbuf_str(&forward[i]), dynbuf_len(&b)), 0);
        dynbuf_free(&b);
        dynbuf_free(&forward[i]);
    }
    xfree(forward);
    gen_plan_free(&plan);
}
END_TEST

START_TEST(a_different_seed_writes_different_orders)
{
    GenPlan p1;
    GenPlan p2;
    int differ = 0;

    gen_plan(1, 200, &p1);
    gen_plan(2, 200, &p2);
    for (uint32_t i = 0; i < 100; i++) {
        GenEntry e1;
        GenEntry e2;
        DynBuf a;
        DynBuf b;

        gen_order_entry(1, &p1, i, &e1);
        gen_order_entry(2, &p2, i, &e2);
        write_into(&a, 1, &e1, NULL);
        write_into(&b, 2, &e2, NULL);
        differ += dynbuf_len(&a) != dynbuf_len(&b) ||
                  memcmp(dynbuf_str(&a), dynbuf_str(&b), dynbuf_len(&a)) != 0;
        dynbuf_free(&a);
        dynbuf_free(&b);
    }
    ck_assert_int_ge(differ, 95);
    gen_plan_free(&p1);
    gen_plan_free(&p2);
}
END_TEST

START_TEST(every_object_is_well_formed_and_names_its_entry)
{
    GenPlan plan;
    size_t parsed = 0;

    gen_plan(1, NEVENTS, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        const GenEntry *e = &plan.entries[i];
        char entry[64];
        XmlNode *o;

        if (e->kind == GEN_DELETE)
            continue;
        gen_event_entry(1, e, entry, sizeof(entry));
        o = parse_object(1, e);
        ck_assert_str_eq(o->name, gen_event_type(e));
        ck_assert_ptr_null(o->ns);
        ck_assert_str_eq(need(o, "id"), entry);
        xml_free(o);
        parsed++;
    }
    ck_assert_uint_eq(parsed, plan.n - NEVENTS / 20 / 5);
    gen_plan_free(&plan);
}
END_TEST

/* Every element of n and below is in namespace ns. */
static void
assert_all_in(const XmlNode *n, const char *ns)
{
    ck_assert_msg(n->ns != NULL && strcmp(n->ns, ns) == 0, "<%s> not in %s", n->name, ns);
    for (size_t i = 0; i < n->nkids; i++)
        assert_all_in(n->kids[i], ns);
}

START_TEST(the_writers_prefix_goes_on_every_element)
{
    static const char ns[] = "http://www.centra.com/webservices/";
    GenPlan plan;

    gen_plan(1, 40, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        DynBuf b;
        DynBuf doc;
        XmlNode *root;
        Error err;

        if (plan.entries[i].kind == GEN_DELETE)
            continue;
        write_into(&b, 1, &plan.entries[i], "ns1");
        dynbuf_init(&doc, OBJECT_CAP);
        dynbuf_addf(&doc, "<ns1:data xmlns:ns1=\"%s\">%s</ns1:data>", ns, dynbuf_str(&b));
        ck_assert_msg(xml_parse(dynbuf_str(&doc), dynbuf_len(&doc), &root, &err) == ERR_OK, "%s",
                      err.message);
        ck_assert_uint_eq(root->nkids, 1);
        assert_all_in(root, ns);
        xml_free(root);
        dynbuf_free(&doc);
        dynbuf_free(&b);
    }
    gen_plan_free(&plan);
}
END_TEST

START_TEST(a_delete_writes_nothing_and_deletes_a_customer_queued_before)
{
    GenPlan plan;
    HashMap *customers = hashmap_new();
    size_t deletes = 0;

    gen_plan(1, NEVENTS, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        const GenEntry *e = &plan.entries[i];
        char entry[64];
        DynBuf b;

        gen_event_entry(1, e, entry, sizeof(entry));
        if (e->kind == GEN_CUSTOMER)
            ck_assert_ptr_null(hashmap_put(customers, entry, (void *)1));
        if (e->kind != GEN_DELETE)
            continue;
        write_into(&b, 1, e, NULL);
        ck_assert_uint_eq(dynbuf_len(&b), 0);
        dynbuf_free(&b);
        ck_assert_msg(hashmap_remove(customers, entry) != NULL,
                      "delete of %s, a customer not queued before", entry);
        deletes++;
    }
    ck_assert_uint_eq(deletes, NEVENTS / 20 / 5);
    hashmap_free(customers);
    gen_plan_free(&plan);
}
END_TEST

START_TEST(accounts_and_invoices_refer_to_what_was_queued)
{
    GenPlan plan;
    size_t accounts = 0;
    size_t invoices = 0;

    gen_plan(1, 20000, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        const GenEntry *e = &plan.entries[i];
        XmlNode *o;

        if (e->kind != GEN_ACCOUNT && e->kind != GEN_INVOICE)
            continue;
        o = parse_object(1, e);
        if (e->kind == GEN_ACCOUNT) {
            ck_assert_str_eq(need(o, "market/id"), gen_event_market(e));
            ck_assert_str_eq(need(o, "pricelist/id"), sim_markets[e->market].pricelist);
            ck_assert_str_eq(need(o, "type"), "wholesale");
            ck_assert_uint_eq(xml_count(xml_child(o, "buyers"), "buyer"), 1);
            accounts++;
        } else {
            const char *order = need(o, "order/id");
            long index = gen_order_index(&plan, order);

            ck_assert_msg(index >= 0, "invoice %s of order %s, which is not in the plan",
                          need(o, "id"), order);
            ck_assert_msg(first_event_of(&plan, (uint32_t)index) < i,
                          "invoice %s of order %s, queued before the order", need(o, "id"), order);
            ck_assert_int_gt(cents(need(o, "total")), 0);
            invoices++;
        }
        xml_free(o);
    }
    ck_assert_uint_eq(accounts, 200);
    ck_assert_uint_eq(invoices, 200);
    gen_plan_free(&plan);
}
END_TEST

START_TEST(a_second_event_moves_the_order_on_and_keeps_its_lines)
{
    GenPlan plan;
    size_t checked = 0;

    gen_plan(1, NEVENTS, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        GenEntry first = plan.entries[i];
        XmlNode *v1;
        XmlNode *v2;
        const XmlNode *p1;
        const XmlNode *p2;

        if (first.kind != GEN_ORDER || first.version != 2)
            continue;
        first.version = 1;
        v1 = parse_object(1, &first);
        v2 = parse_object(1, &plan.entries[i]);
        ck_assert_str_eq(need(v1, "id"), need(v2, "id"));
        ck_assert_ptr_null(xml_child(v1, "locked"));
        ck_assert_str_eq(need(v2, "locked"), "yes");
        ck_assert_str_eq(need(v1, "ordertotal"), need(v2, "ordertotal"));
        p1 = xml_child(v1, "products");
        p2 = xml_child(v2, "products");
        ck_assert_uint_eq(p1->nkids, p2->nkids);
        for (size_t k = 0; k < p1->nkids; k++) {
            ck_assert_str_eq(need(p1->kids[k], "id"), need(p2->kids[k], "id"));
            ck_assert_str_eq(need(p1->kids[k], "variation/id"), need(p2->kids[k], "variation/id"));
            ck_assert_str_eq(need(p1->kids[k], "qty"), need(p2->kids[k], "qty"));
        }
        xml_free(v1);
        xml_free(v2);
        checked++;
    }
    ck_assert_uint_gt(checked, 50);
    gen_plan_free(&plan);
}
END_TEST

/* --- the catalog ------------------------------------------------------------------- */

typedef struct Catalog {
    HashMap *objects;   /* "product/ID", "sizetable/ID" -> XmlNode */
    XmlNode *list[64];  /* everything gen_catalog handed over, to free */
    size_t n;           /* entries of list */
    size_t nproducts;   /* products among them */
    size_t nsizetables; /* sizetables among them */
} Catalog;

static Catalog catalog;

static void
collect(const char *type, const char *id, XmlNode *obj, void *arg)
{
    Catalog *c = arg;
    char key[128];

    ck_assert_uint_lt(c->n, CB_LENGTH(c->list));
    c->list[c->n++] = obj;
    snprintf(key, sizeof(key), "%s/%s", type, id);
    ck_assert_msg(hashmap_put(c->objects, key, obj) == NULL, "%s twice in the catalog", key);
    ck_assert_str_eq(obj->name, type);
    ck_assert_str_eq(need(obj, "id"), id);
    c->nproducts += strcmp(type, "product") == 0;
    c->nsizetables += strcmp(type, "sizetable") == 0;
}

static void
catalog_setup(void)
{
    memset(&catalog, 0, sizeof(catalog));
    catalog.objects = hashmap_new();
    gen_catalog(collect, &catalog);
}

static void
catalog_teardown(void)
{
    for (size_t i = 0; i < catalog.n; i++)
        xml_free(catalog.list[i]);
    hashmap_free(catalog.objects);
    memset(&catalog, 0, sizeof(catalog));
}

static const XmlNode *
catalog_get(const char *type, const char *id)
{
    char key[128];

    snprintf(key, sizeof(key), "%s/%s", type, id);
    return hashmap_get(catalog.objects, key);
}

/* Child of list named name whose <id> is id, or NULL. */
static const XmlNode *
find_by_id(const XmlNode *list, const char *name, const char *id)
{
    for (const XmlNode *n = xml_child(list, name); n != NULL; n = xml_next(list, name, n))
        if (strcmp(need(n, "id"), id) == 0)
            return n;
    return NULL;
}

START_TEST(every_variation_has_the_sizes_of_its_sizetable)
{
    ck_assert_uint_eq(catalog.nsizetables, 3);
    ck_assert_uint_eq(catalog.nproducts, 18);
    for (size_t i = 0; i < catalog.n; i++) {
        const XmlNode *p = catalog.list[i];
        const XmlNode *vars = xml_child(p, "variations");

        if (strcmp(p->name, "product") != 0)
            continue;
        ck_assert_str_eq(need(p, "status"), "active");
        ck_assert_uint_ge(xml_count(vars, "variation"), 1);
        for (const XmlNode *v = xml_child(vars, "variation"); v != NULL;
             v = xml_next(vars, "variation", v)) {
            const XmlNode *st = catalog_get("sizetable", need(v, "sizetable/id"));
            const XmlNode *want;
            const XmlNode *have = xml_child(v, "sizes");

            ck_assert_msg(st != NULL, "product %s: no sizetable %s", need(p, "id"),
                          need(v, "sizetable/id"));
            ck_assert_str_eq(need(v, "stockid"), need(v, "id"));
            want = xml_child(st, "sizes");
            ck_assert_uint_eq(have->nkids, want->nkids);
            for (size_t k = 0; k < want->nkids; k++)
                ck_assert_str_eq(need(have->kids[k], "id"), need(want->kids[k], "id"));
        }
    }
    /* The guide's own sizes_Update example must be able to create these. */
    ck_assert_ptr_null(catalog_get("sizetable", "SML"));
    ck_assert_ptr_null(catalog_get("sizetable", "OneSize"));
}
END_TEST

START_TEST(the_catalog_round_trips_through_the_writer)
{
    for (size_t i = 0; i < catalog.n; i++) {
        DynBuf b;
        XmlWriter w;
        XmlNode *back;
        Error err;

        dynbuf_init(&b, OBJECT_CAP);
        xw_init(&w, &b, NULL, false, 0);
        xml_write(&w, catalog.list[i]);
        ck_assert_int_eq(xw_status(&w), ERR_OK);
        ck_assert_int_eq(xml_parse(dynbuf_str(&b), dynbuf_len(&b), &back, &err), ERR_OK);
        ck_assert_str_eq(need(back, "id"), need(catalog.list[i], "id"));
        if (xml_child(back, "description") != NULL)
            ck_assert_str_eq(need(back, "description"), need(catalog.list[i], "description"));
        xml_free(back);
        dynbuf_free(&b);
    }
}
END_TEST

/* --- orders ------------------------------------------------------------------------ */

typedef struct Shapes {
    int orders;          /* order events checked */
    int retail;          /* retail orders */
    int wholesale;       /* wholesale orders */
    int bundles;         /* virtual bundle lines */
    int parts;           /* bundle part lines */
    int shipments;       /* orders with shipments */
    int two_shipments;   /* orders with two */
    int refunds;         /* refunds */
    int cancelled;       /* orders with cancelled lines */
    int transactions;    /* payments with a transaction id */
    int captures;        /* captured payments */
    int preorders;       /* preorder lines */
    int split;           /* lines from two warehouses */
    int collections;     /* orders with a collection */
    int vouchers;        /* orders with a voucher */
    int handling;        /* orders with a handling fee */
    int discounts;       /* discounted lines */
    int min_lines;       /* fewest lines in an order */
    int max_lines;       /* most lines in an order */
    HashMap *warehouses; /* warehouse ids seen */
} Shapes;

/*
 * Check one product of an order, shipment, refund or cancellation against
 * the catalog; full: the order's own lines, with warehouse allocation
 * (none for a virtual bundle: the guide's "not a product in a warehouse").
 * Returns its subtotal in cents.
 */
static long long
check_product(Shapes *sh, const XmlNode *p, bool full)
{
    const char *isb = xml_path_text(p, "bundleinfo/isbundle");
    bool virtual_bundle = isb != NULL && strcmp(isb, "true") == 0;
    const char *id = need(p, "id");
    const XmlNode *cat = catalog_get("product", id);
    const XmlNode *var;
    const XmlNode *sizes = xml_child(p, "sizes");
    long long qty = 0;
    long long price = cents(need(p, "price"));

    ck_assert_msg(cat != NULL, "product %s is not in the catalog", id);
    ck_assert_str_eq(need(p, "sku"), xml_child_text(cat, "sku"));
    /* Text with & < " and non-ASCII compares equal once parsed. */
    ck_assert_str_eq(need(p, "description"), need(cat, "description"));
    var = find_by_id(xml_child(cat, "variations"), "variation", need(p, "variation/id"));
    ck_assert_msg(var != NULL, "product %s has no variation %s", id, need(p, "variation/id"));
    ck_assert_str_eq(need(p, "variation/description"), need(var, "description"));
    ck_assert_uint_ge(xml_count(sizes, "size"), 1);
    ck_assert_uint_le(xml_count(sizes, "size"), 3);
    for (const XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
        const XmlNode *cz = find_by_id(xml_child(var, "sizes"), "size", need(z, "id"));
        long long q = integer(need(z, "qty"));

        ck_assert_msg(cz != NULL, "product %s variation %s has no size %s", id, need(var, "id"),
                      need(z, "id"));
        ck_assert_str_eq(xml_child_text(z, "sku"), xml_child_text(cz, "sku"));
        ck_assert_int_gt(q, 0);
        ck_assert_int_gt(integer(need(z, "orderitem/id")), 0);
        qty += q;
        if (full) {
            const XmlNode *wh = xml_child(z, "warehouseitems");
            long long allocated = 0;

            for (const XmlNode *w = xml_child(wh, "warehouse"); w != NULL;
                 w = xml_next(wh, "warehouse", w)) {
                bool known = false;

                for (size_t k = 0; k < sim_nwarehouses; k++)
                    known |= strcmp(need(w, "id"), sim_warehouses[k]) == 0;
                ck_assert_msg(known, "unknown warehouse %s", need(w, "id"));
                hashmap_put(sh->warehouses, need(w, "id"), (void *)1);
                allocated += integer(need(w, "qty"));
            }
            ck_assert_ptr_nonnull(wh);
            ck_assert_int_eq(allocated, virtual_bundle ? 0 : q);
            if (virtual_bundle)
                ck_assert_str_eq(need(z, "preorder"), "no");
            sh->split += xml_count(wh, "warehouse") > 1;
            if (strcmp(need(z, "preorder"), "yes") == 0) {
                ck_assert_ptr_nonnull(xml_path_text(z, "supplierorderitems/supplierorder/id"));
                sh->preorders++;
            }
        }
    }
    ck_assert_int_eq(integer(need(p, "qty")), qty);
    ck_assert_int_eq(cents(need(p, "subtotal")), price * qty);
    ck_assert_int_eq(cents(need(p, "discount")), cents(need(p, "origprice")) - price);
    sh->discounts += full && price < cents(need(p, "origprice"));
    return price * qty;
}

/* The order's products: catalog, amounts, bundles; returns the goods total in cents. */
static long long
check_order_lines(Shapes *sh, const XmlNode *o)
{
    const XmlNode *products = xml_child(o, "products");
    HashMap *bundles = hashmap_new();
    HashMap *items = hashmap_new();
    long long goods = 0;
    int lines = 0;
    int parts = 0;

    ck_assert_uint_ge(products->nkids, 1);
    ck_assert_uint_le(products->nkids, MAX_PRODUCT_ELEMENTS);
    for (const XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const char *isb = xml_path_text(p, "bundleinfo/isbundle");
        const XmlNode *sizes = xml_child(p, "sizes");

        goods += check_product(sh, p, true);
        for (const XmlNode *z = xml_child(sizes, "size"); z != NULL;
             z = xml_next(sizes, "size", z)) {
            ck_assert_msg(hashmap_put(items, need(z, "orderitem/id"), (void *)1) == NULL,
                          "order %s: orderitem %s twice", need(o, "id"), need(z, "orderitem/id"));
            lines++;
        }
        if (isb != NULL && strcmp(isb, "true") == 0) {
            /* The virtual bundle: no price of its own, its parts carry it. */
            ck_assert_int_eq(cents(need(p, "subtotal")), 0);
            hashmap_put(bundles, need(p, "id"), (void *)1);
            sh->bundles++;
        } else if (isb != NULL) {
            ck_assert_str_eq(isb, "false");
            parts++;
        }
    }
    /* Every part names, via partof, a bundle line of the same order. */
    for (const XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const char *of = xml_path_text(p, "bundleinfo/partof/product/id");
        const char *isb = xml_path_text(p, "bundleinfo/isbundle");

        if (isb != NULL && strcmp(isb, "false") == 0) {
            ck_assert_ptr_nonnull(of);
            ck_assert_msg(hashmap_get(bundles, of) != NULL,
                          "order %s: part of bundle %s, which is not in the order", need(o, "id"),
                          of);
        } else {
            ck_assert_ptr_null(of);
        }
    }
    ck_assert_int_ge(parts, 2 * (int)hashmap_count(bundles));
    sh->parts += parts;
    ck_assert_int_ge(lines, 1);
    ck_assert_int_le(lines, MAX_LINES);
    if (sh->min_lines == 0 || lines < sh->min_lines)
        sh->min_lines = lines;
    if (lines > sh->max_lines)
        sh->max_lines = lines;
    hashmap_free(items);
    hashmap_free(bundles);
    return goods;
}

/*
 * The payments block against the shipments: an authorization of the order
 * total, then one capture per paid shipment, in shipment order, of its
 * paidtotal; the payments total is what was captured.
 */
static void
check_payments(Shapes *sh, const XmlNode *o, bool wholesale)
{
    const XmlNode *pay = xml_child(o, "payments");
    const XmlNode *ships = xml_child(o, "shipments");
    const XmlNode *p;
    long long total = cents(need(o, "ordertotal"));
    long long captured = 0;
    size_t ncaptures = 0;

    if (wholesale) {
        ck_assert_str_eq(need(pay, "type"), "inv");
        ck_assert_str_eq(need(pay, "status"), "incomplete");
        ck_assert_int_eq(cents(need(pay, "total")), 0);
        ck_assert_uint_eq(xml_count(pay, "payment"), 0);
        return;
    }
    p = xml_child(pay, "payment");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(need(p, "type"), "auth");
    ck_assert_int_eq(cents(need(p, "value")), total);
    ck_assert_int_gt(integer(need(p, "transaction")), 0);
    sh->transactions++;
    p = xml_next(pay, "payment", p);
    for (const XmlNode *s = xml_child(ships, "shipment"); s != NULL;
         s = xml_next(ships, "shipment", s)) {
        if (strcmp(need(s, "paid"), "yes") != 0)
            continue;
        ck_assert_msg(p != NULL, "order %s: shipment %s paid without a capture", need(o, "id"),
                      need(s, "id"));
        ck_assert_str_eq(need(p, "type"), "capture");
        ck_assert_int_eq(cents(need(p, "value")), cents(need(s, "paidtotal")));
        ck_assert_int_gt(integer(need(p, "transaction")), 0);
        captured += cents(need(p, "value"));
        ncaptures++;
        sh->transactions++;
        sh->captures++;
        p = xml_next(pay, "payment", p);
    }
    ck_assert_msg(p == NULL, "order %s: a capture no paid shipment accounts for", need(o, "id"));
    ck_assert_int_eq(cents(need(pay, "total")), captured);
    ck_assert_int_le(captured, total);
    ck_assert_str_eq(need(pay, "status"), ncaptures > 0 ? "success" : "incomplete");
}

/*
 * The shipments: their lines come from the order and their totals add up;
 * a retail shipment is paid exactly when shipped (captured then, as in the
 * guide's "Order Shipped"), a wholesale one (invoice) never here.
 */
static void
check_shipments(Shapes *sh, const XmlNode *o, bool wholesale)
{
    const XmlNode *ships = xml_child(o, "shipments");

    for (const XmlNode *s = xml_child(ships, "shipment"); s != NULL;
         s = xml_next(ships, "shipment", s)) {
        const XmlNode *products = xml_child(s, "products");
        const XmlNode *refunds = xml_child(s, "refunds");
        long long sum = 0;
        bool shipped = strcmp(need(s, "shipped"), "yes") == 0;

        for (const XmlNode *p = xml_child(products, "product"); p != NULL;
             p = xml_next(products, "product", p))
            sum += check_product(sh, p, false);
        sum += cents(need(s, "shipping/subtotal")) + cents(need(s, "handling/subtotal")) +
               cents(need(s, "voucher/subtotal"));
        ck_assert_int_eq(cents(need(s, "shipmenttotal")), sum);
        if (shipped)
            ck_assert_ptr_nonnull(xml_path_text(s, "carrierinformation/tracking"));
        ck_assert_str_eq(need(s, "paid"), shipped && !wholesale ? "yes" : "no");
        ck_assert_int_eq(cents(need(s, "paidtotal")), shipped && !wholesale ? sum : 0);
        for (const XmlNode *r = xml_child(refunds, "refund"); r != NULL;
             r = xml_next(refunds, "refund", r)) {
            const XmlNode *rp = xml_path(r, "products/product");

            ck_assert_ptr_nonnull(rp);
            check_product(sh, rp, false);
            ck_assert_ptr_nonnull(find_by_id(xml_child(o, "products"), "product", need(rp, "id")));
            ck_assert_int_lt(cents(need(r, "returnfee/subtotal")), 0);
            sh->refunds++;
        }
    }
    sh->shipments += xml_count(ships, "shipment") > 0;
    sh->two_shipments += xml_count(ships, "shipment") == 2;
    ck_assert_uint_le(xml_count(ships, "shipment"), 2);
}

static void
check_order(Shapes *sh, const XmlNode *o, const GenEntry *e)
{
    const SimMarket *m = &sim_markets[e->market];
    bool wholesale = strcmp(m->type, "wholesale") == 0;
    const XmlNode *cancelled = xml_child(o, "cancelled");
    long long goods;
    long long voucher = 0;
    long long handling = 0;

    ck_assert_str_eq(need(o, "ordernumber"), need(o, "id"));
    ck_assert_str_eq(need(o, "type"), m->type);
    ck_assert_int_eq(integer(need(o, "store")), m->store);
    ck_assert_str_eq(need(o, "currency"), m->currency);
    ck_assert_str_eq(need(o, "market/id"), m->id);
    ck_assert_str_eq(need(o, "pricelist/id"), m->pricelist);
    ck_assert_str_eq(need(o, "shippingaddress/country"), m->country);
    ck_assert_str_eq(need(o, "primary_warehouse/warehouse/id"), sim_warehouses[0]);
    if (!wholesale) {
        /* The guide's EUR order has <key>eur</key>: the currency in lower case. */
        char key[8] = {0};

        for (size_t i = 0; i < 3; i++)
            key[i] = (char)(m->currency[i] | 0x20);
        ck_assert_str_eq(need(o, "shipping/key"), key);
    }
    goods = check_order_lines(sh, o);
    if (xml_child(o, "voucher") != NULL) {
        voucher = cents(need(o, "voucher/subtotal"));
        ck_assert_int_lt(voucher, 0);
        sh->vouchers++;
    }
    if (xml_child(o, "handling") != NULL) {
        handling = cents(need(o, "handling/subtotal"));
        ck_assert_int_gt(handling, 0);
        sh->handling++;
    }
    ck_assert_int_eq(cents(need(o, "ordertotal")),
                     goods + cents(need(o, "shipping/subtotal")) + handling + voucher);
    check_shipments(sh, o, wholesale);
    check_payments(sh, o, wholesale);
    if (cancelled->nkids > 0) {
        ck_assert(!wholesale);
        ck_assert_str_eq(need(cancelled, "product/id"), need(o, "products/product/id"));
        check_product(sh, xml_child(cancelled, "product"), false);
        sh->cancelled++;
    }
    if (wholesale) {
        ck_assert_ptr_null(xml_child(o, "customer"));
        ck_assert_ptr_nonnull(xml_path_text(o, "account/id"));
        ck_assert_ptr_nonnull(xml_path_text(o, "buyer/id"));
        sh->wholesale++;
    } else {
        ck_assert_ptr_null(xml_child(o, "account"));
        ck_assert_ptr_nonnull(xml_path_text(o, "customer/id"));
        sh->retail++;
    }
    sh->collections += xml_child(o, "collection") != NULL;
    sh->orders++;
}

START_TEST(orders_have_every_documented_shape)
{
    GenPlan plan;
    Shapes sh;

    memset(&sh, 0, sizeof(sh));
    sh.warehouses = hashmap_new();
    gen_plan(1, NEVENTS, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        XmlNode *o;

        if (plan.entries[i].kind != GEN_ORDER)
            continue;
        o = parse_object(1, &plan.entries[i]);
        check_order(&sh, o, &plan.entries[i]);
        xml_free(o);
    }
    ck_assert_int_eq(sh.orders, NEVENTS);
    ck_assert_int_gt(sh.retail, NEVENTS / 2);
    ck_assert_int_gt(sh.wholesale, NEVENTS / 10);
    ck_assert_int_gt(sh.bundles, 10);
    ck_assert_int_ge(sh.parts, 2 * sh.bundles);
    ck_assert_int_gt(sh.shipments, 100);
    ck_assert_int_gt(sh.two_shipments, 10);
    ck_assert_int_gt(sh.refunds, 10);
    ck_assert_int_gt(sh.cancelled, 10);
    ck_assert_int_gt(sh.transactions, NEVENTS / 2);
    ck_assert_int_gt(sh.captures, 100);
    ck_assert_int_gt(sh.preorders, 10);
    ck_assert_int_gt(sh.split, 10);
    ck_assert_int_gt(sh.collections, 50);
    ck_assert_int_gt(sh.vouchers, 20);
    ck_assert_int_gt(sh.handling, 20);
    ck_assert_int_gt(sh.discounts, 20);
    ck_assert_int_eq(sh.min_lines, 1);
    ck_assert_int_gt(sh.max_lines, 10);
    ck_assert_uint_eq(hashmap_count(sh.warehouses), sim_nwarehouses);
    hashmap_free(sh.warehouses);
    gen_plan_free(&plan);
}
END_TEST

/* Every order event of seed's plan of nevents order events, parsed, to fn. */
static void
each_order(uint64_t seed, size_t nevents, void (*fn)(const XmlNode *o, const GenEntry *e, void *),
           void *arg)
{
    GenPlan plan;

    gen_plan(seed, nevents, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        XmlNode *o;

        if (plan.entries[i].kind != GEN_ORDER)
            continue;
        o = parse_object(seed, &plan.entries[i]);
        fn(o, &plan.entries[i], arg);
        xml_free(o);
    }
    gen_plan_free(&plan);
}

typedef struct PaidCount {
    int unshipped; /* retail shipments not shipped yet */
    int shipped;   /* retail shipments shipped */
} PaidCount;

static void
check_paid(const XmlNode *o, const GenEntry *e, void *arg)
{
    PaidCount *c = arg;
    const XmlNode *ships = xml_child(o, "shipments");
    const XmlNode *pay = xml_child(o, "payments");
    int captures = 0;
    int paid = 0;

    if (strcmp(sim_markets[e->market].type, "retail") != 0)
        return;
    for (const XmlNode *p = xml_child(pay, "payment"); p != NULL; p = xml_next(pay, "payment", p))
        captures += strcmp(need(p, "type"), "capture") == 0;
    for (const XmlNode *s = xml_child(ships, "shipment"); s != NULL;
         s = xml_next(ships, "shipment", s)) {
        if (strcmp(need(s, "shipped"), "yes") == 0) {
            ck_assert_str_eq(need(s, "paid"), "yes");
            ck_assert_str_eq(need(s, "paidtotal"), need(s, "shipmenttotal"));
            paid++;
            c->shipped++;
        } else {
            /* The guide's DTC event: <paid>no</paid>, <paidtotal>0.00</paidtotal>. */
            ck_assert_str_eq(need(s, "shipped"), "no");
            ck_assert_str_eq(need(s, "paid"), "no");
            ck_assert_str_eq(need(s, "paidtotal"), "0.00");
            c->unshipped++;
        }
    }
    ck_assert_int_eq(captures, paid);
    if (paid == 0) {
        /* ... and its <payments>: total 0, incomplete, only the authorization. */
        ck_assert_int_eq(cents(need(pay, "total")), 0);
        ck_assert_str_eq(need(pay, "status"), "incomplete");
        ck_assert_uint_eq(xml_count(pay, "payment"), 1);
        ck_assert_str_eq(need(pay, "payment/type"), "auth");
    }
}

START_TEST(a_retail_shipment_is_paid_only_once_shipped_and_captured)
{
    PaidCount c = {0, 0};

    each_order(1, NEVENTS, check_paid, &c);
    ck_assert_int_gt(c.unshipped, 50); /* auto-created ("Direct to Shipment"), not shipped */
    ck_assert_int_gt(c.shipped, 50);
}
END_TEST

/*
 * The element order of Centra's reference (REF in centra-api-notes.md: the
 * orders_Update, accounts_Update, customers_Update and invoices_Update
 * samples), plus <bundleinfo> after <comment> where the guide's bundle
 * example puts it.  Elements may be left out, never reordered or renamed.
 * The skeletons are laid out as the reference's trees nest, by hand.
 */
/* clang-format off */
#define REF_IDDESC(n) "<" n "><id/><description/></" n ">"
#define REF_COST(n)   "<" n "><subtotal/><description/><key/><id/></" n ">"
#define REF_ADDRESS(n)                                                                             \
    "<" n "><id/><description/><company/><attn/><firstname/><lastname/><address1/><address2/>"     \
    "<city/><state/><zipcode/><country/><email/><telephone/><fax/><vat/><url/>"                    \
    "<companyregistrationid/></" n ">"
#define REF_CARRIER                                                                                \
    "<carrierinformation><carrier/><service/><account/><taxid/><tracking/><packages/>"             \
    "</carrierinformation>"
#define REF_PRODUCT                                                                                \
    "<product><id/><tax/><sku/><origprice/><price/><discount/><qty/><subtotal/><description/>"     \
        REF_IDDESC("variation")                                                                    \
        REF_IDDESC("brand")                                                                        \
        "<sizes><size><id/><sku/><qty/><preorder/><description/>"                                  \
            REF_IDDESC("orderitem")                                                                \
            "<warehouseitems><warehouse><id/><qty/></warehouse></warehouseitems>"                  \
            "<supplierorderitems><supplierorder><id/><qty/><eta/></supplierorder>"                 \
            "</supplierorderitems>"                                                                \
        "</size></sizes>"                                                                          \
        "<type/><comment/>"                                                                        \
        "<bundleinfo><isbundle/><partof><product><id/></product></partof></bundleinfo>"            \
    "</product>"

static const char ref_order[] =
    "<order>"
        "<id/><ordernumber/><type/><store/><locked/><status/><ordertotal/><currency/>"
        "<currencyrate/><basecurrency/><created/><internal/><preferred_shipping_date/>"
        "<buyer><id/><description/><firstname/><lastname/><email/></buyer>"
        "<salesrep><id/><email/><name/><percent/>"
            "<mastersalesrep><salesrep><id/><percent/></salesrep></mastersalesrep>"
        "</salesrep>"
        "<mastersalesrep><salesrep><id/><email/><name/><percent/>"
            "<mastersalesrep><salesrep><id/><percent/></salesrep></mastersalesrep>"
        "</salesrep></mastersalesrep>"
        REF_IDDESC("account")
        REF_IDDESC("paymentterms")
        REF_IDDESC("shippingterms")
        "<deliverywindow><id/><description/><type/><atonce/><start/><stop/></deliverywindow>"
        REF_IDDESC("collection")
        "<additionals><additional><key/><value/></additional></additionals>"
        "<primary_warehouse><warehouse><id/><description/></warehouse></primary_warehouse>"
        REF_COST("shipping")
        REF_COST("handling")
        REF_COST("voucher")
        "<payments><name/><type/><total/><status/><method/>"
            "<payment><type/><paid/><value/><created/><transaction/><document/></payment>"
        "</payments>"
        "<products>" REF_PRODUCT "</products>"
        "<cancelled>" REF_PRODUCT "</cancelled>"
        "<shipments><shipment>"
            "<id/><paid/><shipped/><goodtogo/><capture/><appendix/><shipmenttotal/><paidtotal/>"
            "<currency/><currencyrate/><basecurrency/><created/>"
            REF_ADDRESS("shippingaddress")
            REF_CARRIER
            "<products>" REF_PRODUCT "</products>"
            "<refunds><refund>"
                "<id/>"
                REF_COST("shipping")
                REF_COST("voucher")
                "<products>" REF_PRODUCT "</products>"
                "<comment/>"
                REF_COST("returnfee")
                REF_COST("handling")
                "<status/><type/>"
            "</refund></refunds>"
            REF_COST("shipping")
            REF_COST("handling")
            REF_COST("voucher")
        "</shipment></shipments>"
        REF_CARRIER
        REF_IDDESC("customer")
        REF_ADDRESS("shippingaddress")
        REF_ADDRESS("billingaddress")
        "<internalinformation/><other/><ponumber/>"
        REF_IDDESC("market")
        REF_IDDESC("pricelist")
        "<ecvatno/>"
    "</order>";

static const char ref_customer[] =
    "<customer>"
        "<id/><store/><type/><status/><firstname/><lastname/><address1/><address2/><city/>"
        "<state/><zipcode/><country/><email/><telephone/>"
    "</customer>";

static const char ref_account[] =
    "<account>"
        "<id/><type/><status/><description/><other/><discount/>"
        REF_IDDESC("market")
        REF_IDDESC("pricelist")
        "<internalinformation/><creditlimit/>"
        REF_IDDESC("salesrep")
        REF_IDDESC("paymentterms")
        REF_IDDESC("shippingterms")
        REF_ADDRESS("accountaddress")
        REF_ADDRESS("shippingaddress")
        REF_ADDRESS("invoiceaddress")
        REF_CARRIER
        "<buyers><buyer>"
            "<id/><store/><status/><firstname/><lastname/><address1/><address2/><city/><state/>"
            "<zipcode/><country/><email/><telephone/><fax/>"
            REF_IDDESC("market")
            REF_IDDESC("pricelist")
            "<password/>"
        "</buyer></buyers>"
        "<addresses>" REF_ADDRESS("address") "</addresses>"
        "<additionals><additional><key/><value/></additional></additionals>"
    "</account>";

static const char ref_invoice[] =
    "<invoice>"
        "<id/><store/><status/><serialno/><documenttype/><type/><currency/><currencyrate/>"
        "<basecurrency/><total/><vat/><totalpaid/><invoicedate/><orderdate/><duedate/>"
        REF_IDDESC("buyer")
        REF_IDDESC("account")
        REF_IDDESC("order")
        REF_IDDESC("shipment")
        REF_IDDESC("refund")
        "<paymentterms/><shippingterms/><internalinformation/><ponumber/>"
        REF_ADDRESS("billingaddress")
        REF_ADDRESS("shippingaddress")
        "<items>"
            "<invoiceitem><itemid/><qty/><price/><tax/><subtotal/><description/>"
                REF_IDDESC("product")
                REF_IDDESC("variation")
                REF_IDDESC("size")
                "<discount/><sku/>"
            "</invoiceitem>"
            "<additional><subtotal/><description/><key/><id/></additional>"
        "</items>"
        "<locked/>"
    "</invoice>";
/* clang-format on */

/* Elements that may repeat under their parent (lists). */
static bool
repeatable(const char *name)
{
    static const char *const lists[] = {"product", "size",     "warehouse",  "supplierorder",
                                        "payment", "shipment", "refund",     "additional",
                                        "buyer",   "address",  "invoiceitem"};

    for (size_t i = 0; i < CB_LENGTH(lists); i++)
        if (strcmp(name, lists[i]) == 0)
            return true;
    return false;
}

/*
 * Whether every child of n is named as in ref and comes in ref's order, all
 * the way down; if not, why in msg.
 */
static bool
in_ref_order(const XmlNode *n, const XmlNode *ref, const char *where, char *msg, size_t size)
{
    size_t at = 0;    /* position in ref->kids of the previous match */
    bool any = false; /* anything matched yet */

    for (size_t i = 0; i < n->nkids; i++) {
        const XmlNode *c = n->kids[i];
        size_t j = any ? at : 0;
        char path[512];

        if (any && !(strcmp(ref->kids[at]->name, c->name) == 0 && repeatable(c->name)))
            j = at + 1;
        while (j < ref->nkids && strcmp(ref->kids[j]->name, c->name) != 0)
            j++;
        if (j == ref->nkids) {
            snprintf(msg, size, "%s: <%s> after <%s> is not in the reference's order", where,
                     c->name, i > 0 ? n->kids[i - 1]->name : "(start)");
            return false;
        }
        at = j;
        any = true;
        snprintf(path, sizeof(path), "%s/%s", where, c->name);
        if (!in_ref_order(c, ref->kids[j], path, msg, size))
            return false;
    }
    return true;
}

static XmlNode *
parse_ref(const char *text)
{
    XmlNode *root = NULL;
    Error err;

    ck_assert_msg(xml_parse(text, strlen(text), &root, &err) == ERR_OK, "%s", err.message);
    return root;
}

START_TEST(elements_come_in_the_order_of_centras_reference)
{
    XmlNode *refs[4];
    const char *names[4] = {"order", "customer", "account", "invoice"};
    int seen[4] = {0, 0, 0, 0};
    GenPlan plan;

    refs[0] = parse_ref(ref_order);
    refs[1] = parse_ref(ref_customer);
    refs[2] = parse_ref(ref_account);
    refs[3] = parse_ref(ref_invoice);
    gen_plan(1, NEVENTS, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        char where[64];
        char msg[1024];
        XmlNode *o;

        if (plan.entries[i].kind == GEN_DELETE)
            continue;
        o = parse_object(1, &plan.entries[i]);
        for (size_t k = 0; k < 4; k++) {
            if (strcmp(o->name, names[k]) != 0)
                continue;
            snprintf(where, sizeof(where), "%s %s", o->name, need(o, "id"));
            ck_assert_msg(in_ref_order(o, refs[k], where, msg, sizeof(msg)), "%s", msg);
            seen[k]++;
        }
        xml_free(o);
    }
    for (size_t k = 0; k < 4; k++) {
        ck_assert_int_gt(seen[k], 0);
        xml_free(refs[k]);
    }
    gen_plan_free(&plan);
}
END_TEST

/* The check itself: what the review found (locked after status, ...) fails it. */
START_TEST(the_reference_order_check_rejects_a_reordered_or_renamed_element)
{
    static const struct {
        const char *xml; /* an order */
        bool ok;         /* in the reference's order */
    } cases[] = {
        {"<order><id/><store/><locked/><status/></order>", true},
        {"<order><id/><store/><status/><locked/></order>", false},
        {"<order><additionals/><primary_warehouse/><shipping/><handling/><voucher/></order>", true},
        {"<order><primary_warehouse/><additionals/></order>", false},
        {"<order><shipping/><voucher/><handling/></order>", false},
        {"<order><ponumber/><market/><pricelist/><ecvatno/></order>", true},
        {"<order><ponumber/><ecvatno/><market/></order>", false},
        {"<order><products><product><id/></product><product><id/></product></products></order>",
         true},
        {"<order><id/><id/></order>", false},
        {"<order><Status/></order>", false},
        {"<order><products><product><sizes/><comment/><bundleinfo/></product></products></order>",
         true},
        {"<order><products><product><bundleinfo/><comment/></product></products></order>", false},
    };
    XmlNode *ref = parse_ref(ref_order);

    for (size_t i = 0; i < CB_LENGTH(cases); i++) {
        XmlNode *o = parse_ref(cases[i].xml);
        char msg[1024];

        ck_assert_msg(in_ref_order(o, ref, "order", msg, sizeof(msg)) == cases[i].ok,
                      "case %zu: %s", i, cases[i].xml);
        xml_free(o);
    }
    xml_free(ref);
}
END_TEST

typedef struct BundleCount {
    int bundles; /* virtual bundle lines */
    int parts;   /* part lines */
} BundleCount;

static void
check_bundle_stock(const XmlNode *o, const GenEntry *e, void *arg)
{
    BundleCount *c = arg;
    const XmlNode *products = xml_child(o, "products");

    (void)e;
    for (const XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const char *isb = xml_path_text(p, "bundleinfo/isbundle");
        const XmlNode *sizes = xml_child(p, "sizes");

        if (isb == NULL)
            continue;
        for (const XmlNode *z = xml_child(sizes, "size"); z != NULL;
             z = xml_next(sizes, "size", z)) {
            const XmlNode *wh = xml_child(z, "warehouseitems");

            ck_assert_ptr_nonnull(wh);
            if (strcmp(isb, "true") == 0) {
                /* Present, as on every order line, but empty: nothing to pick. */
                ck_assert_uint_eq(wh->nkids, 0);
                ck_assert_uint_eq(xml_child(z, "supplierorderitems")->nkids, 0);
                c->bundles++;
            } else {
                ck_assert_str_eq(need(wh, "warehouse/qty"), need(z, "qty"));
                c->parts++;
            }
        }
    }
}

START_TEST(a_virtual_bundle_line_has_no_warehouse_allocation_and_its_parts_have)
{
    BundleCount c = {0, 0};

    each_order(1, NEVENTS, check_bundle_stock, &c);
    ck_assert_int_gt(c.bundles, 10);
    ck_assert_int_ge(c.parts, 2 * c.bundles);
}
END_TEST

/* Order lines (orderitems) in the written order's own <products> (unprefixed). */
static int
count_lines(const DynBuf *b)
{
    const char *from = strstr(dynbuf_str(b), "<products>");
    const char *to = from != NULL ? strstr(from, "</products>") : NULL;
    int n = 0;

    ck_assert_ptr_nonnull(to);
    for (const char *p = strstr(from, "<orderitem>"); p != NULL && p < to;
         p = strstr(p + 1, "<orderitem>"))
        n++;
    return n;
}

#define LINE_SEEDS  12   /* seeds the line bound is checked over */
#define LINE_EVENTS 4000 /* order events of each */

START_TEST(no_order_has_more_than_20_lines_or_fewer_than_1)
{
    int seen[MAX_LINES + 1] = {0};
    int orders = 0;

    for (uint64_t seed = 1; seed <= LINE_SEEDS; seed++) {
        GenPlan plan;

        gen_plan(seed * 7919, LINE_EVENTS, &plan);
        for (size_t i = 0; i < plan.n; i++) {
            DynBuf b;
            int lines;

            if (plan.entries[i].kind != GEN_ORDER || plan.entries[i].version != 1)
                continue;
            write_into(&b, seed * 7919, &plan.entries[i], NULL);
            lines = count_lines(&b);
            dynbuf_free(&b);
            ck_assert_msg(lines >= 1 && lines <= MAX_LINES, "seed %llu order %u: %d lines",
                          (unsigned long long)(seed * 7919), plan.entries[i].index + 1, lines);
            seen[lines]++;
            orders++;
        }
        gen_plan_free(&plan);
    }
    ck_assert_int_gt(orders, LINE_SEEDS * LINE_EVENTS * 8 / 10);
    /* Both ends of the range occur. */
    ck_assert_int_gt(seen[1], 0);
    ck_assert_int_gt(seen[MAX_LINES], 0);
}
END_TEST

/* --- value formats ------------------------------------------------------------------ */

typedef enum Fmt {
    FMT_MONEY2, /* two decimals: "1135.00" (ordertotal, price, shipmenttotal, ...) */
    FMT_NUMBER, /* a plain number: "1000", "12", "0", "98.4" (subtotal, discount, value, ...) */
    FMT_TAX,    /* three decimals: "25.000" */
    FMT_RATE,   /* five decimals: "10.43100" */
    FMT_INT,    /* an integer: "3" */
    FMT_ISO,    /* "2019-03-27T12:52:20+01:00" */
    FMT_YESNO,  /* yes | no */
    FMT_BOOL    /* true | false */
} Fmt;

/* Element (as the end of its path) and the format the guide's samples give it. */
static const struct {
    const char *suffix;
    Fmt fmt;
} formats[] = {
    {"/order/ordertotal", FMT_MONEY2},
    {"/order/currencyrate", FMT_RATE},
    {"/order/created", FMT_ISO},
    {"/order/internal", FMT_BOOL},
    {"/order/locked", FMT_YESNO},
    {"/order/shipping/subtotal", FMT_NUMBER},
    {"/order/handling/subtotal", FMT_MONEY2},
    {"/order/voucher/subtotal", FMT_NUMBER},
    {"/payments/total", FMT_NUMBER},
    {"/payment/value", FMT_NUMBER},
    {"/payment/created", FMT_ISO},
    {"/product/tax", FMT_TAX},
    {"/product/origprice", FMT_MONEY2},
    {"/product/price", FMT_MONEY2},
    {"/product/discount", FMT_NUMBER},
    {"/product/qty", FMT_INT},
    {"/product/subtotal", FMT_NUMBER},
    {"/size/qty", FMT_INT},
    {"/size/preorder", FMT_YESNO},
    {"/warehouse/qty", FMT_INT},
    {"/bundleinfo/isbundle", FMT_BOOL},
    {"/shipment/paid", FMT_YESNO},
    {"/shipment/shipped", FMT_YESNO},
    {"/shipment/goodtogo", FMT_YESNO},
    {"/shipment/appendix", FMT_INT},
    {"/shipment/shipmenttotal", FMT_MONEY2},
    {"/shipment/paidtotal", FMT_MONEY2},
    {"/shipment/currencyrate", FMT_RATE},
    {"/shipment/created", FMT_ISO},
    {"/shipment/shipping/subtotal", FMT_NUMBER},
    {"/shipment/handling/subtotal", FMT_MONEY2},
    {"/shipment/voucher/subtotal", FMT_NUMBER},
    {"/carrierinformation/packages", FMT_INT},
    {"/refund/shipping/subtotal", FMT_NUMBER},
    {"/refund/returnfee/subtotal", FMT_NUMBER},
};

/* Whether text is digits, a point and exactly n decimals. */
static bool
fixed_decimals(const char *text, size_t n)
{
    const char *dot;
    const char *p = text[0] == '-' ? text + 1 : text;

    if (*p < '0' || *p > '9' || (dot = strchr(p, '.')) == NULL || strlen(dot + 1) != n)
        return false;
    for (; *p != '\0'; p++)
        if (p != dot && (*p < '0' || *p > '9'))
            return false;
    return true;
}

static bool
format_ok(const char *text, Fmt fmt)
{
    long long v;
    bool plain;

    switch (fmt) {
    case FMT_MONEY2:
        return fixed_decimals(text, 2);
    case FMT_TAX:
        return fixed_decimals(text, 3);
    case FMT_RATE:
        return fixed_decimals(text, 5);
    case FMT_NUMBER:
        /* As PHP prints a float: no trailing zero decimals, no point without decimals. */
        if (strchr(text, '.') != NULL)
            return (fixed_decimals(text, 1) || fixed_decimals(text, 2)) &&
                   text[strlen(text) - 1] != '0';
        return str_to_ll(text, &v) && (text[0] != '0' || text[1] == '\0') &&
               strcmp(text, "-0") != 0;
    case FMT_INT:
        return str_to_ll(text, &v);
    case FMT_ISO:
        return date_format(text, &plain) && !plain;
    case FMT_YESNO:
        return strcmp(text, "yes") == 0 || strcmp(text, "no") == 0;
    case FMT_BOOL:
        return strcmp(text, "true") == 0 || strcmp(text, "false") == 0;
    }
    return false;
}

/* Check the format of every element below n (path: n's own path); count rule uses. */
static void
check_formats(const XmlNode *n, const char *path, int *used)
{
    for (size_t i = 0; i < n->nkids; i++) {
        const XmlNode *c = n->kids[i];
        char p[512];
        size_t len;

        snprintf(p, sizeof(p), "%s/%s", path, c->name);
        len = strlen(p);
        if (c->nkids > 0) {
            check_formats(c, p, used);
            continue;
        }
        for (size_t k = 0; k < CB_LENGTH(formats); k++) {
            size_t sl = strlen(formats[k].suffix);

            if (len < sl || strcmp(p + len - sl, formats[k].suffix) != 0)
                continue;
            ck_assert_msg(format_ok(c->text, formats[k].fmt),
                          "%s: \"%s\" is not in the format "
                          "of the guide's samples",
                          p, c->text);
            used[k]++;
            break;
        }
    }
}

START_TEST(amounts_dates_and_flags_have_the_guides_format_per_element)
{
    int used[CB_LENGTH(formats)] = {0};
    GenPlan plan;

    gen_plan(1, NEVENTS, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        XmlNode *o;

        if (plan.entries[i].kind != GEN_ORDER)
            continue;
        o = parse_object(1, &plan.entries[i]);
        check_formats(o, "/order", used);
        xml_free(o);
    }
    for (size_t k = 0; k < CB_LENGTH(formats); k++)
        ck_assert_msg(used[k] > 0, "no %s in any order", formats[k].suffix);
    gen_plan_free(&plan);
}
END_TEST

/* The formats themselves, on the guide's own values. */
START_TEST(the_format_check_takes_the_guides_values_and_rejects_others)
{
    static const struct {
        const char *text;
        Fmt fmt;
        bool ok;
    } cases[] = {
        {"1135.00", FMT_MONEY2, true},
        {"0.00", FMT_MONEY2, true},
        {"-5.00", FMT_MONEY2, true},
        {"1135", FMT_MONEY2, false},
        {"1135.0", FMT_MONEY2, false},
        {"1000", FMT_NUMBER, true},
        {"12", FMT_NUMBER, true},
        {"0", FMT_NUMBER, true},
        {"98.4", FMT_NUMBER, true},
        {"-10", FMT_NUMBER, true},
        {"98.45", FMT_NUMBER, true},
        {"1000.00", FMT_NUMBER, false},
        {"98.40", FMT_NUMBER, false},
        {"12.", FMT_NUMBER, false},
        {"012", FMT_NUMBER, false},
        {"-0", FMT_NUMBER, false},
        {"25.000", FMT_TAX, true},
        {"25", FMT_TAX, false},
        {"10.43100", FMT_RATE, true},
        {"2019-03-27T12:52:20+01:00", FMT_ISO, true},
        {"2019-03-27 12:52:20", FMT_ISO, false},
        {"yes", FMT_YESNO, true},
        {"true", FMT_YESNO, false},
        {"false", FMT_BOOL, true},
        {"no", FMT_BOOL, false},
    };

    for (size_t i = 0; i < CB_LENGTH(cases); i++)
        ck_assert_msg(format_ok(cases[i].text, cases[i].fmt) == cases[i].ok, "\"%s\" format %d",
                      cases[i].text, cases[i].fmt);
}
END_TEST

/* Which kinds of awkward text occur below n. */
typedef struct Awkward {
    bool amp;   /* & */
    bool lt;    /* < */
    bool gt;    /* > */
    bool quote; /* " */
    bool apos;  /* ' */
    bool latin; /* two-byte UTF-8 such as å, ö, é */
    bool emoji; /* four-byte UTF-8 */
} Awkward;

static void
scan_text(Awkward *a, const XmlNode *n)
{
    a->amp |= strchr(n->text, '&') != NULL;
    a->lt |= strchr(n->text, '<') != NULL;
    a->gt |= strchr(n->text, '>') != NULL;
    a->quote |= strchr(n->text, '"') != NULL;
    a->apos |= strchr(n->text, '\'') != NULL;
    a->latin |= strstr(n->text, "\xc3") != NULL;     /* U+00C0..U+00FF: Å, ö, é, ... */
    a->emoji |= strstr(n->text, "\xf0\x9f") != NULL; /* U+1F000 and up: 🙂 📦 */
    for (size_t i = 0; i < n->nkids; i++)
        scan_text(a, n->kids[i]);
}

START_TEST(markup_characters_and_non_ascii_text_survive_as_text)
{
    GenPlan plan;
    Awkward a;
    bool exact = false;

    memset(&a, 0, sizeof(a));
    gen_plan(1, 400, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        const char *other;
        XmlNode *o;

        if (plan.entries[i].kind == GEN_DELETE)
            continue;
        o = parse_object(1, &plan.entries[i]);
        scan_text(&a, o);
        other = xml_child_text(o, "other");
        exact |= other != NULL &&
                 strcmp(other, "Please deliver before 5pm & ring \"twice\" \xf0\x9f\x93\xa6") == 0;
        xml_free(o);
    }
    ck_assert(a.amp);
    ck_assert(a.lt);
    ck_assert(a.gt);
    ck_assert(a.quote);
    ck_assert(a.apos);
    ck_assert(a.latin);
    ck_assert(a.emoji);
    ck_assert_msg(exact, "no order message with & \" and an emoji came back as written");
    gen_plan_free(&plan);
}
END_TEST

/* --- suite ------------------------------------------------------------------------- */

static Suite *
sim_gen_suite(void)
{
    Suite *s = suite_create("sim_gen");
    TCase *plan = tcase_create("plan");
    TCase *events = tcase_create("events");
    TCase *objects = tcase_create("objects");
    TCase *cat = tcase_create("catalog");
    TCase *orders = tcase_create("orders");

    tcase_add_test(plan, an_empty_plan_has_no_events);
    tcase_add_loop_test(plan, another_event_follows_every_twentieth_order_event, 0,
                        (int)CB_LENGTH(plan_sizes));
    tcase_add_test(plan, other_events_cycle_customer_account_invoice_customer_delete);
    tcase_add_test(plan, new_orders_are_numbered_in_queue_order_and_some_get_a_second_event);
    tcase_add_test(plan, the_plan_is_the_same_for_a_seed_and_differs_between_seeds);
    tcase_add_test(plan, orders_spread_over_every_market);
    suite_add_tcase(s, plan);

    tcase_add_test(events, type_mission_entry_and_market_follow_the_kind);
    tcase_add_test(events, order_ids_start_at_100001_and_map_back_to_their_index);
    tcase_add_test(events, an_orders_entry_is_its_latest_event);
    tcase_add_test(events, event_dates_advance_37_seconds_a_position_in_two_formats);
    suite_add_tcase(s, events);

    tcase_set_timeout(objects, 600); /* whole plans written and parsed, maybe under valgrind */
    tcase_add_test(objects, the_same_seed_writes_byte_identical_objects);
    tcase_add_test(objects, objects_do_not_depend_on_what_was_written_before);
    tcase_add_test(objects, a_different_seed_writes_different_orders);
    tcase_add_test(objects, every_object_is_well_formed_and_names_its_entry);
    tcase_add_test(objects, the_writers_prefix_goes_on_every_element);
    tcase_add_test(objects, a_delete_writes_nothing_and_deletes_a_customer_queued_before);
    tcase_add_test(objects, accounts_and_invoices_refer_to_what_was_queued);
    tcase_add_test(objects, a_second_event_moves_the_order_on_and_keeps_its_lines);
    tcase_add_test(objects, markup_characters_and_non_ascii_text_survive_as_text);
    suite_add_tcase(s, objects);

    tcase_add_checked_fixture(cat, catalog_setup, catalog_teardown);
    tcase_add_test(cat, every_variation_has_the_sizes_of_its_sizetable);
    tcase_add_test(cat, the_catalog_round_trips_through_the_writer);
    suite_add_tcase(s, cat);

    tcase_add_checked_fixture(orders, catalog_setup, catalog_teardown);
    tcase_set_timeout(orders, 600); /* as objects */
    tcase_add_test(orders, orders_have_every_documented_shape);
    tcase_add_test(orders, a_retail_shipment_is_paid_only_once_shipped_and_captured);
    tcase_add_test(orders, the_reference_order_check_rejects_a_reordered_or_renamed_element);
    tcase_add_test(orders, elements_come_in_the_order_of_centras_reference);
    tcase_add_test(orders, a_virtual_bundle_line_has_no_warehouse_allocation_and_its_parts_have);
    tcase_add_test(orders, no_order_has_more_than_20_lines_or_fewer_than_1);
    tcase_add_test(orders, the_format_check_takes_the_guides_values_and_rejects_others);
    tcase_add_test(orders, amounts_dates_and_flags_have_the_guides_format_per_element);
    suite_add_tcase(s, orders);
    return s;
}

CB_TEST_MAIN(sim_gen_suite)
