/*
 * tests/unit/sim/test_sim_gen.c
 *     centra-sim's data generator through its internal API (sim_gen_int.h):
 *     the plan's rules, determinism per seed, and the shape of every object
 *     it writes, parsed back with xml_parse and compared as text.
 *
 * No server and no sockets: the integration test test_sim covers the same
 * data as served over HTTP.  The orders themselves are checked in
 * test_sim_gen_orders.c.
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
#include "gentest.h"
#include "testutil.h"

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

/* --- suite ------------------------------------------------------------------------- */

static Suite *
sim_gen_suite(void)
{
    Suite *s = suite_create("sim_gen");
    TCase *plan = tcase_create("plan");
    TCase *events = tcase_create("events");
    TCase *objects = tcase_create("objects");
    TCase *cat = tcase_create("catalog");

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
    suite_add_tcase(s, objects);

    tcase_add_checked_fixture(cat, catalog_setup, catalog_teardown);
    tcase_add_test(cat, every_variation_has_the_sizes_of_its_sizetable);
    tcase_add_test(cat, the_catalog_round_trips_through_the_writer);
    suite_add_tcase(s, cat);

    return s;
}

CB_TEST_MAIN(sim_gen_suite)
