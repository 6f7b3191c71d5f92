/*
 * include/centra/jsonxml.h
 *     An outbox message's JSON payload as the XML elements of a SOAP update.
 *
 * The rules (documented for ERP developers in docs/outbox.md):
 *   - the payload is one JSON object: the item, written as <item>...</item>;
 *   - each member "key": value becomes an element <key>, in the order written
 *     (duplicate keys are kept, in order: they become repeated elements);
 *   - an object value: its members, as elements inside <key>;
 *   - an array value: one <key> element per array item (repeated elements);
 *     an array inside an array is refused (it has no element name);
 *   - a string: escaped text; a number: its text exactly as written;
 *     true and false: the text "true" and "false"; null: an empty <key/>;
 *   - a key must be an XML name without a colon (letters, digits, '_', '-',
 *     '.', not starting with a digit, '-' or '.'), else the payload is
 *     refused; text that XML 1.0 cannot carry (control characters, U+FFFE,
 *     U+FFFF, invalid UTF-8, \u0000, lone surrogates) is refused too.
 * Nothing is written to the output unless the whole payload is valid.
 */
#ifndef CENTRA_JSONXML_H
#define CENTRA_JSONXML_H

#include <stddef.h>

#include "centra/attrs.h"
#include "centra/error.h"
#include "centra/xmlwriter.h"

#define JSONXML_MAX_DEPTH 64 /* nesting of objects and arrays */

/*
 * Write the JSON text json (len bytes, need not be NUL-terminated) as the
 * element item into w.  Returns ERR_OK, or ERR_DATA with err set (what is
 * wrong and where: "at byte N", and the key path, e.g. "order.lines[2].qty")
 * and nothing written; ERR_TOO_BIG when w's buffer cap is reached.
 */
ErrKind jsonxml_write(XmlWriter *w, const char *item, const char *json, size_t len,
                      Error *err) CB_MUSTCHECK;

#endif /* CENTRA_JSONXML_H */
