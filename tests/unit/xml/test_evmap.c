/*
 * tests/unit/xml/test_evmap.c
 *     The mapping tables of Centra's order events (kinds, fields, record
 *     roots) and the normalisation of leaf values.
 */
#include "centra/evmap.h"

#include <string.h>

#include "testutil.h"

#define PARSER_MAX_FIELDS 160 /* MAX_FIELDS of src/xml/eventparser.c */

/* --- tables ------------------------------------------------------------------------------ */

START_TEST(every_kind_has_its_definition_and_nothing_else_has_one)
{
    static const char *const names[EVK_COUNT_] = {
        [EVK_EVENT] = "event",
        [EVK_ORDER] = "order",
        [EVK_PAYMENT] = "payment",
        [EVK_ADDITIONAL] = "additional",
        [EVK_PRODUCT_LINE] = "product",
        [EVK_PRODUCT_CANCEL] = "cancelled product",
        [EVK_PRODUCT_SHIP] = "shipped product",
        [EVK_PRODUCT_REFUND] = "refunded product",
        [EVK_SIZE] = "order line",
        [EVK_WAREHOUSE] = "warehouse allocation",
        [EVK_SUPPLIER] = "supplier order item",
        [EVK_SHIPMENT] = "shipment",
        [EVK_REFUND] = "refund",
    };

    for (int k = EVK_EVENT; k < EVK_COUNT_; k++) {
        const EvRecordDef *d = evmap_record((EvKind)k);

        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(d->kind, k);
        ck_assert_str_eq(d->name, names[k]);
        ck_assert_ptr_nonnull(d->fields);
        ck_assert_int_gt(d->nfields, 0);
        ck_assert_int_le(d->nfields, PARSER_MAX_FIELDS);
    }
    ck_assert_ptr_null(evmap_record(EVK_NONE));
    ck_assert_ptr_null(evmap_record(EVK_COUNT_));
    ck_assert_ptr_null(evmap_record((EvKind)-1));
    ck_assert_ptr_null(evmap_record((EvKind)1000));
}
END_TEST

START_TEST(the_event_fields_are_in_evf_order)
{
    const EvRecordDef *d = evmap_record(EVK_EVENT);

    ck_assert_int_eq(d->nfields, EVF_COUNT_);
    ck_assert_str_eq(d->fields[EVF_ID].path, "id");
    ck_assert_str_eq(d->fields[EVF_ID].column, "event_id");
    ck_assert_int_eq(d->fields[EVF_ID].type, EVT_CODE);
    ck_assert_str_eq(d->fields[EVF_TYPE].path, "type");
    ck_assert_str_eq(d->fields[EVF_ENTRY].path, "entry");
    ck_assert_str_eq(d->fields[EVF_MISSION].path, "mission");
    ck_assert_str_eq(d->fields[EVF_DATE].path, "date");
    ck_assert_str_eq(d->fields[EVF_DATE].column, "event_date");
    ck_assert_int_eq(d->fields[EVF_DATE].type, EVT_TS);
}
END_TEST

/* Whether s is a column name: lower case, digits and '_'; a helper starts with '_'. */
static bool
is_column_name(const char *s)
{
    if (*s == '_')
        s++;
    if (*s < 'a' || *s > 'z')
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

START_TEST(columns_and_paths_are_unique_and_well_formed_in_each_kind)
{
    for (int k = EVK_EVENT; k < EVK_COUNT_; k++) {
        const EvRecordDef *d = evmap_record((EvKind)k);

        for (int i = 0; i < d->nfields; i++) {
            const EvField *f = &d->fields[i];
            size_t n = strlen(f->path);

            ck_assert_msg(is_column_name(f->column), "%s: column \"%s\"", d->name, f->column);
            ck_assert_msg(n > 0 && f->path[0] != '/' && f->path[n - 1] != '/' &&
                              strstr(f->path, "//") == NULL,
                          "%s: path \"%s\"", d->name, f->path);
            ck_assert_int_eq(evmap_field_index((EvKind)k, f->column), i);
            for (int j = 0; j < d->nfields; j++) {
                const char *other = d->fields[j].path;

                if (j == i)
                    continue;
                ck_assert_msg(strcmp(f->column, d->fields[j].column) != 0,
                              "%s: column \"%s\" twice", d->name, f->column);
                /* A leaf cannot also hold other leaves. */
                ck_assert_msg(strncmp(other, f->path, n) != 0 ||
                                  (other[n] != '\0' && other[n] != '/'),
                              "%s: path \"%s\" against \"%s\"", d->name, f->path, other);
            }
        }
    }
}
END_TEST

START_TEST(only_the_bundle_fields_are_helpers)
{
    for (int k = EVK_EVENT; k < EVK_COUNT_; k++) {
        const EvRecordDef *d = evmap_record((EvKind)k);
        int helpers = 0;

        for (int i = 0; i < d->nfields; i++)
            helpers += d->fields[i].column[0] == '_';
        ck_assert_int_eq(helpers, evmap_is_product((EvKind)k) ? 2 : 0);
    }
    ck_assert_int_eq(evmap_field_index(EVK_PRODUCT_LINE, "_isbundle"), 16);
    ck_assert_int_eq(evmap_record(EVK_PRODUCT_LINE)->fields[16].type, EVT_BOOL);
    ck_assert_str_eq(evmap_record(EVK_PRODUCT_LINE)->fields[17].path,
                     "bundleinfo/partof/product/id");
    ck_assert_str_eq(evmap_record(EVK_PRODUCT_LINE)->fields[17].column, "_partof");
}
END_TEST

START_TEST(field_index_finds_columns_by_name)
{
    ck_assert_int_eq(evmap_field_index(EVK_ORDER, "order_id"), 0);
    ck_assert_int_eq(evmap_field_index(EVK_ORDER, "order_number"), 1);
    ck_assert_int_eq(evmap_field_index(EVK_SIZE, "size_id"), 0);
    ck_assert_int_eq(evmap_field_index(EVK_SIZE, "orderitem_id"), 5);
    ck_assert_int_eq(evmap_field_index(EVK_WAREHOUSE, "qty"), 1);
    ck_assert_int_eq(evmap_field_index(EVK_EVENT, "event_date"), EVF_DATE);
    ck_assert_int_eq(evmap_field_index(EVK_ORDER, "orderitem_id"), -1);
    ck_assert_int_eq(evmap_field_index(EVK_ORDER, ""), -1);
    ck_assert_int_eq(evmap_field_index(EVK_ORDER, "ORDER_ID"), -1);
    ck_assert_int_eq(evmap_field_index(EVK_NONE, "order_id"), -1);
    ck_assert_int_eq(evmap_field_index(EVK_COUNT_, "order_id"), -1);
}
END_TEST

START_TEST(the_four_product_kinds_are_products)
{
    for (int k = -1; k <= EVK_COUNT_; k++)
        ck_assert_int_eq(evmap_is_product((EvKind)k),
                         k == EVK_PRODUCT_LINE || k == EVK_PRODUCT_CANCEL ||
                             k == EVK_PRODUCT_SHIP || k == EVK_PRODUCT_REFUND);
}
END_TEST

/* The root of kind below parent, or NULL. */
static const EvRecordRoot *
root_of(EvKind parent, const char *path)
{
    size_t n;
    const EvRecordRoot *roots = evmap_roots(&n);

    for (size_t i = 0; i < n; i++)
        if (roots[i].parent == parent && strcmp(roots[i].path, path) == 0)
            return &roots[i];
    return NULL;
}

START_TEST(record_roots_nest_as_in_an_order)
{
    static const struct {
        EvKind parent;
        const char *path;
        EvKind kind;
    } want[] = {
        {EVK_NONE, "order", EVK_ORDER},
        {EVK_ORDER, "payments/payment", EVK_PAYMENT},
        {EVK_ORDER, "additionals/additional", EVK_ADDITIONAL},
        {EVK_ORDER, "products/product", EVK_PRODUCT_LINE},
        {EVK_ORDER, "cancelled/product", EVK_PRODUCT_CANCEL},
        {EVK_ORDER, "cancelled/products/product", EVK_PRODUCT_CANCEL},
        {EVK_ORDER, "shipments/shipment", EVK_SHIPMENT},
        {EVK_SHIPMENT, "products/product", EVK_PRODUCT_SHIP},
        {EVK_SHIPMENT, "refunds/refund", EVK_REFUND},
        {EVK_REFUND, "products/product", EVK_PRODUCT_REFUND},
        {EVK_PRODUCT_LINE, "sizes/size", EVK_SIZE},
        {EVK_PRODUCT_CANCEL, "sizes/size", EVK_SIZE},
        {EVK_PRODUCT_SHIP, "sizes/size", EVK_SIZE},
        {EVK_PRODUCT_REFUND, "sizes/size", EVK_SIZE},
        {EVK_SIZE, "warehouseitems/warehouse", EVK_WAREHOUSE},
        {EVK_SIZE, "supplierorderitems/supplierorder", EVK_SUPPLIER},
    };
    size_t n;

    ck_assert_ptr_nonnull(evmap_roots(&n));
    ck_assert_uint_eq(n, CB_LENGTH(want));
    for (size_t i = 0; i < CB_LENGTH(want); i++) {
        const EvRecordRoot *r = root_of(want[i].parent, want[i].path);

        ck_assert_msg(r != NULL, "no root \"%s\" below kind %d", want[i].path, (int)want[i].parent);
        ck_assert_int_eq(r->kind, want[i].kind);
    }
}
END_TEST

START_TEST(no_field_lies_on_or_below_a_record_root)
{
    size_t n;
    const EvRecordRoot *roots = evmap_roots(&n);

    for (size_t i = 0; i < n; i++) {
        const EvRecordDef *d = evmap_record(roots[i].parent);
        size_t rn = strlen(roots[i].path);

        for (int j = 0; d != NULL && j < d->nfields; j++) {
            const char *f = d->fields[j].path;
            size_t fn = strlen(f);

            ck_assert_msg(strcmp(f, roots[i].path) != 0, "%s: field on root \"%s\"", d->name, f);
            ck_assert_msg(strncmp(f, roots[i].path, rn) != 0 || f[rn] != '/',
                          "%s: field \"%s\" inside record \"%s\"", d->name, f, roots[i].path);
            ck_assert_msg(strncmp(roots[i].path, f, fn) != 0 || roots[i].path[fn] != '/',
                          "%s: record \"%s\" inside field \"%s\"", d->name, roots[i].path, f);
        }
    }
}
END_TEST

/* --- values ----------------------------------------------------------------------------- */

typedef struct NormCase {
    EvType type;      /* the column's type */
    const char *text; /* the element's text */
    const char *out;  /* the normal form; NULL: invalid; "\x01": NULL */
} NormCase;

#define IS_NULL "\x01"

static const NormCase norm_cases[] = {
    /* text: as written, only the empty text is NULL */
    {EVT_TEXT, "", IS_NULL},
    {EVT_TEXT, "  a  ", ""},
    {EVT_TEXT, " ", ""},
    /* codes: without the white space around them, none left is NULL */
    {EVT_CODE, "", IS_NULL},
    {EVT_CODE, " \t\r\n", IS_NULL},
    {EVT_CODE, "\n  a b \t", ""},
    /* integers */
    {EVT_INT, "2", "2"},
    {EVT_INT, " 12 \n", "12"},
    {EVT_INT, "\t\r\n", IS_NULL},
    {EVT_INT, "", IS_NULL},
    {EVT_INT, "2.000", "2"},
    {EVT_INT, "2.", "2"},
    {EVT_INT, "-0", "0"},
    {EVT_INT, "+5", "5"},
    {EVT_INT, "007", "7"},
    {EVT_INT, "-17", "-17"},
    {EVT_INT, "2147483647", "2147483647"},
    {EVT_INT, "-2147483648", "-2147483648"},
    {EVT_INT, "2147483648", NULL},
    {EVT_INT, "-2147483649", NULL},
    {EVT_INT, "99999999999999999999999", NULL},
    {EVT_INT, "2.5", NULL},
    {EVT_INT, "2.0001", NULL},
    {EVT_INT, "abc", NULL},
    {EVT_INT, "1e3", NULL},
    {EVT_INT, "-", NULL},
    {EVT_INT, ".5", NULL},
    {EVT_INT, "1 2", NULL},
    {EVT_INT, "0x10", NULL},
    /* numbers, as written */
    {EVT_NUM, "1135.00", "1135.00"},
    {EVT_NUM, " 12.50 ", "12.50"},
    {EVT_NUM, "-0.5", "-0.5"},
    {EVT_NUM, ".5", ".5"},
    {EVT_NUM, "5.", "5."},
    {EVT_NUM, "+5", "+5"},
    {EVT_NUM, "1e5", "1e5"},
    {EVT_NUM, "1E-300", "1E-300"},
    {EVT_NUM, "2.5e+300", "2.5e+300"},
    {EVT_NUM, "1e0300", "1e0300"},
    {EVT_NUM, "1e301", NULL},
    {EVT_NUM, "1e-301", NULL},
    {EVT_NUM, "1e99999999999999999999", NULL},
    {EVT_NUM, "NaN", NULL},
    {EVT_NUM, "Infinity", NULL},
    {EVT_NUM, "-inf", NULL},
    {EVT_NUM, "1e", NULL},
    {EVT_NUM, "e5", NULL},
    {EVT_NUM, ".", NULL},
    {EVT_NUM, "1.2.3", NULL},
    {EVT_NUM, "1,5", NULL},
    {EVT_NUM, "12 EUR", NULL},
    {EVT_NUM, "", IS_NULL},
    /* yes/no */
    {EVT_BOOL, "yes", "t"},
    {EVT_BOOL, "no", "f"},
    {EVT_BOOL, "true", "t"},
    {EVT_BOOL, "false", "f"},
    {EVT_BOOL, "1", "t"},
    {EVT_BOOL, "0", "f"},
    {EVT_BOOL, "YES", "t"},
    {EVT_BOOL, " False\n", "f"},
    {EVT_BOOL, "maybe", NULL},
    {EVT_BOOL, "2", NULL},
    {EVT_BOOL, "yess", NULL},
    {EVT_BOOL, "", IS_NULL},
    /* timestamps: both of Centra's formats, with and without a zone */
    {EVT_TS, "2019-03-27 12:52:20", "2019-03-27 12:52:20"},
    {EVT_TS, "2019-10-14T09:02:49+02:00", "2019-10-14 09:02:49+02:00"},
    {EVT_TS, " 2019-03-27 12:52:20 ", "2019-03-27 12:52:20"},
    {EVT_TS, "2019-03-27 12:52", "2019-03-27 12:52:00"},
    {EVT_TS, "2019-03-27T12:52:20Z", "2019-03-27 12:52:20+00:00"},
    {EVT_TS, "2019-03-27T12:52Z", "2019-03-27 12:52:00+00:00"},
    {EVT_TS, "2019-03-27 12:52:20.123456", "2019-03-27 12:52:20.123456"},
    {EVT_TS, "2019-03-27 12:52:20.5-05:30", "2019-03-27 12:52:20.5-05:30"},
    {EVT_TS, "2019-03-27 12:52:20+0530", "2019-03-27 12:52:20+05:30"},
    {EVT_TS, "2019-03-27 12:52:20-03", "2019-03-27 12:52:20-03:00"},
    {EVT_TS, "2019-03-27", "2019-03-27 00:00:00"},
    {EVT_TS, "2020-02-29 00:00:00", "2020-02-29 00:00:00"},
    {EVT_TS, "2000-02-29 00:00:00", "2000-02-29 00:00:00"},
    {EVT_TS, "2019-12-31 23:59:59", "2019-12-31 23:59:59"},
    {EVT_TS, "2019-02-30 10:00:00", NULL},
    {EVT_TS, "2019-02-29 10:00:00", NULL},
    {EVT_TS, "1900-02-29 10:00:00", NULL},
    {EVT_TS, "2019-04-31 10:00:00", NULL},
    {EVT_TS, "2019-13-01 10:00:00", NULL},
    {EVT_TS, "2019-00-01 10:00:00", NULL},
    {EVT_TS, "2019-01-00 10:00:00", NULL},
    {EVT_TS, "0000-01-01 10:00:00", NULL},
    {EVT_TS, "2019-03-27 24:00:00", NULL},
    {EVT_TS, "2019-03-27 12:60:00", NULL},
    {EVT_TS, "2019-03-27 12:52:60", NULL},
    {EVT_TS, "2019-03-27 12:52:20+16:00", NULL},
    {EVT_TS, "2019-03-27 12:52:20+02:60", NULL},
    {EVT_TS, "2019-03-27 12:52:20+2", NULL},
    {EVT_TS, "2019-03-27 12:52:20 CET", NULL},
    {EVT_TS, "2019-03-27 12:52:20+02:00x", NULL},
    {EVT_TS, "2019-03-27 12:52:20.", NULL},
    {EVT_TS, "2019-03-27 12:52:20.1234567890", NULL},
    {EVT_TS, "2019-03-27T", NULL},
    {EVT_TS, "2019-03-27 12", NULL},
    {EVT_TS, "2019-03-27Z", NULL},
    {EVT_TS, "2019-3-27 12:52:20", NULL},
    {EVT_TS, "20190327", NULL},
    {EVT_TS, "27/03/2019", NULL},
    {EVT_TS, "", IS_NULL},
    /* dates: a date and time keeps its date */
    {EVT_DATE, "2019-03-27", "2019-03-27"},
    {EVT_DATE, "2019-03-27T10:00:00Z", "2019-03-27"},
    {EVT_DATE, "2019-03-27 23:30:00-05:00", "2019-03-27"},
    {EVT_DATE, "2019-02-30", NULL},
    {EVT_DATE, "2019-03-27 25:00", NULL},
    {EVT_DATE, "2019-03-27T10:00:00+99:00", NULL},
    {EVT_DATE, "2019-03-27x", NULL},
    {EVT_DATE, "\n  ", IS_NULL},
};

START_TEST(values_are_normalised_for_their_type)
{
    const NormCase *t = &norm_cases[_i];
    char out[EVMAP_VALUE_MAX];
    bool is_null = true;
    bool ok;

    memset(out, 'X', sizeof(out));
    ok = evmap_normalize(t->type, t->text, strlen(t->text), out, sizeof(out), &is_null);
    ck_assert_msg(ok == (t->out != NULL), "type %d \"%s\": %s", (int)t->type, t->text,
                  ok ? "accepted" : "refused");
    ck_assert_msg(is_null == (t->out != NULL && strcmp(t->out, IS_NULL) == 0),
                  "type %d \"%s\": is_null %d", (int)t->type, t->text, (int)is_null);
    if (t->out != NULL && strcmp(t->out, IS_NULL) != 0)
        ck_assert_str_eq(out, t->out);
    else
        ck_assert_msg(out[0] == '\0', "type %d \"%s\": out holds \"%.*s\"", (int)t->type, t->text,
                      (int)strnlen(out, sizeof(out)), out);
}
END_TEST

START_TEST(trim_narrows_to_the_value_without_xml_white_space)
{
    const char *s = " \t\r\n a\u00a0b \n";
    const char *t = s;
    size_t len = strlen(s);

    evmap_trim(&t, &len);
    ck_assert_int_eq((int)(t - s), 5);
    ck_assert_int_eq((int)len, 4); /* a, the two bytes of U+00A0 (not XML white space), b */
    t = s;
    len = 4;
    evmap_trim(&t, &len);
    ck_assert_int_eq((int)len, 0);
}
END_TEST

START_TEST(only_len_bytes_are_read)
{
    char out[EVMAP_VALUE_MAX];
    bool is_null;

    ck_assert(evmap_normalize(EVT_INT, "12345", 2, out, sizeof(out), &is_null));
    ck_assert_str_eq(out, "12");
    ck_assert(evmap_normalize(EVT_TS, "2019-03-27 12:52:20+02:00", 19, out, sizeof(out), &is_null));
    ck_assert_str_eq(out, "2019-03-27 12:52:20");
    ck_assert(evmap_normalize(EVT_BOOL, "yes", 0, out, sizeof(out), &is_null));
    ck_assert(is_null);
    ck_assert(!evmap_normalize(EVT_INT,
                               "1\0"
                               "2",
                               3, out, sizeof(out), &is_null));
}
END_TEST

START_TEST(a_number_too_long_for_the_buffer_is_invalid)
{
    char text[EVMAP_VALUE_MAX + 1];
    char out[EVMAP_VALUE_MAX];
    bool is_null;

    memset(text, '7', sizeof(text));
    ck_assert(!evmap_normalize(EVT_NUM, text, sizeof(text) - 1, out, sizeof(out), &is_null));
    ck_assert(!is_null);
    ck_assert(evmap_normalize(EVT_NUM, text, sizeof(text) - 2, out, sizeof(out), &is_null));
    ck_assert_uint_eq(strlen(out), EVMAP_VALUE_MAX - 1);
}
END_TEST

static Suite *
evmap_suite(void)
{
    Suite *s = suite_create("evmap");
    TCase *tables = tcase_create("tables");
    TCase *values = tcase_create("values");

    tcase_add_test(tables, every_kind_has_its_definition_and_nothing_else_has_one);
    tcase_add_test(tables, the_event_fields_are_in_evf_order);
    tcase_add_test(tables, columns_and_paths_are_unique_and_well_formed_in_each_kind);
    tcase_add_test(tables, only_the_bundle_fields_are_helpers);
    tcase_add_test(tables, field_index_finds_columns_by_name);
    tcase_add_test(tables, the_four_product_kinds_are_products);
    tcase_add_test(tables, record_roots_nest_as_in_an_order);
    tcase_add_test(tables, no_field_lies_on_or_below_a_record_root);
    tcase_add_loop_test(values, values_are_normalised_for_their_type, 0,
                        (int)CB_LENGTH(norm_cases));
    tcase_add_test(values, trim_narrows_to_the_value_without_xml_white_space);
    tcase_add_test(values, only_len_bytes_are_read);
    tcase_add_test(values, a_number_too_long_for_the_buffer_is_invalid);
    suite_add_tcase(s, tables);
    suite_add_tcase(s, values);
    return s;
}

CB_TEST_MAIN(evmap_suite)
