/*
 * tests/sim/sim_gen.c
 *     Deterministic generator of realistic Centra data (see sim_gen_int.h).
 *
 * Every order is drawn from a PRNG seeded by (seed, order index), so the
 * same order comes out byte for byte each time it is written, and its
 * second event (version 2) differs only in what moved on.
 *
 * Clients are built against this output, so it follows Centra's documents
 * to the letter: element names and order as in the reference's
 * orders_Update, accounts_Update, customers_Update and invoices_Update
 * samples (REF in centra-api-notes.md; elements may be left out, never
 * reordered), and values in the formats of the ERP guide's order events:
 * "2019-03-27T12:52:20+01:00" dates, yes/no or true/false per element, and
 * amounts with two decimals in some elements but as a plain number ("1000",
 * "12", "0") in others.
 */
#include "sim_gen_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"

/* --- reference data ------------------------------------------------------------ */

const SimMarket sim_markets[] = {
    {"Retail-Sweden", "Sweden", "retail", 1, "SEK", "1.00000", "SEK-Retail", "Swedish Krona", 1050,
     25000, "SE"},
    {"Retail-EU", "Europe", "retail", 1, "EUR", "10.43100", "EUR-Retail", "Euro", 100, 21000, "DE"},
    {"Retail-US", "United States", "retail", 1, "USD", "9.18707", "USD-Retail", "US Dollar", 110, 0,
     "US"},
    {"Wholesale-EU", "Global", "wholesale", 2, "EUR", "10.43100", "EUR-Wholesale", "Euro Wholesale",
     50, 0, "FR"},
    {"Wholesale-US", "North America", "wholesale", 2, "USD", "9.18707", "USD-Wholesale",
     "US Dollar Wholesale", 55, 0, "US"},
};
const size_t sim_nmarkets = sizeof(sim_markets) / sizeof(sim_markets[0]);

const char *const sim_warehouses[] = {"MainWarehouse", "OtherWarehouse", "Göteborg-Lager"};
const size_t sim_nwarehouses = 3;

typedef struct GenSizetable {
    const char *id;          /* sizetable id */
    const char *description; /* its name */
    const char *sizes[8];    /* size ids */
    const char *names[8];    /* size descriptions */
    const char *skus[8];     /* size SKUs */
    int n;                   /* number of sizes */
} GenSizetable;

/* Not the guide's SML and OneSize: its sizes_Update example must create those. */
static const GenSizetable sizetables[] = {
    {"CLOTHING",
     "Clothing S-XL",
     {"S", "M", "L", "XL"},
     {"Small", "Medium", "Large", "Extra Large"},
     {"01", "02", "03", "04"},
     4},
    {"ONE", "One size", {"OS"}, {""}, {""}, 1},
    {"EU-Shoes",
     "EU shoe sizes",
     {"38", "39", "40", "41", "42", "43", "44", "45"},
     {"38", "39", "40", "41", "42", "43", "44", "45"},
     {"38", "39", "40", "41", "42", "43", "44", "45"},
     8},
};

typedef struct GenProduct {
    const char *id;        /* product id */
    const char *sku;       /* product SKU */
    const char *name;      /* <description> */
    int sizetable;         /* index into sizetables */
    const char *colors[3]; /* variant names; ids are id + "_" + upper(color) */
    int ncolors;           /* number of variants */
    long long price;       /* EUR list price, cents */
    const char *brand;     /* brand id */
    int parts[3];          /* bundles: indices of part products; -1 ends */
} GenProduct;

static const GenProduct products[] = {
    {"T001",
     "TURTLE001",
     "Turtleneck sweater",
     0,
     {"Red", "Blue", "Black"},
     3,
     12300,
     "Example",
     {-1}},
    {"PWC", "", "Plain wood chair", 1, {"Plain"}, 1, 100000, "Example", {-1}},
    {"LJ100", "LEATHER100", "Läderjacka", 0, {"Black", "Brown"}, 2, 24900, "Nordisk", {-1}},
    {"MUG7", "MUG7", "Café mug", 1, {"White", "Green"}, 2, 1500, "Example", {-1}},
    {"ST-55", "ST55", "Shirt & Tie set", 0, {"White", "Blue"}, 2, 8900, "Example", {-1}},
    {"SOCK3", "SOCK3", "Wool socks <3-pack>", 1, {"Grey"}, 1, 1900, "Nordisk", {-1}},
    {"RUN-1", "RUN1", "Runner sneakers", 2, {"White", "Black"}, 2, 13900, "Fleet", {-1}},
    {"TRS-8", "TRS8", "Crème linen trousers", 0, {"Sand"}, 1, 9900, "Nordisk", {-1}},
    {"BEAN", "BEAN", "Beanie \"Nordic\"", 1, {"Navy", "Red"}, 2, 2900, "Nordisk", {-1}},
    {"TEE-S",
     "TEES",
     "T-shirt 🙂 print",
     0,
     {"White", "Black", "Yellow"},
     3,
     3500,
     "Fleet",
     {-1}},
    {"PARKA", "PARKA", "Down parka", 0, {"Black"}, 1, 39900, "Fleet", {-1}},
    {"BELT", "BELT", "Leather belt", 1, {"Brown"}, 1, 5900, "Nordisk", {-1}},
    {"OXF-2", "OXF2", "Oxford shoes", 2, {"Brown"}, 1, 21900, "Example", {-1}},
    {"SCARF", "SCARF", "Silk scarf", 1, {"Pink", "Blue"}, 2, 7900, "Example", {-1}},
    {"RAIN", "RAIN", "Rain coat", 0, {"Yellow"}, 1, 14900, "Fleet", {-1}},
    {"TOTE", "TOTE", "Canvas tote & pouch", 1, {"Natural"}, 1, 2500, "Nordisk", {-1}},
    {"B-221", "B-221", "Gift box: mug & socks", 1, {"Box"}, 1, 0, "Example", {3, 5, -1}},
    {"B-300", "B-300", "Outfit bundle", 1, {"Set"}, 1, 0, "Example", {4, 7, -1}},
};
#define NPRODUCTS ((int)(sizeof(products) / sizeof(products[0])))
#define NSINGLE   16 /* products before this index are not bundles */

static const char *const first_names[] = {
    "Åsa", "Björn", "Zoë",    "José",        "Ana-María", "Łukasz",   "Søren",  "Émilie",
    "Kim", "Noah",  "Olivia", "Mats & Lena", "Ülkü",      "François", "Jürgen", "Chloé"};
static const char *const last_names[] = {
    "Öberg",  "Müller",    "O'Brien", "Dubois & Fils", "Nakamura",    "<Smith>",  "Lindqvist 🙂",
    "García", "Andersson", "Černý",   "Ødegaard",      "\"Bo\" Berg", "Svensson", "Nguyễn"};
static const char *const streets[] = {
    "Storgatan 1 & 2",          "Rue de l'Église 5", "Hauptstraße 12", "Kungsgatan 44",
    "Main St. <rear entrance>", "Vasagatan 3, 4 tr", "Ørstedsvej 7"};
static const char *const cities[] = {"Göteborg",  "Malmö",     "Paris",   "Berlin",
                                     "Stockholm", "København", "New York"};
static const char *const messages[] = {"",
                                       "",
                                       "",
                                       "Please deliver before 5pm & ring \"twice\" 📦",
                                       "Leave at the door <back>",
                                       "Gift wrap, please!",
                                       "Portkod 1234#"};
static const char *const plugins[] = {"dibs-window", "klarna-checkout", "adyen-drop-in"};
static const char *const carriers[] = {"UPS", "PostNord", "DHL Express", "Bring"};
static const char *const services[] = {"STANDARD", "EXPRESS", "Parcel & Letter"};

/* --- PRNG ------------------------------------------------------------------------- */

typedef struct Rng {
    uint64_t s; /* splitmix64 state */
} Rng;

static uint64_t
rng_next(Rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform integer in [0, n). */
static int
rng_int(Rng *r, int n)
{
    return (int)(rng_next(r) % (uint64_t)n);
}

static Rng
rng_for(uint64_t seed, uint64_t stream, uint64_t index)
{
    Rng r = {seed * 0x9E3779B97F4A7C15ULL ^ (stream << 48) ^ index};

    (void)rng_next(&r);
    return r;
}

#define PICK(r, array) (array[rng_int((r), (int)(sizeof(array) / sizeof(array[0])))])

static uint8_t order_market(uint64_t seed, uint32_t index);

/* --- the plan ---------------------------------------------------------------------- */

void
gen_plan(uint64_t seed, size_t norder_events, GenPlan *plan)
{
    Rng r = rng_for(seed, 1, 0);
    size_t cap = norder_events + norder_events / 20 + 1;
    uint32_t norders = 0;
    uint32_t others = 0;
    uint32_t repeat_from = 0; /* orders below this index may get a second event */

    memset(plan, 0, sizeof(*plan));
    plan->entries = xcalloc(cap, sizeof(GenEntry));
    plan->last_version = xcalloc(norder_events + 1, sizeof(uint8_t));
    for (size_t i = 0; i < norder_events; i++) {
        GenEntry *e = &plan->entries[plan->n++];

        e->kind = GEN_ORDER;
        /* About one event in ten moves an earlier order on (shipped, confirmed, ...). */
        if (norders > 10 && rng_int(&r, 10) == 0 && repeat_from < norders - 5) {
            e->index = repeat_from++;
            e->version = 2;
        } else {
            e->index = norders++;
            e->version = 1;
        }
        e->market = order_market(seed, e->index);
        plan->last_version[e->index] = e->version;
        if ((i + 1) % 20 == 0) {
            GenEntry *o = &plan->entries[plan->n++];
            static const uint8_t cycle[] = {GEN_CUSTOMER, GEN_ACCOUNT, GEN_INVOICE, GEN_CUSTOMER,
                                            GEN_DELETE};

            o->kind = cycle[others % sizeof(cycle)];
            o->index = others++;
            o->version = 1;
            o->market = (uint8_t)(3 + o->index % 2);
        }
    }
    plan->norders = norders;
}

void
gen_plan_free(GenPlan *plan)
{
    xfree(plan->entries);
    xfree(plan->last_version);
    memset(plan, 0, sizeof(*plan));
}

const char *
gen_event_type(const GenEntry *e)
{
    switch ((GenKind)e->kind) {
    case GEN_ORDER:
        return "order";
    case GEN_CUSTOMER:
    case GEN_DELETE:
        return "customer";
    case GEN_ACCOUNT:
        return "account";
    case GEN_INVOICE:
        return "invoice";
    }
    return "order";
}

const char *
gen_event_mission(const GenEntry *e)
{
    return e->kind == GEN_DELETE ? "delete" : "update";
}

const char *
gen_event_market(const GenEntry *e)
{
    if (e->kind == GEN_ORDER || e->kind == GEN_ACCOUNT)
        return sim_markets[e->market].id;
    return NULL;
}

void
gen_event_entry(uint64_t seed, const GenEntry *e, char *buf, size_t size)
{
    (void)seed;
    switch ((GenKind)e->kind) {
    case GEN_ORDER:
        snprintf(buf, size, "%u", SIM_ORDER_ID_BASE + e->index + 1);
        break;
    case GEN_CUSTOMER:
        snprintf(buf, size, "C%06u", 900000 + e->index);
        break;
    case GEN_DELETE:
        /* Deletes come at index 4, 9, 14, ...: delete the customer queued just before. */
        snprintf(buf, size, "C%06u", 900000 + e->index - 1);
        break;
    case GEN_ACCOUNT:
        snprintf(buf, size, "A%04u", e->index % 400 + 1);
        break;
    case GEN_INVOICE:
        snprintf(buf, size, "INV-%06u", e->index + 1);
        break;
    }
}

/* Seconds since 2026-01-05 08:00:00 UTC for queue position pos. */
static long
position_seconds(size_t pos)
{
    return (long)(pos * 37 % 2000000000UL);
}

static void
format_time(long offset_s, bool iso, int zone_hours, char *buf, size_t size)
{
    /* 2026-01-05 is day 0; months of 2026 from January. */
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    long t = offset_s + 8 * 3600 + zone_hours * 3600;
    long day = 4 + t / 86400;
    long sec = t % 86400;
    int year = 2026;
    int month = 0;

    for (;;) {
        int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        int dim = mdays[month] + (month == 1 && leap);

        if (day < dim)
            break;
        day -= dim;
        if (++month == 12) {
            month = 0;
            year++;
        }
    }
    if (iso)
        snprintf(buf, size, "%04d-%02d-%02dT%02ld:%02ld:%02ld+%02d:00", year, month + 1,
                 (int)day + 1, sec / 3600, sec / 60 % 60, sec % 60, zone_hours);
    else
        snprintf(buf, size, "%04d-%02d-%02d %02ld:%02ld:%02ld", year, month + 1, (int)day + 1,
                 sec / 3600, sec / 60 % 60, sec % 60);
}

void
gen_event_date(uint64_t seed, size_t pos, char *buf, size_t size)
{
    Rng r = rng_for(seed, 3, pos);

    /* Centra's guide shows "2019-03-27 12:52:20" (Stockholm time, no zone) and its
     * reference ISO 8601 with an offset: use both. */
    format_time(position_seconds(pos), rng_int(&r, 5) == 0, 1, buf, size);
}

long
gen_order_index(const GenPlan *plan, const char *order_id)
{
    char *end;
    long v = strtol(order_id, &end, 10);

    if (*order_id == '\0' || *end != '\0' || v <= SIM_ORDER_ID_BASE)
        return -1;
    v -= SIM_ORDER_ID_BASE + 1;
    return v < (long)plan->norders ? v : -1;
}

static uint8_t
order_market(uint64_t seed, uint32_t index)
{
    Rng orng = rng_for(seed, 2, index);

    return (uint8_t)(rng_int(&orng, 4) == 0 ? 3 + rng_int(&orng, 2) : rng_int(&orng, 3));
}

void
gen_order_entry(uint64_t seed, const GenPlan *plan, uint32_t index, GenEntry *e)
{
    e->kind = GEN_ORDER;
    e->index = index;
    e->version = plan->last_version[index];
    e->market = order_market(seed, index);
}

/* --- money ------------------------------------------------------------------------ */

static void
cents_text(long long cents, char *buf, size_t size)
{
    char tmp[32];
    char *p = tmp + sizeof(tmp);
    unsigned long long u = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
    int digits = 0;

    /* By hand: the generator formats millions of amounts per benchmark run. */
    *--p = '\0';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
        if (++digits == 2)
            *--p = '.';
    } while (u != 0 || digits < 3);
    if (cents < 0)
        *--p = '-';
    if ((size_t)(tmp + sizeof(tmp) - p) <= size)
        memcpy(buf, p, (size_t)(tmp + sizeof(tmp) - p));
    else if (size > 0)
        buf[0] = '\0';
}

/* An amount with two decimals, as the guide's <ordertotal>1135.00</ordertotal>. */
static void
leaf_cents(XmlWriter *w, const char *name, long long cents)
{
    char buf[32];

    cents_text(cents, buf, sizeof(buf));
    xw_leaf(w, name, buf);
}

void
gen_plain_amount(char *text)
{
    size_t n = strlen(text);

    if (n >= 3 && text[n - 1] == '0')
        text[text[n - 2] == '0' ? n - 3 : n - 1] = '\0';
    if (strcmp(text, "-0") == 0)
        memcpy(text, "0", 2);
}

/* An amount as a plain number (gen_plain_amount), as the guide prints <subtotal> and others. */
static void
leaf_number(XmlWriter *w, const char *name, long long cents)
{
    char buf[32];

    cents_text(cents, buf, sizeof(buf));
    gen_plain_amount(buf);
    xw_leaf(w, name, buf);
}

static void
leaf_int(XmlWriter *w, const char *name, long long v)
{
    xw_leafi(w, name, v);
}

static void
id_desc(XmlWriter *w, const char *name, const char *id, const char *desc)
{
    xw_open(w, name);
    xw_leaf(w, "id", id);
    if (desc != NULL)
        xw_leaf(w, "description", desc);
    xw_close(w, name);
}

/* --- orders ------------------------------------------------------------------------ */

#define MAX_LINES   20 /* order lines (orderitems) of an order: issue 3's "1-20 lines" */
#define MAX_ENTRIES 24 /* <product> elements: at most 12 + 1 repeated + 3 of a bundle */
#define MAX_SIZES   3

typedef struct GenSize {
    int size;      /* index into the sizetable */
    int qty;       /* ordered (after cancellation) */
    int cancelled; /* cancelled */
    int orderitem; /* order line id */
    bool preorder; /* preorder line */
    int split;     /* units from the second warehouse */
    int warehouse; /* index of the main warehouse */
} GenSize;

typedef struct GenProductEntry {
    int product;         /* catalog index */
    int variant;         /* variant index */
    long long price;     /* unit price, cents */
    long long origprice; /* before discount */
    GenSize sizes[MAX_SIZES];
    int nsizes;
    int bundle;            /* 0 none, 1 virtual bundle, 2 part */
    const char *bundle_of; /* part: the bundle product id */
} GenProductEntry;

typedef struct GenOrder {
    Rng r;                                /* the order's PRNG */
    uint32_t index;                       /* order index */
    int version;                          /* 1 or 2 */
    const SimMarket *m;                   /* market */
    bool wholesale;                       /* market type */
    char id[16];                          /* order id */
    char created[40];                     /* ISO date */
    GenProductEntry entries[MAX_ENTRIES]; /* products */
    int nentries;
    int scenario;         /* see write_order */
    long long shipping;   /* shipping cost, cents */
    long long voucher;    /* voucher (negative) */
    long long handling;   /* handling fee (gift wrapping), cents; 0 for none */
    char shipping_key[8]; /* retail <shipping><key>: the currency, lower case ("eur") */
    const char *first;    /* customer or buyer */
    const char *last;
    const char *street;
    const char *city;
    const char *message;
    int customer; /* customer number */
    int account;  /* wholesale account number */
    const char *plugin;
    const char *carrier;
    const char *service;
    bool shipwallet; /* additionals present */
    bool collection; /* collection present */
} GenOrder;

static long long
market_price(const SimMarket *m, long long eur_cents)
{
    long long v = eur_cents * m->price_percent / 100;

    return v - v % 100 + (v % 100 >= 50 ? 100 : 0); /* whole units */
}

/* Order lines so far. */
static int
order_lines(const GenOrder *o)
{
    int n = 0;

    for (int i = 0; i < o->nentries; i++)
        n += o->entries[i].nsizes;
    return n;
}

/*
 * Add a product line with up to room sizes (at least one: the caller leaves
 * room).  A virtual bundle (bundle 1) is not a product in a warehouse (the
 * guide's bundle example): it has one size and is never a preorder.
 */
static void
add_entry(GenOrder *o, int product, int variant, int bundle, const char *bundle_of, int room)
{
    GenProductEntry *e;
    const GenProduct *p = &products[product];
    const GenSizetable *st = &sizetables[p->sizetable];
    int want;

    if (o->nentries >= MAX_ENTRIES || room <= 0)
        return;
    e = &o->entries[o->nentries++];
    memset(e, 0, sizeof(*e));
    e->product = product;
    e->variant = variant;
    e->bundle = bundle;
    e->bundle_of = bundle_of;
    e->price = market_price(o->m, p->price);
    e->origprice = e->price;
    if (bundle == 0 && rng_int(&o->r, 8) == 0) {
        e->origprice = e->price;
        e->price = e->price * 80 / 100; /* 20 % off */
    }
    want = bundle != 0 ? 1 : 1 + rng_int(&o->r, st->n < MAX_SIZES ? st->n : MAX_SIZES);
    if (want > room)
        want = room;
    for (int k = 0; k < want; k++) {
        GenSize *s = &e->sizes[e->nsizes];
        int size = st->n == 1 ? 0 : rng_int(&o->r, st->n);
        bool dup = false;

        for (int j = 0; j < e->nsizes; j++)
            dup |= e->sizes[j].size == size;
        if (dup)
            continue;
        s->size = size;
        s->qty = bundle != 0 ? 1 : 1 + rng_int(&o->r, o->wholesale ? 12 : 3);
        s->preorder = bundle != 1 && rng_int(&o->r, 20) == 0;
        s->warehouse = 0;
        s->split = s->qty > 1 && rng_int(&o->r, 6) == 0 ? 1 : 0;
        e->nsizes++;
    }
}

static void
number_orderitems(GenOrder *o)
{
    int next = (int)(o->index + 1) * 100 + 1;

    for (int i = 0; i < o->nentries; i++)
        for (int k = 0; k < o->entries[i].nsizes; k++)
            o->entries[i].sizes[k].orderitem = next++;
}

/* Lines of a bundle on an order: its parts and the virtual bundle itself. */
static int
bundle_lines(int b)
{
    int n = 1;

    while (products[b].parts[n - 1] >= 0)
        n++;
    return n;
}

static void
build_order(GenOrder *o, uint64_t seed, uint32_t index, int version, int market)
{
    int nproducts;
    bool repeat;
    int bundle = -1;
    int reserved;

    memset(o, 0, sizeof(*o));
    o->r = rng_for(seed, 4, index);
    o->index = index;
    o->version = version;
    o->m = &sim_markets[market];
    o->wholesale = strcmp(o->m->type, "wholesale") == 0;
    snprintf(o->id, sizeof(o->id), "%u", SIM_ORDER_ID_BASE + index + 1);
    /* Placed before its first event (at queue position >= index, 37 s apart). */
    format_time((long)index * 30, true, 1, o->created, sizeof(o->created));
    o->first = PICK(&o->r, first_names);
    o->last = PICK(&o->r, last_names);
    o->street = PICK(&o->r, streets);
    o->city = PICK(&o->r, cities);
    o->message = PICK(&o->r, messages);
    o->customer = 1 + rng_int(&o->r, 5000);
    o->account = 1 + rng_int(&o->r, 400);
    o->plugin = PICK(&o->r, plugins);
    o->carrier = PICK(&o->r, carriers);
    o->service = PICK(&o->r, services);
    o->shipwallet = !o->wholesale && rng_int(&o->r, 5) == 0;
    o->collection = rng_int(&o->r, 4) == 0;
    o->scenario = rng_int(&o->r, 100);
    o->shipping = o->wholesale ? market_price(o->m, 12300) : market_price(o->m, 500);
    o->voucher = rng_int(&o->r, 10) == 0 ? -market_price(o->m, 1000) : 0;
    for (size_t i = 0; i < 3 && o->m->currency[i] != '\0'; i++)
        o->shipping_key[i] = (char)(o->m->currency[i] | 0x20);
    /* Gift wrapping is charged as the order's <handling>. */
    if (!o->wholesale && strcmp(o->message, "Gift wrap, please!") == 0)
        o->handling = market_price(o->m, 300);

    /* One wholesale order in eight is a season's restock: many products, up to the cap. */
    nproducts =
        o->wholesale && rng_int(&o->r, 8) == 0 ? 7 + rng_int(&o->r, 6) : 1 + rng_int(&o->r, 6);
    repeat = rng_int(&o->r, 12) == 0;
    if (rng_int(&o->r, 8) == 0)
        bundle = NSINGLE + rng_int(&o->r, NPRODUCTS - NSINGLE);
    /* At most MAX_LINES lines: the repeated size and the bundle have theirs kept free. */
    reserved = (repeat ? 1 : 0) + (bundle >= 0 ? bundle_lines(bundle) : 0);
    for (int i = 0; i < nproducts; i++) {
        int p = rng_int(&o->r, NSINGLE);
        int v = rng_int(&o->r, products[p].ncolors);

        add_entry(o, p, v, 0, NULL, MAX_LINES - reserved - order_lines(o));
    }
    /* The same size twice, on two order lines (e.g. one of them discounted). */
    if (repeat && o->nentries < MAX_ENTRIES) {
        GenProductEntry *src = &o->entries[0];
        GenProductEntry *e = &o->entries[o->nentries++];

        *e = *src;
        e->nsizes = 1;
        e->sizes[0].qty = 1;
        e->sizes[0].split = 0;
        e->price = e->origprice * 90 / 100;
    }
    /* A bundle: the virtual bundle product and its parts. */
    if (bundle >= 0) {
        for (int k = 0; products[bundle].parts[k] >= 0; k++)
            add_entry(o, products[bundle].parts[k], 0, 2, products[bundle].id, 1);
        add_entry(o, bundle, 0, 1, NULL, 1);
    }
    number_orderitems(o);
    /* Retail scenario 90-99: part of the first line was cancelled. */
    if (!o->wholesale && o->scenario >= 90 && o->entries[0].sizes[0].qty > 1) {
        o->entries[0].sizes[0].cancelled = 1;
        o->entries[0].sizes[0].qty -= 1;
    }
}

static long long
entry_qty(const GenProductEntry *e)
{
    long long q = 0;

    for (int k = 0; k < e->nsizes; k++)
        q += e->sizes[k].qty;
    return q;
}

static long long
order_goods(const GenOrder *o)
{
    long long sum = 0;

    for (int i = 0; i < o->nentries; i++)
        if (o->entries[i].bundle != 1)
            sum += o->entries[i].price * entry_qty(&o->entries[i]);
    return sum;
}

static void
variant_id(const GenProduct *p, int variant, char *buf, size_t size)
{
    char upper[32];
    size_t i = 0;

    for (const char *c = p->colors[variant]; *c != '\0' && i + 1 < sizeof(upper); c++)
        upper[i++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    upper[i] = '\0';
    if (p->ncolors == 1 && strcmp(p->id, "PWC") == 0)
        snprintf(buf, size, "%s", p->id);
    else
        snprintf(buf, size, "%s_%s", p->id, upper);
}

/*
 * Write one <product> of an order, with the given quantity of each of its
 * sizes (qty NULL: the entry's own), and stock details only for the order
 * itself (not in shipments and refunds, as in the guide's DTC event).  A
 * virtual bundle has its <warehouseitems> empty: it is "not a product in a
 * warehouse" (the guide's bundle example); its parts are allocated.
 */
static void
write_product(XmlWriter *w, const GenOrder *o, const GenProductEntry *e, const int *qty, bool full)
{
    const GenProduct *p = &products[e->product];
    const GenSizetable *st = &sizetables[p->sizetable];
    char vid[48];
    long long total = 0;

    for (int k = 0; k < e->nsizes; k++)
        total += qty != NULL ? qty[k] : e->sizes[k].qty;
    variant_id(p, e->variant, vid, sizeof(vid));
    xw_open(w, "product");
    xw_leaf(w, "id", p->id);
    xw_leaff(w, "tax", "%d.%03d", o->m->tax_permille / 1000, o->m->tax_permille % 1000);
    xw_leaf(w, "sku", p->sku);
    leaf_cents(w, "origprice", e->bundle == 1 ? 0 : e->origprice);
    leaf_cents(w, "price", e->bundle == 1 ? 0 : e->price);
    leaf_number(w, "discount", e->bundle == 1 ? 0 : e->origprice - e->price);
    leaf_int(w, "qty", total);
    leaf_number(w, "subtotal", e->bundle == 1 ? 0 : e->price * total);
    xw_leaf(w, "description", p->name);
    id_desc(w, "variation", vid, p->colors[e->variant]);
    id_desc(w, "brand", p->brand, strcmp(p->brand, "Example") == 0 ? "Example Brand" : p->brand);
    xw_open(w, "sizes");
    for (int k = 0; k < e->nsizes; k++) {
        const GenSize *s = &e->sizes[k];
        int q = qty != NULL ? qty[k] : s->qty;

        if (q <= 0 && qty != NULL)
            continue;
        xw_open(w, "size");
        xw_leaf(w, "id", st->sizes[s->size]);
        xw_leaf(w, "sku", st->skus[s->size]);
        leaf_int(w, "qty", q);
        xw_leaf(w, "preorder", s->preorder ? "yes" : "no");
        xw_leaf(w, "description", st->names[s->size]);
        xw_open(w, "orderitem");
        leaf_int(w, "id", s->orderitem);
        xw_close(w, "orderitem");
        if (full && e->bundle == 1) {
            xw_leaf(w, "warehouseitems", NULL);
            xw_leaf(w, "supplierorderitems", NULL);
        } else if (full) {
            xw_open(w, "warehouseitems");
            xw_open(w, "warehouse");
            xw_leaf(w, "id", sim_warehouses[s->warehouse]);
            leaf_int(w, "qty", q - s->split);
            xw_close(w, "warehouse");
            if (s->split > 0) {
                xw_open(w, "warehouse");
                /* OtherWarehouse or Göteborg-Lager: every warehouse gets used. */
                xw_leaf(w, "id", sim_warehouses[1 + s->orderitem % 2]);
                leaf_int(w, "qty", s->split);
                xw_close(w, "warehouse");
            }
            xw_close(w, "warehouseitems");
            if (s->preorder) {
                xw_open(w, "supplierorderitems");
                xw_open(w, "supplierorder");
                xw_leaff(w, "id", "SO-%u", o->index % 97 + 1);
                leaf_int(w, "qty", q);
                xw_leaf(w, "eta", "2026-03-01");
                xw_close(w, "supplierorder");
                xw_close(w, "supplierorderitems");
            } else {
                xw_leaf(w, "supplierorderitems", NULL);
            }
        }
        xw_close(w, "size");
    }
    xw_close(w, "sizes");
    xw_leaf(w, "comment", NULL);
    if (e->bundle != 0) {
        xw_open(w, "bundleinfo");
        xw_leaf(w, "isbundle", e->bundle == 1 ? "true" : "false");
        if (e->bundle == 2) {
            xw_open(w, "partof");
            xw_open(w, "product");
            xw_leaf(w, "id", e->bundle_of);
            xw_close(w, "product");
            xw_close(w, "partof");
        }
        xw_close(w, "bundleinfo");
    }
    xw_close(w, "product");
}

static void
write_address(XmlWriter *w, const char *name, const GenOrder *o, bool billing)
{
    char email[96];
    size_t n = 0;

    /* An ASCII e-mail address made from the name. */
    for (const char *c = o->first; *c != '\0' && n < 20; c++)
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
            email[n++] = (char)(*c | 32);
    snprintf(email + n, sizeof(email) - n, ".%u@example.com", o->index + 1);
    xw_open(w, name);
    if (o->wholesale) {
        xw_leaf(w, "company", billing ? "Example Billing AB" : "Example Warehouse & Co");
        xw_leaff(w, "attn", "%s %s", o->first, o->last);
    } else {
        xw_leaf(w, "firstname", o->first);
        xw_leaf(w, "lastname", o->last);
    }
    xw_leaf(w, "address1", o->street);
    xw_leaf(w, "address2", NULL);
    xw_leaf(w, "city", o->city);
    xw_leaf(w, "state", NULL);
    xw_leaff(w, "zipcode", "%05u", 10000 + o->index % 89999);
    xw_leaf(w, "country", o->m->country);
    xw_leaf(w, "email", email);
    xw_leaff(w, "telephone", "+46 70 %03u %02u %02u", o->index % 1000, o->index % 97,
             o->index % 89);
    if (o->wholesale)
        xw_leaf(w, "fax", NULL);
    xw_close(w, name);
}

/*
 * A <shipping>, <handling>, <voucher> or <returnfee> block.  The guide's
 * DTC event prints <handling><subtotal>0.00</subtotal> but <shipping> and
 * <voucher> subtotals as plain numbers ("12", "0"): so do we.
 */
static void
write_cost(XmlWriter *w, const char *name, long long cents, const char *desc, const char *key)
{
    xw_open(w, name);
    if (strcmp(name, "handling") == 0)
        leaf_cents(w, "subtotal", cents);
    else
        leaf_number(w, "subtotal", cents);
    if (desc != NULL) {
        xw_leaf(w, "description", desc);
        xw_leaf(w, "key", key);
    }
    xw_close(w, name);
}

/* Shipment layout of a retail order: which sizes go in shipment 1 and 2. */
typedef struct GenShipPlan {
    int nshipments;  /* 0, 1 or 2 */
    bool shipped[2]; /* per shipment */
    bool refund;     /* shipment 1 has a refund */
} GenShipPlan;

static GenShipPlan
ship_plan(const GenOrder *o)
{
    GenShipPlan sp = {0, {false, false}, false};

    if (o->wholesale) {
        if (o->version == 2 && o->scenario < 30) {
            sp.nshipments = 1;
        }
        return sp;
    }
    if (o->scenario >= 30 && o->scenario < 65) {
        sp.nshipments = 1; /* Centra created it on payment ("Direct to Shipment") */
        sp.shipped[0] = o->version == 2;
    } else if (o->scenario >= 65 && o->scenario < 80) {
        sp.nshipments = 2; /* partial shipments */
        sp.shipped[0] = true;
        sp.shipped[1] = o->version == 2;
    } else if (o->scenario >= 80 && o->scenario < 90) {
        sp.nshipments = 1;
        sp.shipped[0] = true;
        sp.refund = true;
    }
    return sp;
}

/* Whether entry i (not a virtual bundle) goes into shipment s of a two-way split. */
static bool
in_shipment(const GenShipPlan *sp, int i, int s)
{
    if (sp->nshipments == 1)
        return s == 0;
    return (i % 2) == s;
}

static long long
shipment_goods(const GenOrder *o, const GenShipPlan *sp, int s)
{
    long long sum = 0;

    for (int i = 0; i < o->nentries; i++)
        if (o->entries[i].bundle != 1 && in_shipment(sp, i, s))
            sum += o->entries[i].price * entry_qty(&o->entries[i]);
    return sum;
}

/* Shipment s's total: its goods, and the order's costs on the first one. */
static long long
shipment_total(const GenOrder *o, const GenShipPlan *sp, int s)
{
    long long total = shipment_goods(o, sp, s);

    if (s == 0)
        total += o->shipping + o->handling + o->voucher;
    return total;
}

/*
 * Whether shipment s is paid: a retail (card) shipment once shipped, since
 * shipping captures the authorized payment (the guide's "Order Shipped");
 * until then it is <paid>no</paid>, <paidtotal>0.00</paidtotal> as in the
 * guide's DTC event.  Wholesale orders are paid by invoice, not here.
 */
static bool
shipment_paid(const GenOrder *o, const GenShipPlan *sp, int s)
{
    return !o->wholesale && sp->shipped[s];
}

static void
write_shipment(XmlWriter *w, const GenOrder *o, const GenShipPlan *sp, int s)
{
    long long total = shipment_total(o, sp, s);
    long long shipping = s == 0 ? o->shipping : 0;
    bool shipped = sp->shipped[s];
    bool paid = shipment_paid(o, sp, s);
    char id[48];
    char tracking[32];

    if (o->wholesale)
        snprintf(id, sizeof(id), "shipment-%s-%d", o->id, s + 1);
    else
        snprintf(id, sizeof(id), "%u", (o->index + 1) * 3 + (unsigned)s);
    snprintf(tracking, sizeof(tracking), "1Z%08u%02d", o->index * 7 + 11, s + 1);
    xw_open(w, "shipment");
    xw_leaf(w, "id", id);
    xw_leaf(w, "paid", paid ? "yes" : "no");
    xw_leaf(w, "shipped", shipped ? "yes" : "no");
    xw_leaf(w, "goodtogo", "yes");
    leaf_int(w, "appendix", s + 1);
    leaf_cents(w, "shipmenttotal", total);
    leaf_cents(w, "paidtotal", paid ? total : 0);
    xw_leaf(w, "currency", o->m->currency);
    xw_leaf(w, "currencyrate", o->m->currency_rate);
    xw_leaf(w, "basecurrency", "SEK");
    xw_leaf(w, "created", o->created);
    write_address(w, "shippingaddress", o, false);
    xw_open(w, "carrierinformation");
    xw_leaf(w, "carrier", shipped ? o->carrier : NULL);
    xw_leaf(w, "service", shipped ? o->service : NULL);
    xw_leaf(w, "tracking", shipped ? tracking : NULL);
    leaf_int(w, "packages", shipped ? 1 : 0);
    xw_close(w, "carrierinformation");
    xw_open(w, "products");
    for (int i = 0; i < o->nentries; i++)
        if (o->entries[i].bundle != 1 && in_shipment(sp, i, s))
            write_product(w, o, &o->entries[i], NULL, false);
    xw_close(w, "products");
    if (sp->refund && s == 0) {
        const GenProductEntry *e = &o->entries[0];
        int qty[MAX_SIZES] = {0};

        qty[0] = 1;
        xw_open(w, "refunds");
        xw_open(w, "refund");
        xw_leaff(w, "id", "R%u", o->index + 1);
        write_cost(w, "shipping", 0, NULL, NULL);
        xw_open(w, "products");
        write_product(w, o, e, qty, false);
        xw_close(w, "products");
        xw_leaf(w, "comment", "Too small & wrong colour");
        write_cost(w, "returnfee", -market_price(o->m, 500), NULL, NULL);
        xw_leaf(w, "status", "confirmed");
        xw_close(w, "refund");
        xw_close(w, "refunds");
    } else {
        xw_leaf(w, "refunds", NULL);
    }
    write_cost(w, "shipping", shipping, NULL, NULL);
    write_cost(w, "handling", s == 0 ? o->handling : 0, NULL, NULL);
    write_cost(w, "voucher", s == 0 ? o->voucher : 0, NULL, NULL);
    xw_close(w, "shipment");
}

/*
 * The payments: wholesale by invoice (nothing captured here); retail an
 * authorization of the order total, then one capture per paid shipment, of
 * its total, so that the payments' <total> is what the shipments'
 * <paidtotal> add up to.  "success" once something is captured, as
 * centra-sim's orders_Update capture=yes does (sim_update.c).
 */
static void
write_payments(XmlWriter *w, const GenOrder *o, const GenShipPlan *sp, long long total)
{
    long long captured = 0;
    int ncaptures = 0;
    char date[40];

    xw_open(w, "payments");
    if (o->wholesale) {
        xw_leaf(w, "type", "inv");
        leaf_int(w, "total", 0);
        xw_leaf(w, "status", "incomplete");
        xw_leaf(w, "method", NULL);
        xw_close(w, "payments");
        return;
    }
    for (int s = 0; s < sp->nshipments; s++)
        if (shipment_paid(o, sp, s)) {
            captured += shipment_total(o, sp, s);
            ncaptures++;
        }
    xw_leaf(w, "name", o->plugin);
    xw_leaf(w, "type", "cc");
    leaf_number(w, "total", captured);
    xw_leaf(w, "status", ncaptures > 0 ? "success" : "incomplete");
    xw_leaf(w, "method", "visa");
    xw_open(w, "payment");
    xw_leaf(w, "type", "auth");
    leaf_number(w, "value", total);
    xw_leaf(w, "created", o->created);
    xw_leaff(w, "transaction", "%u", 2404544843U + o->index);
    xw_close(w, "payment");
    for (int s = 0; s < sp->nshipments; s++) {
        if (!shipment_paid(o, sp, s))
            continue;
        format_time((long)o->index * 30 + 3600 * (s + 1), true, 1, date, sizeof(date));
        xw_open(w, "payment");
        xw_leaf(w, "type", "capture");
        leaf_number(w, "value", shipment_total(o, sp, s));
        xw_leaf(w, "created", date);
        xw_leaff(w, "transaction", "%u", 3404544843U + o->index * 2U + (unsigned)s);
        xw_close(w, "payment");
    }
    xw_close(w, "payments");
}

static const char *
order_status(const GenOrder *o, const GenShipPlan *sp)
{
    if (o->wholesale)
        return o->version == 2 ? "confirmed" : "pending";
    if (sp->nshipments > 0 && sp->shipped[0] && (sp->nshipments == 1 || sp->shipped[1]))
        return "completed";
    return o->version == 2 ? "processing" : (o->scenario < 30 ? "pending" : "processing");
}

static void
write_order(XmlWriter *w, const GenOrder *o)
{
    GenShipPlan sp = ship_plan(o);
    long long goods = order_goods(o);
    long long total = goods + o->shipping + o->handling + o->voucher;

    /* Children in REF's order (see the file comment). */
    xw_open(w, "order");
    xw_leaf(w, "id", o->id);
    xw_leaf(w, "ordernumber", o->id);
    xw_leaf(w, "type", o->m->type);
    leaf_int(w, "store", o->m->store);
    if (o->version == 2)
        xw_leaf(w, "locked", "yes");
    xw_leaf(w, "status", order_status(o, &sp));
    leaf_cents(w, "ordertotal", total);
    xw_leaf(w, "currency", o->m->currency);
    xw_leaf(w, "currencyrate", o->m->currency_rate);
    xw_leaf(w, "basecurrency", "SEK");
    xw_leaf(w, "created", o->created);
    xw_leaf(w, "internal", "false");
    xw_leaf(w, "preferred_shipping_date", NULL);
    if (o->wholesale) {
        char buyer[32];

        snprintf(buyer, sizeof(buyer), "A%04d_buyer1", o->account);
        xw_open(w, "buyer");
        xw_leaf(w, "id", buyer);
        xw_leaf(w, "firstname", o->first);
        xw_leaf(w, "lastname", o->last);
        xw_leaff(w, "email", "buyer%d@example.com", o->account);
        xw_close(w, "buyer");
        if (o->scenario % 3 == 0) {
            xw_open(w, "salesrep");
            xw_leaf(w, "id", "SR-7");
            xw_leaf(w, "email", "sales.rep@example.com");
            xw_leaf(w, "name", "Märta Säljare");
            xw_leaf(w, "percent", "5.00");
            xw_close(w, "salesrep");
        } else {
            xw_leaf(w, "salesrep", NULL);
        }
        xw_open(w, "account");
        xw_leaff(w, "id", "A%04d", o->account);
        xw_close(w, "account");
        id_desc(w, "paymentterms", "30NET", "30 Days");
        id_desc(w, "shippingterms", "DDU", "Delivered Duty Unpaid");
    }
    if (o->collection)
        id_desc(w, "collection", "XMAS", "X-Mas");
    if (o->shipwallet) {
        xw_open(w, "additionals");
        xw_open(w, "additional");
        xw_leaf(w, "key", "shipwallet_deliverytime");
        xw_leaf(w, "value", "2026-01-10 08:00-12:00");
        xw_close(w, "additional");
        xw_open(w, "additional");
        xw_leaf(w, "key", "shipwallet_doorcode");
        xw_leaf(w, "value", "1234#");
        xw_close(w, "additional");
        xw_close(w, "additionals");
    }
    xw_open(w, "primary_warehouse");
    xw_open(w, "warehouse");
    xw_leaf(w, "id", sim_warehouses[0]);
    xw_close(w, "warehouse");
    xw_close(w, "primary_warehouse");
    write_cost(w, "shipping", o->shipping, o->m->name, o->wholesale ? "" : o->shipping_key);
    if (o->handling != 0)
        write_cost(w, "handling", o->handling, "Gift wrapping", "giftwrap");
    if (o->voucher != 0)
        write_cost(w, "voucher", o->voucher, "WELCOME10 & friends", "welcome10");
    write_payments(w, o, &sp, total);
    xw_open(w, "products");
    for (int i = 0; i < o->nentries; i++)
        write_product(w, o, &o->entries[i], NULL, true);
    xw_close(w, "products");
    if (o->entries[0].sizes[0].cancelled > 0) {
        int qty[MAX_SIZES] = {0};

        qty[0] = o->entries[0].sizes[0].cancelled;
        xw_open(w, "cancelled");
        write_product(w, o, &o->entries[0], qty, false);
        xw_close(w, "cancelled");
    } else {
        xw_leaf(w, "cancelled", NULL);
    }
    if (sp.nshipments == 0) {
        xw_leaf(w, "shipments", NULL);
    } else {
        xw_open(w, "shipments");
        for (int s = 0; s < sp.nshipments; s++)
            write_shipment(w, o, &sp, s);
        xw_close(w, "shipments");
    }
    xw_open(w, "carrierinformation");
    xw_leaf(w, "carrier", NULL);
    xw_leaf(w, "service", NULL);
    xw_leaf(w, "account", NULL);
    xw_leaf(w, "taxid", NULL);
    xw_close(w, "carrierinformation");
    if (!o->wholesale) {
        xw_open(w, "customer");
        xw_leaff(w, "id", "C%06d", o->customer);
        xw_close(w, "customer");
    }
    write_address(w, "shippingaddress", o, false);
    write_address(w, "billingaddress", o, true);
    xw_leaf(w, "internalinformation", NULL);
    xw_leaf(w, "other", o->message);
    if (o->wholesale)
        xw_leaff(w, "ponumber", "PO-%u", o->index + 1);
    id_desc(w, "market", o->m->id, o->m->name);
    id_desc(w, "pricelist", o->m->pricelist, o->m->pricelist_name);
    if (o->wholesale)
        xw_leaf(w, "ecvatno", strcmp(o->m->currency, "EUR") == 0 ? "FR40303265045" : NULL);
    xw_close(w, "order");
}

/* --- other objects -------------------------------------------------------------------- */

static void
write_customer(XmlWriter *w, uint64_t seed, uint32_t index)
{
    Rng r = rng_for(seed, 5, index);

    xw_open(w, "customer");
    xw_leaff(w, "id", "C%06u", 900000 + index);
    leaf_int(w, "store", 1);
    xw_leaf(w, "type", "retail");
    xw_leaf(w, "status", "active");
    xw_leaf(w, "firstname", PICK(&r, first_names));
    xw_leaf(w, "lastname", PICK(&r, last_names));
    xw_leaf(w, "address1", PICK(&r, streets));
    xw_leaf(w, "address2", NULL);
    xw_leaf(w, "city", PICK(&r, cities));
    xw_leaf(w, "state", NULL);
    xw_leaff(w, "zipcode", "%05u", 11000 + index % 80000);
    xw_leaf(w, "country", "SE");
    xw_leaff(w, "email", "customer%u@example.com", 900000 + index);
    xw_leaf(w, "telephone", "+46 8 123 45 67");
    xw_close(w, "customer");
}

static void
write_account(XmlWriter *w, uint64_t seed, const GenEntry *e)
{
    Rng r = rng_for(seed, 6, e->index);
    const SimMarket *m = &sim_markets[e->market];
    unsigned n = e->index % 400 + 1;

    xw_open(w, "account");
    xw_leaff(w, "id", "A%04u", n);
    xw_leaf(w, "type", "wholesale");
    xw_leaf(w, "status", "active");
    xw_leaff(w, "description", "%s Handel & Co", PICK(&r, last_names));
    xw_open(w, "market");
    xw_leaf(w, "id", m->id);
    xw_close(w, "market");
    xw_open(w, "pricelist");
    xw_leaf(w, "id", m->pricelist);
    xw_close(w, "pricelist");
    xw_leaf(w, "creditlimit", "50000.00"); /* before the terms, as in REF */
    id_desc(w, "paymentterms", "30NET", NULL);
    id_desc(w, "shippingterms", "DDU", NULL);
    xw_open(w, "buyers");
    xw_open(w, "buyer");
    xw_leaff(w, "id", "A%04u_buyer1", n);
    leaf_int(w, "store", 2);
    xw_leaf(w, "status", "active");
    xw_leaf(w, "firstname", PICK(&r, first_names));
    xw_leaf(w, "lastname", PICK(&r, last_names));
    xw_leaff(w, "email", "buyer%u@example.com", n);
    xw_close(w, "buyer");
    xw_close(w, "buyers");
    xw_close(w, "account");
}

static void
write_invoice(XmlWriter *w, uint64_t seed, uint32_t index)
{
    Rng r = rng_for(seed, 7, index);
    long long total = market_price(&sim_markets[3], 12300) * (1 + rng_int(&r, 5));

    xw_open(w, "invoice");
    xw_leaff(w, "id", "INV-%06u", index + 1);
    leaf_int(w, "store", 2);
    xw_leaf(w, "status", "open");
    xw_leaff(w, "serialno", "%u", 5000 + index);
    xw_leaf(w, "documenttype", "invoice");
    xw_leaf(w, "currency", "EUR");
    leaf_cents(w, "total", total);
    leaf_cents(w, "vat", 0);
    leaf_cents(w, "totalpaid", 0);
    xw_leaf(w, "invoicedate", "2026-01-20");
    xw_leaf(w, "duedate", "2026-02-19");
    /*
     * An order queued before: invoice k follows order event 20(k + 1), and at
     * most half the order events are second events, so order 10k exists.
     */
    xw_open(w, "order");
    xw_leaff(w, "id", "%u", SIM_ORDER_ID_BASE + index * 10 + 1);
    xw_close(w, "order");
    xw_close(w, "invoice");
}

void
gen_write_object(XmlWriter *w, uint64_t seed, const GenEntry *e)
{
    GenOrder *o;

    switch ((GenKind)e->kind) {
    case GEN_ORDER:
        o = xmalloc(sizeof(GenOrder));
        build_order(o, seed, e->index, e->version, e->market);
        write_order(w, o);
        xfree(o);
        break;
    case GEN_CUSTOMER:
        write_customer(w, seed, e->index);
        break;
    case GEN_ACCOUNT:
        write_account(w, seed, e);
        break;
    case GEN_INVOICE:
        write_invoice(w, seed, e->index);
        break;
    case GEN_DELETE:
        break;
    }
}

/* --- the catalog --------------------------------------------------------------------- */

void
gen_catalog(void (*fn)(const char *type, const char *id, XmlNode *obj, void *arg), void *arg)
{
    /* The warehouses orders allocate from exist: stock for them creates none. */
    for (size_t w = 0; w < sim_nwarehouses; w++) {
        XmlNode *n = xml_new("warehouse", NULL);

        xml_add(n, "id", sim_warehouses[w]);
        xml_add(n, "description", sim_warehouses[w]);
        fn("warehouse", sim_warehouses[w], n, arg);
    }
    for (size_t t = 0; t < sizeof(sizetables) / sizeof(sizetables[0]); t++) {
        const GenSizetable *st = &sizetables[t];
        XmlNode *n = xml_new("sizetable", NULL);
        XmlNode *sizes;

        xml_add(n, "id", st->id);
        xml_add(n, "description", st->description);
        sizes = xml_add(n, "sizes", NULL);
        for (int k = 0; k < st->n; k++) {
            XmlNode *s = xml_add(sizes, "size", NULL);

            xml_add(s, "id", st->sizes[k]);
            xml_add(s, "description", st->names[k]);
        }
        fn("sizetable", st->id, n, arg);
    }
    for (int i = 0; i < NPRODUCTS; i++) {
        const GenProduct *p = &products[i];
        const GenSizetable *st = &sizetables[p->sizetable];
        XmlNode *n = xml_new("product", NULL);
        XmlNode *vars;

        xml_add(n, "id", p->id);
        xml_add(n, "status", "active");
        xml_add(n, "sku", p->sku);
        xml_add(n, "description", p->name);
        vars = xml_add(n, "variations", NULL);
        for (int v = 0; v < p->ncolors; v++) {
            XmlNode *var = xml_add(vars, "variation", NULL);
            XmlNode *sizes;
            char vid[48];

            variant_id(p, v, vid, sizeof(vid));
            xml_add(var, "id", vid);
            xml_add(var, "stockid", vid);
            xml_add(var, "description", p->colors[v]);
            xml_add(var, "status", "active");
            xml_add(xml_add(var, "sizetable", NULL), "id", st->id);
            sizes = xml_add(var, "sizes", NULL);
            for (int k = 0; k < st->n; k++) {
                XmlNode *s = xml_add(sizes, "size", NULL);

                xml_add(s, "id", st->sizes[k]);
                xml_add(s, "sku", st->skus[k]);
            }
        }
        fn("product", p->id, n, arg);
    }
}
