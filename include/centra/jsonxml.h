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
 *     an empty array writes nothing; an empty object writes an empty <key/>;
 *   - a string: escaped text (an empty string gives an empty <key/>); a
 *     number: its text exactly as written ("12.50" stays "12.50"), checked
 *     against the JSON grammar; true and false: the text "true" and "false";
 *     null: an empty <key/>;
 *   - a key must be an XML name without a colon (letters, digits, '_', '-',
 *     '.', not starting with a digit, '-' or '.'), else the payload is
 *     refused; letters are ASCII only, so a key is the same name in every
 *     XML tool.  Text that XML 1.0 cannot carry (control characters other
 *     than tab, newline and carriage return, so also \b and \f; U+FFFE,
 *     U+FFFF, invalid UTF-8, \u0000, lone surrogates) is refused too;
 *   - the JSON is strict RFC 8259: nothing but whitespace after the object,
 *     no comments, no trailing commas, raw control characters in strings
 *     refused, objects and arrays nested at most JSONXML_MAX_DEPTH deep
 *     (the item's own object counts as one).
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
 * Write the JSON text json (len bytes, need not be NUL-terminated, may hold
 * any bytes) as the element item into w.  Returns ERR_OK, or ERR_DATA with
 * err set (what is wrong and where: "at byte N", counted from 0, and the key
 * path, e.g. "order.lines[2].qty", array items counted from 0) and nothing
 * written; ERR_TOO_BIG when w's buffer cap is reached (a payload that is
 * also invalid is reported as ERR_DATA).  On any error w is as it was on
 * entry: its buffer cut back, its depth and status restored.  item (the
 * caller's, NUL-terminated) must itself be a name as keys are, else ERR_DATA.
 * If w already holds an error, that error is returned and nothing is read.
 */
ErrKind jsonxml_write(XmlWriter *w, const char *item, const char *json, size_t len,
                      Error *err) CB_MUSTCHECK;

#endif /* CENTRA_JSONXML_H */
