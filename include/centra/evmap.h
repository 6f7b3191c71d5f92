/*
 * include/centra/evmap.h
 *     The mapping of Centra's event XML to rows: which elements start a
 *     record (an order, a line, a shipment, ...) and which leaf lands in
 *     which column with which type.
 *
 * One table serves both sides: the streaming parser (src/xml/eventparser.c)
 * uses it to recognise elements by local name, and the loader
 * (src/import/loader.c) generates its SQL from the same column names, so a
 * field is added in exactly one place.  Paths are relative to the record's
 * element; the record's place in the tree is given by EvRecordRoot.
 */
#ifndef CENTRA_EVMAP_H
#define CENTRA_EVMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef enum EvType {
    EVT_TEXT, /* as written; empty means NULL */
    EVT_CODE, /* an id or a code: XML white space around it is not part of it; none left: NULL */
    EVT_INT,  /* integer (a zero fraction such as 2.000 is accepted) */
    EVT_NUM,  /* decimal number */
    EVT_BOOL, /* yes/no, true/false, 1/0 */
    EVT_TS,   /* date and time, with or without a zone (then CENTRA_TIMEZONE) */
    EVT_DATE  /* a date; a date and time keeps its date part */
} EvType;

/* Record kinds.  The numbers are written into the loader's work table. */
typedef enum EvKind {
    EVK_NONE = 0,           /* not a record */
    EVK_EVENT = 1,          /* <event>: id, type, entry, mission, date */
    EVK_ORDER = 2,          /* <order> */
    EVK_PAYMENT = 3,        /* <order><payments><payment> */
    EVK_ADDITIONAL = 4,     /* <order><additionals><additional> */
    EVK_PRODUCT_LINE = 5,   /* <order><products><product> */
    EVK_PRODUCT_CANCEL = 6, /* <order><cancelled><product> */
    EVK_PRODUCT_SHIP = 7,   /* <shipment><products><product> */
    EVK_PRODUCT_REFUND = 8, /* <refund><products><product> */
    EVK_SIZE = 9,           /* <product><sizes><size>: one line */
    EVK_WAREHOUSE = 10,     /* <size><warehouseitems><warehouse> */
    EVK_SUPPLIER = 11,      /* <size><supplierorderitems><supplierorder> */
    EVK_SHIPMENT = 12,      /* <order><shipments><shipment> */
    EVK_REFUND = 13,        /* <shipment><refunds><refund> */
    EVK_COUNT_              /* not a kind: one more than the largest */
} EvKind;

typedef struct EvField {
    const char *path;   /* element path below the record's element, '/'-separated */
    const char *column; /* target column; a leading '_' marks a helper, not a column */
    EvType type;        /* how the text is checked and normalised */
} EvField;

typedef struct EvRecordDef {
    EvKind kind;           /* the kind */
    const char *name;      /* for messages, e.g. "order line" */
    const EvField *fields; /* the mapped leaves */
    int nfields;           /* number of fields */
} EvRecordDef;

typedef struct EvRecordRoot {
    EvKind parent;    /* enclosing record; EVK_NONE: directly below <data> */
    const char *path; /* path below the parent's element to this record's element */
    EvKind kind;      /* the record it starts */
} EvRecordRoot;

/* Fields of the event record, in this order. */
enum {
    EVF_ID,      /* <event><id> */
    EVF_TYPE,    /* <event><type> */
    EVF_ENTRY,   /* <event><entry> */
    EVF_MISSION, /* <event><mission> */
    EVF_DATE,    /* <event><date> */
    EVF_COUNT_
};

/* The definition of kind, or NULL for EVK_NONE and out-of-range values. */
const EvRecordDef *evmap_record(EvKind kind);

/* All record roots; *n receives their number. */
const EvRecordRoot *evmap_roots(size_t *n);

/* Index of column in kind's fields, or -1. */
int evmap_field_index(EvKind kind, const char *column);

/* Whether kind is one of the four product kinds. */
bool evmap_is_product(EvKind kind);

/* Narrow *text and *len to the value without the XML white space around it. */
void evmap_trim(const char **text, size_t *len);

/*
 * Check and normalise the text of a leaf for its type into out (cleared
 * first; NUL-terminated).  Returns true with *is_null set for an empty value
 * (after trimming white space, for every type but text), true for a valid
 * one, false when the text is not of the type (out then holds nothing).
 * TEXT and CODE values are not copied to out: the caller takes the text as
 * it is (TEXT) or trimmed with evmap_trim (CODE).
 * Normal forms: BOOL "t"/"f"; INT digits with an optional "-"; NUM as
 * written; TS "YYYY-MM-DD HH:MM:SS[.f][+HH:MM]"; DATE "YYYY-MM-DD".  Values
 * PostgreSQL would refuse (day 31 of April, an integer beyond 32 bits, ...)
 * are invalid here, so a bad value can never fail a batch.
 */
bool evmap_normalize(EvType type, const char *text, size_t len, char *out, size_t outsize,
                     bool *is_null);

/* Largest normalised non-text value, with its NUL. */
#define EVMAP_VALUE_MAX 128

/*
 * Longest id or code (CODE value, trimmed), in bytes: Centra's ids have at
 * most 255 characters, 765 bytes of UTF-8 at 3 bytes each.  Codes are keys
 * of PostgreSQL's btree indexes, whose entries hold at most 2704 bytes: three
 * codes in one key (order_lines (product_id, variation_id, size_id), or the
 * concatenated sku) still fit.  An event with a longer one is quarantined,
 * so that it cannot fail its batch.
 */
#define EVMAP_CODE_MAX 800

#endif /* CENTRA_EVMAP_H */
