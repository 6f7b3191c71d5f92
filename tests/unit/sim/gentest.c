/*
 * tests/unit/sim/gentest.c
 *     Helpers shared by the generator's unit tests (see gentest.h).
 */
#include "gentest.h"

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

/* --- helpers ----------------------------------------------------------------------- */

/* Write e's object into b (initialised here); the caller frees b. */
void
write_into(DynBuf *b, uint64_t seed, const GenEntry *e, const char *prefix)
{
    XmlWriter w;

    dynbuf_init(b, OBJECT_CAP);
    xw_init(&w, b, prefix, true, 0);
    gen_write_object(&w, seed, e);
    ck_assert_msg(xw_status(&w) == ERR_OK, "writing failed: %s", xw_error(&w));
}

/* e's object parsed back; the caller frees it with xml_free. */
XmlNode *
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
long long
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
long long
integer(const char *text)
{
    long long v;

    ck_assert_ptr_nonnull(text);
    ck_assert_msg(str_to_ll(text, &v), "not an integer: \"%s\"", text);
    return v;
}

/* Child text that must be there. */
const char *
need(const XmlNode *n, const char *path)
{
    const char *t = xml_path_text(n, path);

    ck_assert_msg(t != NULL, "<%s> has no %s", n->name, path);
    return t;
}

/* Queue position of the first event of order index, or plan->n. */
size_t
first_event_of(const GenPlan *plan, uint32_t index)
{
    size_t i;

    for (i = 0; i < plan->n; i++)
        if (plan->entries[i].kind == GEN_ORDER && plan->entries[i].index == index)
            break;
    return i;
}

/* --- the catalog ------------------------------------------------------------------- */

Catalog catalog;

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

void
catalog_setup(void)
{
    memset(&catalog, 0, sizeof(catalog));
    catalog.objects = hashmap_new();
    gen_catalog(collect, &catalog);
}

void
catalog_teardown(void)
{
    for (size_t i = 0; i < catalog.n; i++)
        xml_free(catalog.list[i]);
    hashmap_free(catalog.objects);
    memset(&catalog, 0, sizeof(catalog));
}

const XmlNode *
catalog_get(const char *type, const char *id)
{
    char key[128];

    snprintf(key, sizeof(key), "%s/%s", type, id);
    return hashmap_get(catalog.objects, key);
}

/* Child of list named name whose <id> is id, or NULL. */
const XmlNode *
find_by_id(const XmlNode *list, const char *name, const char *id)
{
    for (const XmlNode *n = xml_child(list, name); n != NULL; n = xml_next(list, name, n))
        if (strcmp(need(n, "id"), id) == 0)
            return n;
    return NULL;
}

/* Whether date is "YYYY-MM-DD HH:MM:SS" (plain) or "YYYY-MM-DDTHH:MM:SS+01:00" (!plain). */
bool
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
