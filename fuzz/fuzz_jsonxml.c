/*
 * fuzz/fuzz_jsonxml.c
 *     An outbox payload (JSON) written as XML by jsonxml_write
 *     (include/centra/jsonxml.h).
 *
 * Input: one byte of options (bit 0: the "ns1" prefix; bit 1: indentation;
 * bits 2-3: the output cap, so ERR_TOO_BIG is reached too), then the JSON.
 * Checked: the answer is ERR_OK, ERR_DATA or ERR_TOO_BIG; on ERR_OK the
 * document around the item is well-formed XML (expat, namespaces on); on
 * an error the writer is exactly as it was (buffer, depth, status) and the
 * error has a message.
 */
#include "fuzz.h"

#include <string.h>

#include "centra/dynbuf.h"
#include "centra/error.h"
#include "centra/jsonxml.h"
#include "centra/xmlwriter.h"

static const size_t caps[] = {64, 1024, 64 * 1024, 16 * 1024 * 1024};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *ns = "http://www.centra.com/webservices/";
    const char *json;
    const char *why;
    unsigned opts;
    DynBuf out;
    XmlWriter w;
    Error err;
    ErrKind rc;
    size_t before_len;
    int before_depth;

    fuzz_init();
    if (size < 1)
        return 0;
    opts = data[0];
    json = (const char *)data + 1;
    size--;

    dynbuf_init(&out, caps[(opts >> 2) & 3] + 128);
    xw_init(&w, &out, (opts & 1) ? "ns1" : NULL, (opts & 2) != 0, 0);
    xw_open_attr(&w, "root", (opts & 1) ? "xmlns:ns1" : "xmlns", ns);
    if (xw_status(&w) != ERR_OK)
        fuzz_fail("could not open the root element");
    before_len = dynbuf_len(&out);
    before_depth = w.depth;
    out.cap = before_len + caps[(opts >> 2) & 3];

    err_reset(&err);
    rc = jsonxml_write(&w, "item", json, size, &err);
    if (rc == ERR_OK) {
        if (err.kind != ERR_OK)
            fuzz_fail("ERR_OK with an error set: %s", err.message);
        out.cap = SIZE_MAX;
        xw_close(&w, "root");
        if (xw_status(&w) != ERR_OK)
            fuzz_fail("closing the root failed after ERR_OK: %s", xw_error(&w));
        if (!fuzz_xml_well_formed(dynbuf_str(&out), dynbuf_len(&out), &why))
            fuzz_fail("jsonxml wrote XML that is not well-formed (%s):\n%s", why, dynbuf_str(&out));
    } else {
        if (rc != ERR_DATA && rc != ERR_TOO_BIG)
            fuzz_fail("unexpected error kind %s", err_kind_name(rc));
        if (err.message[0] == '\0')
            fuzz_fail("error %s without a message", err_kind_name(rc));
        if (dynbuf_len(&out) != before_len || w.depth != before_depth || w.rc != ERR_OK)
            fuzz_fail("the writer was not restored after %s: len %zu (was %zu), depth %d "
                      "(was %d), status %s",
                      err_kind_name(rc), dynbuf_len(&out), before_len, w.depth, before_depth,
                      err_kind_name(w.rc));
    }
    dynbuf_free(&out);
    return 0;
}
