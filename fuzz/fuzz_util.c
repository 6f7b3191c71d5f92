/*
 * fuzz/fuzz_util.c
 *     Helpers shared by the fuzz targets (fuzz.h).
 */
#include "fuzz.h"

#include <expat.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "centra/log.h"

void
fuzz_init(void)
{
    static bool done;

    if (done)
        return;
    done = true;
    log_set_level(LOG_LEVEL_ERROR);
}

void
fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("fuzz: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

bool
fuzz_xml_well_formed(const char *text, size_t len, const char **why)
{
    /* U+0001 cannot be in a name or URI: expat refuses a URI holding the separator. */
    XML_Parser xp = XML_ParserCreateNS("UTF-8", '\x01');
    bool ok = true;

    if (xp == NULL)
        fuzz_fail("XML_ParserCreateNS failed");
    while (ok && len > INT_MAX) {
        ok = XML_Parse(xp, text, INT_MAX, 0) == XML_STATUS_OK;
        text += INT_MAX;
        len -= INT_MAX;
    }
    if (ok)
        ok = XML_Parse(xp, text, (int)len, 1) == XML_STATUS_OK;
    *why = ok ? NULL : XML_ErrorString(XML_GetErrorCode(xp));
    XML_ParserFree(xp);
    return ok;
}
