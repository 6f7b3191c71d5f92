/*
 * fuzz/fuzz_update_response.c
 *     The answer to an update (*_Update, events_Done) parsed by
 *     soap_parse_update_response (include/centra/soap.h): the <result> shape,
 *     the <xxxUpdateResponse>OK</xxxUpdateResponse> shape and SOAP Faults.
 *
 * Input: the whole answer body.  Checked: every answer is ERR_OK or one of
 * the Centra error kinds with a message; on ERR_OK the error and notice
 * lists are consistent (a count with an array of non-NULL texts); the
 * result is freed whatever the answer.
 */
#include "fuzz.h"

#include <string.h>

#include "centra/error.h"
#include "centra/soap.h"

static void
check_texts(char **texts, size_t n, const char *what)
{
    if (n > 0 && texts == NULL)
        fuzz_fail("%zu %s but no array", n, what);
    for (size_t i = 0; i < n; i++)
        if (texts[i] == NULL)
            fuzz_fail("%s %zu is NULL", what, i);
        else
            (void)strlen(texts[i]); /* readable up to its NUL (ASan checks) */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SoapUpdateResult res;
    Error err;
    ErrKind rc;

    fuzz_init();
    err_reset(&err);
    rc = soap_parse_update_response((const char *)data, size, &res, &err);
    if (rc == ERR_OK) {
        check_texts(res.errors, res.nerrors, "errors");
        check_texts(res.notices, res.nnotices, "notices");
    } else {
        if (rc != ERR_CENTRA_FAULT && rc != ERR_CENTRA_AUTH && rc != ERR_CENTRA_UNAVAILABLE)
            fuzz_fail("unexpected error kind %s: %s", err_kind_name(rc), err.message);
        if (err.message[0] == '\0')
            fuzz_fail("error %s without a message", err_kind_name(rc));
    }
    soap_update_result_free(&res);
    return 0;
}
