/*
 * tests/unit/db/test_idmap.c
 *     The type names "idmap import" and "idmap export --kind" accept.
 */
#include "centra/idmap.h"

#include <string.h>

#include "testutil.h"

typedef struct KindCase {
    const char *name; /* as written in a file */
    const char *kind; /* expected kind; NULL = unknown */
} KindCase;

static const KindCase kind_cases[] = {
    {"product", "product"},
    {"Product", "product"},
    {"PRODUCTS", "product"},
    {" product ", "product"},
    {"Variant", "variation"},
    {"Product variant", "variation"},
    {"variation", "variation"},
    {"Price list", "pricelist"},
    {"price_list", "pricelist"},
    {"Pricelists", "pricelist"},
    {"Customer", "customer"},
    {"Wholesale account", "account"},
    {"Payment terms", "paymentterms"},
    {"Payment term", "paymentterms"},
    {"Shipping-terms", "shippingterms"},
    {"Sales representative", "salesrep"},
    {"Delivery window", "deliverywindow"},
    {"order", "order"},
    {"Orders", "order"},
    {"market", "market"},
    {"warehouse", "warehouse"},
    {"buyer", "buyer"},
    {"size", NULL},
    {"widget", NULL},
    {"", NULL},
    {"   ", NULL},
    {"s", NULL},
    {"productproductproductproductproductproductproductproductproductproduct", NULL},
};

START_TEST(type_names_map_to_kinds)
{
    const KindCase *c = &kind_cases[_i];
    const char *got = idmap_kind_parse(c->name);

    if (c->kind == NULL)
        ck_assert_msg(got == NULL, "\"%s\" gave \"%s\"", c->name, got);
    else
        ck_assert_msg(got != NULL && strcmp(got, c->kind) == 0, "\"%s\" gave \"%s\"", c->name,
                      got != NULL ? got : "(null)");
}
END_TEST

START_TEST(the_list_names_every_kind)
{
    const char *list = idmap_kinds_list();

    ck_assert_ptr_nonnull(strstr(list, "\"order\", \"product\", \"variation\""));
    ck_assert_ptr_nonnull(strstr(list, "\"shippingterms\""));
    ck_assert_ptr_eq(list, idmap_kinds_list());
}
END_TEST

static Suite *
idmap_suite(void)
{
    Suite *s = suite_create("idmap");
    TCase *tc = tcase_create("kinds");

    tcase_add_loop_test(tc, type_names_map_to_kinds, 0,
                        (int)(sizeof(kind_cases) / sizeof(kind_cases[0])));
    tcase_add_test(tc, the_list_names_every_kind);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(idmap_suite)
