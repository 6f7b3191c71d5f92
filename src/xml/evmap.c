/*
 * src/xml/evmap.c
 *     The element-to-column tables of Centra's order events.
 *
 * The order tree is the one of centra-api-notes.md section 4 (orders_Update,
 * which is also what an order event carries).  Every leaf of it has a row
 * here; column names are those of the centra.* staging tables.  Elements not
 * listed are ignored by the typed mapping and kept in centra.events.payload.
 */
#include "centra/evmap.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "centra/attrs.h"
#include "centra/strutil.h"

/* An address block (<shippingaddress>, <billingaddress>) under element e into columns c*. */
#define ADDRESS(e, c)                                                                              \
    {e "/id", c "address_id", EVT_CODE}, {e "/description", c "address_description", EVT_TEXT},    \
        {e "/company", c "company", EVT_TEXT}, {e "/attn", c "attn", EVT_TEXT},                    \
        {e "/firstname", c "first_name", EVT_TEXT}, {e "/lastname", c "last_name", EVT_TEXT},      \
        {e "/address1", c "address1", EVT_TEXT}, {e "/address2", c "address2", EVT_TEXT},          \
        {e "/city", c "city", EVT_TEXT}, {e "/state", c "state", EVT_TEXT},                        \
        {e "/zipcode", c "zipcode", EVT_TEXT}, {e "/country", c "country", EVT_CODE},              \
        {e "/email", c "email", EVT_TEXT}, {e "/telephone", c "telephone", EVT_TEXT},              \
        {e "/fax", c "fax", EVT_TEXT}, {e "/vat", c "vat", EVT_TEXT},                              \
        {e "/url", c "url", EVT_TEXT},                                                             \
    {                                                                                              \
        e "/companyregistrationid", c "company_registration_id", EVT_CODE                          \
    }

/* An amount block (<shipping>, <handling>, <voucher>, <returnfee>). */
#define AMOUNT(e, c)                                                                               \
    {e "/subtotal", c "_subtotal", EVT_NUM}, {e "/description", c "_description", EVT_TEXT},       \
        {e "/key", c "_key", EVT_CODE},                                                            \
    {                                                                                              \
        e "/id", c "_id", EVT_CODE                                                                 \
    }

/* <carrierinformation>. */
#define CARRIER(e)                                                                                 \
    {e "/carrier", "carrier", EVT_TEXT}, {e "/service", "service", EVT_TEXT},                      \
        {e "/account", "carrier_account", EVT_TEXT}, {e "/taxid", "carrier_tax_id", EVT_CODE},     \
        {e "/tracking", "tracking", EVT_CODE},                                                     \
    {                                                                                              \
        e "/packages", "packages", EVT_INT                                                         \
    }

static const EvField event_fields[] = {
    [EVF_ID] = {"id", "event_id", EVT_CODE},     [EVF_TYPE] = {"type", "type", EVT_CODE},
    [EVF_ENTRY] = {"entry", "entry", EVT_CODE},  [EVF_MISSION] = {"mission", "mission", EVT_CODE},
    [EVF_DATE] = {"date", "event_date", EVT_TS},
};

static const EvField order_fields[] = {
    {"id", "order_id", EVT_CODE},
    {"ordernumber", "order_number", EVT_CODE},
    {"type", "type", EVT_CODE},
    {"store", "store", EVT_INT},
    {"status", "status", EVT_CODE},
    {"locked", "locked", EVT_BOOL},
    {"internal", "internal", EVT_BOOL},
    {"currency", "currency", EVT_CODE},
    {"currencyrate", "currency_rate", EVT_NUM},
    {"basecurrency", "base_currency", EVT_CODE},
    {"ordertotal", "order_total", EVT_NUM},
    {"created", "created_at", EVT_TS},
    {"preferred_shipping_date", "preferred_shipping_date", EVT_DATE},
    {"customer/id", "customer_id", EVT_CODE},
    {"customer/description", "customer_name", EVT_TEXT},
    {"account/id", "account_id", EVT_CODE},
    {"account/description", "account_name", EVT_TEXT},
    {"buyer/id", "buyer_id", EVT_CODE},
    {"buyer/description", "buyer_name", EVT_TEXT},
    {"buyer/firstname", "buyer_first_name", EVT_TEXT},
    {"buyer/lastname", "buyer_last_name", EVT_TEXT},
    {"buyer/email", "buyer_email", EVT_TEXT},
    {"salesrep/id", "sales_rep_id", EVT_CODE},
    {"salesrep/email", "sales_rep_email", EVT_TEXT},
    {"salesrep/name", "sales_rep_name", EVT_TEXT},
    {"salesrep/percent", "sales_rep_percent", EVT_NUM},
    {"salesrep/mastersalesrep/salesrep/id", "sales_rep_master_id", EVT_CODE},
    {"salesrep/mastersalesrep/salesrep/percent", "sales_rep_master_percent", EVT_NUM},
    {"mastersalesrep/salesrep/id", "master_sales_rep_id", EVT_CODE},
    {"mastersalesrep/salesrep/email", "master_sales_rep_email", EVT_TEXT},
    {"mastersalesrep/salesrep/name", "master_sales_rep_name", EVT_TEXT},
    {"mastersalesrep/salesrep/percent", "master_sales_rep_percent", EVT_NUM},
    {"market/id", "market_id", EVT_CODE},
    {"market/description", "market_name", EVT_TEXT},
    {"pricelist/id", "pricelist_id", EVT_CODE},
    {"pricelist/description", "pricelist_name", EVT_TEXT},
    {"paymentterms/id", "payment_terms_id", EVT_CODE},
    {"paymentterms/description", "payment_terms_name", EVT_TEXT},
    {"shippingterms/id", "shipping_terms_id", EVT_CODE},
    {"shippingterms/description", "shipping_terms_name", EVT_TEXT},
    {"deliverywindow/id", "delivery_window_id", EVT_CODE},
    {"deliverywindow/description", "delivery_window_name", EVT_TEXT},
    {"deliverywindow/type", "delivery_window_type", EVT_CODE},
    {"deliverywindow/atonce", "delivery_window_at_once", EVT_BOOL},
    {"deliverywindow/start", "delivery_window_start", EVT_DATE},
    {"deliverywindow/stop", "delivery_window_stop", EVT_DATE},
    {"collection/id", "collection_id", EVT_CODE},
    {"collection/description", "collection_name", EVT_TEXT},
    {"primary_warehouse/warehouse/id", "primary_warehouse_id", EVT_CODE},
    {"primary_warehouse/warehouse/description", "primary_warehouse_name", EVT_TEXT},
    AMOUNT("shipping", "shipping"),
    AMOUNT("handling", "handling"),
    AMOUNT("voucher", "voucher"),
    {"payments/name", "payment_name", EVT_TEXT},
    {"payments/type", "payment_type", EVT_CODE},
    {"payments/total", "payment_total", EVT_NUM},
    {"payments/status", "payment_status", EVT_CODE},
    {"payments/method", "payment_method", EVT_CODE},
    CARRIER("carrierinformation"),
    ADDRESS("shippingaddress", "ship_"),
    ADDRESS("billingaddress", "bill_"),
    {"internalinformation", "internal_information", EVT_TEXT},
    {"other", "buyer_message", EVT_TEXT},
    {"ponumber", "po_number", EVT_TEXT},
    {"ecvatno", "ec_vat_no", EVT_TEXT},
};

static const EvField payment_fields[] = {
    {"type", "type", EVT_CODE},
    {"paid", "paid", EVT_TEXT},
    {"value", "value", EVT_NUM},
    {"created", "created_at", EVT_TS},
    {"transaction", "transaction_id", EVT_CODE},
    {"document", "document", EVT_TEXT},
};

static const EvField additional_fields[] = {
    {"key", "key", EVT_CODE},
    {"value", "value", EVT_TEXT},
};

/* Product-level columns of a line; the size-level ones are in size_fields. */
static const EvField product_fields[] = {
    {"id", "product_id", EVT_CODE},
    {"sku", "product_sku", EVT_CODE},
    {"description", "product_name", EVT_TEXT},
    {"variation/id", "variation_id", EVT_CODE},
    {"variation/description", "variation_name", EVT_TEXT},
    {"variation/sku", "variation_sku", EVT_CODE},
    {"brand/id", "brand_id", EVT_CODE},
    {"brand/description", "brand_name", EVT_TEXT},
    {"type", "product_type", EVT_CODE},
    {"qty", "product_qty", EVT_INT},
    {"price", "price", EVT_NUM},
    {"origprice", "orig_price", EVT_NUM},
    {"discount", "discount", EVT_NUM},
    {"tax", "tax", EVT_NUM},
    {"subtotal", "product_subtotal", EVT_NUM},
    {"comment", "comment", EVT_TEXT},
    {"bundleinfo/isbundle", "_isbundle", EVT_BOOL},
    {"bundleinfo/partof/product/id", "_partof", EVT_CODE},
};

static const EvField size_fields[] = {
    {"id", "size_id", EVT_CODE},
    {"sku", "size_sku", EVT_CODE},
    {"description", "size_name", EVT_TEXT},
    {"qty", "qty", EVT_INT},
    {"preorder", "preorder", EVT_BOOL},
    {"orderitem/id", "orderitem_id", EVT_CODE},
    {"orderitem/description", "orderitem_description", EVT_TEXT},
};

static const EvField warehouse_fields[] = {
    {"id", "warehouse_id", EVT_CODE},
    {"qty", "qty", EVT_INT},
};

static const EvField supplier_fields[] = {
    {"id", "supplier_order_id", EVT_CODE},
    {"qty", "qty", EVT_INT},
    {"eta", "eta", EVT_DATE},
};

static const EvField shipment_fields[] = {
    {"id", "shipment_id", EVT_CODE},
    {"appendix", "appendix", EVT_INT},
    {"paid", "paid", EVT_BOOL},
    {"shipped", "shipped", EVT_BOOL},
    {"goodtogo", "good_to_go", EVT_BOOL},
    {"capture", "capture", EVT_BOOL},
    {"shipmenttotal", "shipment_total", EVT_NUM},
    {"paidtotal", "paid_total", EVT_NUM},
    {"currency", "currency", EVT_CODE},
    {"currencyrate", "currency_rate", EVT_NUM},
    {"basecurrency", "base_currency", EVT_CODE},
    {"created", "created_at", EVT_TS},
    CARRIER("carrierinformation"),
    ADDRESS("shippingaddress", "ship_"),
    AMOUNT("shipping", "shipping"),
    AMOUNT("handling", "handling"),
    AMOUNT("voucher", "voucher"),
};

static const EvField refund_fields[] = {
    {"id", "refund_id", EVT_CODE},  {"status", "status", EVT_CODE},
    {"type", "type", EVT_CODE},     {"comment", "comment", EVT_TEXT},
    AMOUNT("shipping", "shipping"), AMOUNT("handling", "handling"),
    AMOUNT("voucher", "voucher"),   AMOUNT("returnfee", "return_fee"),
};

#define DEF(k, name, f) [k] = {k, name, f, (int)CB_LENGTH(f)}

static const EvRecordDef record_defs[EVK_COUNT_] = {
    DEF(EVK_EVENT, "event", event_fields),
    DEF(EVK_ORDER, "order", order_fields),
    DEF(EVK_PAYMENT, "payment", payment_fields),
    DEF(EVK_ADDITIONAL, "additional", additional_fields),
    DEF(EVK_PRODUCT_LINE, "product", product_fields),
    DEF(EVK_PRODUCT_CANCEL, "cancelled product", product_fields),
    DEF(EVK_PRODUCT_SHIP, "shipped product", product_fields),
    DEF(EVK_PRODUCT_REFUND, "refunded product", product_fields),
    DEF(EVK_SIZE, "order line", size_fields),
    DEF(EVK_WAREHOUSE, "warehouse allocation", warehouse_fields),
    DEF(EVK_SUPPLIER, "supplier order item", supplier_fields),
    DEF(EVK_SHIPMENT, "shipment", shipment_fields),
    DEF(EVK_REFUND, "refund", refund_fields),
};

static const EvRecordRoot record_roots[] = {
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

const EvRecordDef *
evmap_record(EvKind kind)
{
    if (kind <= EVK_NONE || kind >= EVK_COUNT_)
        return NULL;
    return &record_defs[kind];
}

const EvRecordRoot *
evmap_roots(size_t *n)
{
    *n = CB_LENGTH(record_roots);
    return record_roots;
}

int
evmap_field_index(EvKind kind, const char *column)
{
    const EvRecordDef *d = evmap_record(kind);

    for (int i = 0; d != NULL && i < d->nfields; i++)
        if (strcmp(d->fields[i].column, column) == 0)
            return i;
    return -1;
}

bool
evmap_is_product(EvKind kind)
{
    return kind >= EVK_PRODUCT_LINE && kind <= EVK_PRODUCT_REFUND;
}

/* ---------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------- */

void
evmap_trim(const char **text, size_t *len)
{
    const char *p = *text;
    const char *end = p + *len;

    while (p < end && str_is_xml_space(*p))
        p++;
    while (end > p && str_is_xml_space(end[-1]))
        end--;
    *text = p;
    *len = (size_t)(end - p);
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Read exactly n digits at *p into *v. */
static bool
digits(const char **p, const char *end, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= end || !is_digit(**p))
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

static int
days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

/* YYYY-MM-DD at *p. */
static bool
parse_date(const char **p, const char *end, int *y, int *m, int *d)
{
    if (!digits(p, end, 4, y) || *p >= end || **p != '-')
        return false;
    (*p)++;
    if (!digits(p, end, 2, m) || *p >= end || **p != '-')
        return false;
    (*p)++;
    if (!digits(p, end, 2, d))
        return false;
    return *y >= 1 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m);
}

/* [+-]HH[[:]MM] or Z at p, up to end; appends the normal form to out. */
static bool
parse_zone(const char *p, const char *end, char *out, size_t size)
{
    int hh;
    int mm = 0;
    char sign;

    if (p == end)
        return true;
    if (end - p == 1 && (*p == 'Z' || *p == 'z')) {
        snprintf(out + strlen(out), size - strlen(out), "+00:00");
        return true;
    }
    if (*p != '+' && *p != '-')
        return false;
    sign = *p++;
    if (!digits(&p, end, 2, &hh))
        return false;
    if (p < end && *p == ':')
        p++;
    if (p < end && !digits(&p, end, 2, &mm))
        return false;
    if (p != end || hh > 15 || mm > 59)
        return false;
    snprintf(out + strlen(out), size - strlen(out), "%c%02d:%02d", sign, hh, mm);
    return true;
}

static bool
normalize_ts(const char *p, const char *end, bool date_only, char *out, size_t size)
{
    int y, mo, d, h = 0, mi = 0, s = 0;
    const char *frac = NULL;
    size_t nfrac = 0;
    bool ok;

    if (!parse_date(&p, end, &y, &mo, &d))
        return false;
    if (p < end) {
        if (*p != ' ' && *p != 'T' && *p != 't')
            return false;
        p++;
        if (!digits(&p, end, 2, &h) || p >= end || *p != ':')
            return false;
        p++;
        if (!digits(&p, end, 2, &mi))
            return false;
        if (p < end && *p == ':') {
            p++;
            if (!digits(&p, end, 2, &s))
                return false;
            if (p < end && *p == '.') {
                frac = ++p;
                while (p < end && is_digit(*p))
                    p++;
                nfrac = (size_t)(p - frac);
                if (nfrac == 0 || nfrac > 9)
                    return false;
            }
        }
        if (h > 23 || mi > 59 || s > 59)
            return false;
    }
    if (date_only) {
        char zone[16] = "";

        snprintf(out, size, "%04d-%02d-%02d", y, mo, d);
        ok = parse_zone(p, end, zone, sizeof(zone));
    } else {
        snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d%s%.*s", y, mo, d, h, mi, s,
                 frac != NULL ? "." : "", (int)nfrac, frac != NULL ? frac : "");
        ok = parse_zone(p, end, out, size);
    }
    if (!ok)
        out[0] = '\0'; /* a bad zone: the date and time written so far are not a value */
    return ok;
}

/* [+-]digits with an optional zero fraction, within 32 bits. */
static bool
normalize_int(const char *p, const char *end, char *out, size_t size)
{
    bool neg = false;
    long long v = 0;
    const char *start;

    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    start = p;
    while (p < end && is_digit(*p)) {
        v = v * 10 + (*p++ - '0');
        if (v > 2147483648LL)
            return false;
    }
    if (p == start)
        return false;
    if (p < end && *p == '.') {
        for (p++; p < end && *p == '0'; p++)
            ;
    }
    if (p != end || v > 2147483647LL + neg)
        return false;
    snprintf(out, size, "%s%lld", neg && v != 0 ? "-" : "", v);
    return true;
}

/* PostgreSQL numeric input without NaN and Infinity, exponent within +-300. */
static bool
normalize_num(const char *p, const char *end, char *out, size_t size)
{
    const char *start = p;
    size_t ndig = 0;

    if (p < end && (*p == '+' || *p == '-'))
        p++;
    for (; p < end && is_digit(*p); p++)
        ndig++;
    if (p < end && *p == '.')
        for (p++; p < end && is_digit(*p); p++)
            ndig++;
    if (ndig == 0)
        return false;
    if (p < end && (*p == 'e' || *p == 'E')) {
        int exp = 0;
        const char *e;

        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        for (e = p; p < end && is_digit(*p) && exp <= 300; p++)
            exp = exp * 10 + (*p - '0');
        if (p == e || exp > 300)
            return false;
    }
    if (p != end || (size_t)(end - start) >= size)
        return false;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return true;
}

static bool
normalize_bool(const char *p, const char *end, char *out, size_t size)
{
    static const char *const yes[] = {"yes", "true", "1", "y", "t"};
    static const char *const no[] = {"no", "false", "0", "n", "f"};
    size_t len = (size_t)(end - p);

    for (size_t i = 0; i < CB_LENGTH(yes); i++) {
        if (strlen(yes[i]) == len && strncasecmp(p, yes[i], len) == 0) {
            snprintf(out, size, "t");
            return true;
        }
        if (strlen(no[i]) == len && strncasecmp(p, no[i], len) == 0) {
            snprintf(out, size, "f");
            return true;
        }
    }
    return false;
}

bool
evmap_normalize(EvType type, const char *text, size_t len, char *out, size_t outsize, bool *is_null)
{
    const char *p = text;
    const char *end;

    *is_null = false;
    out[0] = '\0';
    if (type == EVT_TEXT) {
        *is_null = len == 0;
        return true;
    }
    evmap_trim(&p, &len);
    end = p + len;
    if (p == end || type == EVT_CODE) {
        *is_null = p == end;
        return true;
    }
    switch (type) {
    case EVT_INT:
        return normalize_int(p, end, out, outsize);
    case EVT_NUM:
        return normalize_num(p, end, out, outsize);
    case EVT_BOOL:
        return normalize_bool(p, end, out, outsize);
    case EVT_TS:
        return normalize_ts(p, end, false, out, outsize);
    case EVT_DATE:
        return normalize_ts(p, end, true, out, outsize);
    case EVT_TEXT:
    case EVT_CODE:
        break;
    }
    return false;
}
