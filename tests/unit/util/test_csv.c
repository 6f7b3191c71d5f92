/*
 * tests/unit/util/test_csv.c
 *     The incremental CSV reader: RFC 4180 quoting, line ends, the BOM,
 *     empty lines, errors with their line, the record cap, and every input
 *     fed whole, a byte at a time and in 2-, 7- and 4096-byte chunks.
 */
#include "centra/csv.h"

#include <stdint.h>
#include <string.h>

#include "centra/dynbuf.h"
#include "testutil.h"

/* Records seen, as "LINE:field|field|...\n", NUL bytes shown as "\0". */
static DynBuf seen;
/* Stop with an error at this record (1-based); 0 = never. */
static int stop_at;
static int records;

static ErrKind
collect(void *arg, const CsvRecord *rec, Error *err)
{
    (void)arg;
    records++;
    if (records == stop_at)
        return err_set(err, ERR_DATA, "stopped at record %d", records);
    dynbuf_addf(&seen, "%ld:", rec->line);
    for (int i = 0; i < rec->nfields; i++) {
        if (i > 0)
            dynbuf_addc(&seen, '|');
        for (size_t j = 0; j < rec->lens[i]; j++) {
            if (rec->fields[i][j] == '\0')
                dynbuf_addstr(&seen, "\\0");
            else
                dynbuf_addc(&seen, rec->fields[i][j]);
        }
        ck_assert_int_eq(rec->fields[i][rec->lens[i]], '\0');
    }
    dynbuf_addc(&seen, '\n');
    return ERR_OK;
}

static const size_t chunk_sizes[] = {0, 1, 2, 7, 4096}; /* 0 = whole */

/*
 * Read len bytes of input in chunks of chunk (0: whole) with the given
 * record cap; returns the result and leaves the records in "seen".
 */
static ErrKind
read_csv(const char *input, size_t len, size_t chunk, size_t cap, Error *err)
{
    CsvReader *r = csv_new(cap, collect, NULL);
    ErrKind rc = ERR_OK;
    size_t step = chunk == 0 ? (len > 0 ? len : 1) : chunk;

    dynbuf_free(&seen);
    dynbuf_init(&seen, 1 << 20);
    records = 0;
    err_reset(err);
    for (size_t off = 0; off < len && rc == ERR_OK; off += step)
        rc = csv_feed(r, input + off, len - off < step ? len - off : step, err);
    if (rc == ERR_OK)
        rc = csv_finish(r, err);
    csv_free(r);
    return rc;
}

typedef struct CsvCase {
    const char *name;     /* what it shows */
    const char *input;    /* the CSV text */
    const char *expected; /* the records as collect() writes them */
} CsvCase;

static const CsvCase good_cases[] = {
    {"plain fields", "a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n"},
    {"no final line end", "a,b\n1,2", "1:a|b\n2:1|2\n"},
    {"CRLF line ends", "a,b\r\n1,2\r\n", "1:a|b\n2:1|2\n"},
    {"lone CR line ends", "a,b\r1,2\r", "1:a|b\n2:1|2\n"},
    {"quoted fields", "\"a\",\"b c\"\n", "1:a|b c\n"},
    {"doubled quotes", "\"say \"\"hi\"\"\",x\n", "1:say \"hi\"|x\n"},
    {"only a doubled quote", "\"\"\"\"\n", "1:\"\n"},
    {"embedded comma", "\"a,b\",c\n", "1:a,b|c\n"},
    {"embedded LF counts lines", "\"a\nb\",c\nd,e\n", "1:a\nb|c\n3:d|e\n"},
    {"embedded CRLF kept", "\"a\r\nb\",c\r\nd,e\r\n", "1:a\r\nb|c\n3:d|e\n"},
    {"empty fields", ",,\n\"\",x,\n", "1:||\n2:|x|\n"},
    {"empty lines skipped", "\n\na,b\n\n\r\n1,2\n\n", "3:a|b\n6:1|2\n"},
    {"BOM skipped", "\xEF\xBB\xBFtype,id\n", "1:type|id\n"},
    {"partial BOM is data", "\xEF\xBBx,y\n", "1:\xEF\xBBx|y\n"},
    {"BOM-like bytes later are data", "a\n\xEF\xBB\xBF\n", "1:a\n2:\xEF\xBB\xBF\n"},
    {"quote inside an unquoted field kept", "5\" wide,x\n", "1:5\" wide|x\n"},
    {"spaces kept", " a , b \n", "1: a | b \n"},
    {"UTF-8 kept", "Å,\"ö, ü\",😀\n", "1:Å|ö, ü|😀\n"},
    {"a quoted empty line is a record", "\"\"\n", "1:\n"},
    {"SQL-looking text is text", "\"'; DROP TABLE x; --\",1\n", "1:'; DROP TABLE x; --|1\n"},
    {"empty input", "", ""},
    {"only a BOM", "\xEF\xBB\xBF", ""},
    {"partial BOM at the end", "\xEF\xBB", "1:\xEF\xBB\n"},
};

START_TEST(records_are_read_in_every_chunking)
{
    const CsvCase *c = &good_cases[_i];

    for (size_t k = 0; k < sizeof(chunk_sizes) / sizeof(chunk_sizes[0]); k++) {
        Error err;
        ErrKind rc = read_csv(c->input, strlen(c->input), chunk_sizes[k], 1024, &err);

        ck_assert_msg(rc == ERR_OK, "%s (chunk %zu): %s", c->name, chunk_sizes[k], err.message);
        ck_assert_msg(strcmp(dynbuf_str(&seen), c->expected) == 0,
                      "%s (chunk %zu): got\n%s\nexpected\n%s", c->name, chunk_sizes[k],
                      dynbuf_str(&seen), c->expected);
    }
}
END_TEST

START_TEST(nul_bytes_are_kept_in_fields)
{
    static const char input[] = "a\0b,c\n";
    Error err;

    ck_assert_int_eq(read_csv(input, sizeof(input) - 1, 1, 1024, &err), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&seen), "1:a\\0b|c\n");
}
END_TEST

typedef struct CsvBadCase {
    const char *input;   /* the CSV text */
    ErrKind kind;        /* expected error */
    const char *message; /* expected primary message */
    const char *before;  /* records read before the error */
} CsvBadCase;

static const CsvBadCase bad_cases[] = {
    {"a,b\n\"open,x\n1,2\n", ERR_DATA, "unterminated quoted field starting on line 2", "1:a|b\n"},
    {"a\n\n\n,\"x\"\"", ERR_DATA, "unterminated quoted field starting on line 4", "1:a\n"},
    {"a,b\n\"x\"y,z\n", ERR_DATA,
     "unexpected character after the closing quote of a field on line 2", "1:a|b\n"},
    {"\"a\nb\" c\n", ERR_DATA, "unexpected character after the closing quote of a field on line 2",
     ""},
    {"ok\n0123456789abcdefX\n", ERR_TOO_BIG, "record on line 2 is longer than 16 bytes", "1:ok\n"},
    {"ok\n0123456,89abcdef,XY\n", ERR_TOO_BIG, "record on line 2 is longer than 16 bytes",
     "1:ok\n"},
    /* Commas count too: 17 of them, and no field content (found in review). */
    {"ok\n,,,,,,,,,,,,,,,,,\n", ERR_TOO_BIG, "record on line 2 is longer than 16 bytes", "1:ok\n"},
    {"ok\na,b,c,d,e,f,g,h,i\n", ERR_TOO_BIG, "record on line 2 is longer than 16 bytes", "1:ok\n"},
};

START_TEST(errors_name_the_line_in_every_chunking)
{
    const CsvBadCase *c = &bad_cases[_i];

    for (size_t k = 0; k < sizeof(chunk_sizes) / sizeof(chunk_sizes[0]); k++) {
        Error err;
        ErrKind rc = read_csv(c->input, strlen(c->input), chunk_sizes[k], 16, &err);

        ck_assert_msg(rc == c->kind, "case %d chunk %zu: kind %d", _i, chunk_sizes[k], (int)rc);
        ck_assert_str_eq(err.message, c->message);
        ck_assert_str_eq(dynbuf_str(&seen), c->before);
    }
}
END_TEST

START_TEST(a_record_exactly_at_the_cap_is_accepted)
{
    Error err;

    /* The cap counts the comma: 15 bytes and one comma. */
    ck_assert_int_eq(read_csv("0123456,89abcdef\n", 17, 1, 16, &err), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&seen), "1:0123456|89abcdef\n");
    ck_assert_int_eq(read_csv(",,,,,,,,,,,,,,,,\n", 17, 1, 16, &err), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&seen), "1:||||||||||||||||\n");
}
END_TEST

START_TEST(the_callback_error_stops_the_reader)
{
    CsvReader *r = csv_new(1024, collect, NULL);
    Error err;

    dynbuf_free(&seen);
    dynbuf_init(&seen, 1024);
    records = 0;
    stop_at = 2;
    ck_assert_int_eq(csv_feed(r, "a\nb\nc\n", 6, &err), ERR_DATA);
    ck_assert_str_eq(err.message, "stopped at record 2");
    ck_assert_str_eq(dynbuf_str(&seen), "1:a\n");
    ck_assert_int_eq(csv_feed(r, "d\n", 2, &err), ERR_DATA);
    ck_assert_int_eq(csv_finish(r, &err), ERR_DATA);
    ck_assert_int_eq(records, 2);
    stop_at = 0;
    csv_free(r);
    csv_free(NULL);
}
END_TEST

START_TEST(the_line_counter_follows_the_input)
{
    CsvReader *r = csv_new(1024, collect, NULL);
    Error err;

    dynbuf_free(&seen);
    dynbuf_init(&seen, 1024);
    ck_assert_int_eq(csv_line(r), 1);
    ck_assert_int_eq(csv_feed(r, "a\r\n\"b\r\nc\"\n", 10, &err), ERR_OK);
    ck_assert_int_eq(csv_line(r), 4);
    ck_assert_int_eq(csv_finish(r, &err), ERR_OK);
    ck_assert_str_eq(dynbuf_str(&seen), "1:a\n2:b\r\nc\n");
    csv_free(r);
}
END_TEST

static Suite *
csv_suite(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("reading");

    tcase_add_loop_test(tc, records_are_read_in_every_chunking, 0,
                        (int)(sizeof(good_cases) / sizeof(good_cases[0])));
    tcase_add_test(tc, nul_bytes_are_kept_in_fields);
    tcase_add_test(tc, a_record_exactly_at_the_cap_is_accepted);
    tcase_add_test(tc, the_line_counter_follows_the_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, errors_name_the_line_in_every_chunking, 0,
                        (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_test(tc, the_callback_error_stops_the_reader);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(csv_suite)
