/*
 * tests/unit/util/test_log.c
 *     Levels, formats, context and redaction of the logger.
 */
#include "centra/log.h"

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/error.h"
#include "testutil.h"

static void
setup(void)
{
    log_set_level(LOG_LEVEL_INFO);
    log_set_format(LOG_FORMAT_TEXT);
    log_context_clear();
    log_clear_secrets();
}

static void
teardown(void)
{
    log_clear_secrets();
}

static bool
matches(const char *text, const char *pattern)
{
    regex_t re;
    int rc;

    ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE), 0);
    rc = regexec(&re, text, 0, NULL, 0);
    regfree(&re);
    return rc == 0;
}

static int evaluated;

static const char *
count_evaluation(void)
{
    evaluated++;
    return "x";
}

/* --- levels --------------------------------------------------------------- */

START_TEST(messages_above_the_threshold_are_dropped)
{
    char *out;

    log_capture_begin();
    log_info("shown %d", 1);
    log_detail("hidden %d", 2);
    log_debug("hidden %d", 3);
    log_warn("shown %d", 4);
    out = log_capture_end();
    ck_assert_contains(out, "INFO: shown 1");
    ck_assert_contains(out, "WARNING: shown 4");
    ck_assert_not_contains(out, "hidden");
    free(out);
}
END_TEST

START_TEST(disabled_levels_do_not_evaluate_their_arguments)
{
    char *out;

    evaluated = 0;
    log_capture_begin();
    log_debug("%s", count_evaluation());
    log_trace("%s", count_evaluation());
    ck_assert_int_eq(evaluated, 0);
    log_set_level(LOG_LEVEL_TRACE);
    log_trace("%s", count_evaluation());
    ck_assert_int_eq(evaluated, 1);
    out = log_capture_end();
    free(out);
}
END_TEST

START_TEST(errors_are_logged_even_when_quietest)
{
    char *out;

    log_set_level(LOG_LEVEL_ERROR);
    log_capture_begin();
    log_warn("no");
    log_error("yes");
    out = log_capture_end();
    ck_assert_contains(out, "ERROR: yes");
    ck_assert_not_contains(out, "no");
    free(out);
}
END_TEST

START_TEST(level_names_parse_both_ways)
{
    static const char *const names[] = {"error", "warn", "info", "detail", "debug", "trace"};
    LogLevel l;
    LogFormat f;

    for (int i = 0; i < 6; i++) {
        ck_assert(log_level_parse(names[i], &l));
        ck_assert_int_eq(l, i);
        ck_assert_str_eq(log_level_name(l), names[i]);
    }
    ck_assert(!log_level_parse("verbose", &l));
    ck_assert(!log_level_parse("INFO", &l));
    ck_assert(log_format_parse("json", &f) && f == LOG_FORMAT_JSON);
    ck_assert(log_format_parse("text", &f) && f == LOG_FORMAT_TEXT);
    ck_assert(!log_format_parse("xml", &f));
}
END_TEST

/* --- text format ----------------------------------------------------------- */

START_TEST(text_lines_carry_time_pid_level_and_context)
{
    char *out;

    log_context_set(LOG_CTX_RUN, "r1");
    log_context_set(LOG_CTX_EVENT, "115");
    log_capture_begin();
    log_info("stored event");
    out = log_capture_end();
    ck_assert_msg(matches(out, "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "
                               "UTC \\[[0-9]+\\] INFO: \\[run=r1 event=115\\] stored event$"),
                  "got: %s", out);
    free(out);
}
END_TEST

START_TEST(context_can_be_cleared_per_key)
{
    char *out;

    log_context_set(LOG_CTX_RUN, "r1");
    log_context_set(LOG_CTX_MESSAGE, "7");
    log_context_set(LOG_CTX_MESSAGE, NULL);
    log_capture_begin();
    log_info("m");
    out = log_capture_end();
    ck_assert_contains(out, "[run=r1] m");
    ck_assert_not_contains(out, "message=");
    free(out);
}
END_TEST

static void *
log_from_thread(void *arg)
{
    (void)arg;
    log_context_set(LOG_CTX_EVENT, "9");
    log_warn("from another thread");
    return NULL;
}

START_TEST(the_run_id_is_the_processs_and_event_ids_the_threads)
{
    pthread_t t;
    char *out;

    log_context_set(LOG_CTX_RUN, "r1");
    log_context_set(LOG_CTX_EVENT, "115");
    log_capture_begin();
    ck_assert_int_eq(pthread_create(&t, NULL, log_from_thread, NULL), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    log_info("main thread");
    out = log_capture_end();
    ck_assert_contains(out, "WARNING: [run=r1 event=9] from another thread\n");
    ck_assert_contains(out, "INFO: [run=r1 event=115] main thread\n");
    free(out);
}
END_TEST

START_TEST(errors_print_detail_and_hint_on_their_own_lines)
{
    Error err;
    char *out;

    err_set(&err, ERR_CONFIG, "invalid value");
    err_detail(&err, "Line one.\nLine two.");
    err_hint(&err, "Do this.");
    log_capture_begin();
    log_report(LOG_LEVEL_ERROR, &err);
    out = log_capture_end();
    ck_assert(matches(out, "ERROR: invalid value$"));
    ck_assert(matches(out, "\\]   detail: Line one\\.$"));
    ck_assert(matches(out, "\\]   detail: Line two\\.$"));
    ck_assert(matches(out, "\\]   hint: Do this\\.$"));
    free(out);
}
END_TEST

START_TEST(an_outage_waited_out_is_a_warning_with_its_detail_and_hint)
{
    Error err;
    char *out;

    err_set(&err, ERR_DB_TIMEOUT, "statement timed out after 5min and was cancelled");
    err_detail(&err, "Query was: SELECT 1");
    err_hint(&err, "It may also have waited for a lock.");
    log_set_level(LOG_LEVEL_WARN);
    log_capture_begin();
    log_warn_waiting(&err, "trying again in %d ms", 1500);
    out = log_capture_end();
    ck_assert(matches(out, "WARNING: statement timed out after 5min and was cancelled; "
                           "trying again in 1500 ms$"));
    ck_assert(matches(out, "\\]   detail: Query was: SELECT 1$"));
    ck_assert(matches(out, "\\]   hint: It may also have waited for a lock\\.$"));
    free(out);

    log_set_level(LOG_LEVEL_ERROR);
    log_capture_begin();
    log_warn_waiting(&err, "trying again");
    out = log_capture_end();
    ck_assert_str_eq(out, "");
    free(out);
}
END_TEST

START_TEST(multi_line_messages_get_a_prefix_per_line)
{
    char *out;

    log_capture_begin();
    log_info("first\nsecond");
    out = log_capture_end();
    ck_assert(matches(out, "INFO: first$"));
    ck_assert(matches(out, "^[0-9-]+ [0-9:.]+ UTC \\[[0-9]+\\] INFO: second$"));
    free(out);
}
END_TEST

START_TEST(a_message_too_long_to_print_is_replaced_not_cut)
{
    size_t n = 5u * 1024 * 1024;
    char *big = xmalloc(n + 1);
    char *out;

    memset(big, 'a', n);
    big[n] = '\0';
    log_capture_begin();
    log_info("%s", big);
    out = log_capture_end();
    ck_assert_contains(out, "(log message too long to print)");
    ck_assert_uint_lt(strlen(out), 200);
    free(out);
    xfree(big);
}
END_TEST

/* --- the log file ------------------------------------------------------------ */

#define REOPEN_LINES 3000

static void *
write_lines(void *arg)
{
    (void)arg;
    for (int i = 0; i < REOPEN_LINES; i++)
        log_info("line %d", i);
    return NULL;
}

/*
 * SIGHUP reopens the log file on the main thread while the daemon's metrics
 * thread may be writing (found in a CLI audit: the writer used the FILE that
 * log_reopen had just closed).  Every line arrives in the file, whole.
 */
START_TEST(reopening_the_file_while_another_thread_writes_loses_no_line)
{
    char dir[] = "/tmp/cb-log-XXXXXX";
    char path[64];
    char line[256];
    pthread_t writer;
    Error err;
    FILE *in;
    int lines = 0;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/bridge.log", dir);
    ck_assert_int_eq(log_open_file(path, &err), ERR_OK);
    ck_assert_int_eq(pthread_create(&writer, NULL, write_lines, NULL), 0);
    for (int i = 0; i < 2000; i++)
        log_reopen();
    ck_assert_int_eq(pthread_join(writer, NULL), 0);
    log_close_file();
    in = fopen(path, "r");
    ck_assert_ptr_nonnull(in);
    while (fgets(line, sizeof(line), in) != NULL) {
        ck_assert(matches(line, "^[0-9-]+ [0-9:.]+ UTC \\[[0-9]+\\] INFO: line [0-9]+$"));
        lines++;
    }
    fclose(in);
    ck_assert_int_eq(remove(path), 0);
    ck_assert_int_eq(rmdir(dir), 0);
    ck_assert_int_eq(lines, REOPEN_LINES);
}
END_TEST

/* --- JSON format ----------------------------------------------------------- */

START_TEST(json_lines_hold_every_field)
{
    Error err;
    char *out;

    log_set_format(LOG_FORMAT_JSON);
    log_context_set(LOG_CTX_RUN, "r9");
    log_context_set(LOG_CTX_MESSAGE, "12");
    err_set(&err, ERR_DB_QUERY, "failed \"quoted\"");
    err_detail(&err, "tab\there\nnewline");
    err_hint(&err, "back\\slash");
    log_capture_begin();
    log_report(LOG_LEVEL_ERROR, &err);
    out = log_capture_end();
    ck_assert(matches(out, "^\\{\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\",\"level\":"
                           "\"error\",\"pid\":[0-9]+,\"run_id\":\"r9\",\"message_id\":\"12\","));
    ck_assert_contains(out, "\"message\":\"failed \\\"quoted\\\"\"");
    ck_assert_contains(out, "\"detail\":\"tab\\there\\nnewline\"");
    ck_assert_contains(out, "\"hint\":\"back\\\\slash\"}\n");
    /* One line per record. */
    ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
    free(out);
}
END_TEST

START_TEST(json_output_stays_valid_utf8)
{
    char *out;

    log_set_format(LOG_FORMAT_JSON);
    log_capture_begin();
    log_info("bad \xff byte, good \xc3\xa5, control \x01");
    out = log_capture_end();
    ck_assert_contains(out, "bad \xEF\xBF\xBD byte, good \xc3\xa5, control \\u0001");
    free(out);
}
END_TEST

/* --- redaction ------------------------------------------------------------- */

START_TEST(registered_secrets_never_reach_any_field)
{
    Error err;
    char *out;

    log_add_secret("hunter2");
    log_context_set(LOG_CTX_EVENT, "hunter2");
    err_set(&err, ERR_DB_AUTH, "login hunter2 failed, hunter2 again");
    err_detail(&err, "detail hunter2");
    err_hint(&err, "hint hunter2");
    for (int f = 0; f < 2; f++) {
        log_set_format(f == 0 ? LOG_FORMAT_TEXT : LOG_FORMAT_JSON);
        log_capture_begin();
        log_report(LOG_LEVEL_ERROR, &err);
        log_info("plain hunter2");
        out = log_capture_end();
        ck_assert_not_contains(out, "hunter2");
        ck_assert_contains(out, "login <redacted> failed, <redacted> again");
        free(out);
    }
}
END_TEST

START_TEST(secrets_with_json_special_characters_are_redacted_before_escaping)
{
    char *out;

    log_add_secret("p\"w\\d");
    log_set_format(LOG_FORMAT_JSON);
    log_capture_begin();
    log_info("x p\"w\\d y");
    out = log_capture_end();
    ck_assert_contains(out, "x <redacted> y");
    ck_assert_not_contains(out, "w\\\\d");
    free(out);
}
END_TEST

typedef struct RedactCase {
    const char *in;       /* text logged */
    const char *expected; /* after redaction */
} RedactCase;

static const RedactCase redact_cases[] = {
    {"postgresql://bob:s3cret@db:5432/x", "postgresql://bob:<redacted>@db:5432/x"},
    {"url postgres://bob:p@ss@db/x end", "url postgres://bob:<redacted>@db/x end"},
    {"https://example.centra.com/ams/api", "https://example.centra.com/ams/api"},
    {"postgresql://bob@db/x", "postgresql://bob@db/x"},
    {"http://u:pw@h/p?q=1 and https://v:pw2@i", "http://u:<redacted>@h/p?q=1 and "
                                                "https://v:<redacted>@i"},
    {"host=db password=hunter2 dbname=x", "host=db password=<redacted> dbname=x"},
    {"password='a b\\'c' user=x", "password=<redacted> user=x"},
    {"password = spaced user=x", "password = <redacted> user=x"},
    {"mypassword=abc", "mypassword=abc"},
    {"postgresql://db/x?password=abc&sslmode=require",
     "postgresql://db/x?password=<redacted>&sslmode=require"},
    {"password authentication failed for user \"bob\"",
     "password authentication failed for user \"bob\""},
    {"postgresql://u:pa#ss@h/db", "postgresql://u:<redacted>@h/db"},
    {"postgresql://u:pa?ss@h/db?sslmode=require", "postgresql://u:<redacted>@h/db?sslmode=require"},
    {"password=se\\ cret user=x", "password=<redacted> user=x"},
    {"", ""},
};

START_TEST(urls_and_conninfo_passwords_are_masked)
{
    const RedactCase *c = &redact_cases[_i];
    char *got = log_redact(c->in);

    ck_assert_msg(strcmp(got, c->expected) == 0, "redact(\"%s\") = \"%s\", want \"%s\"", c->in, got,
                  c->expected);
    xfree(got);
}
END_TEST

START_TEST(short_secrets_are_redacted_as_whole_words_only)
{
    char *got;

    log_add_secret("e");
    log_add_secret("abc");
    got = log_redact("database schema is up to date; password e; abc, xabc, abcd, abc.");
    ck_assert_str_eq(got, "database schema is up to date; password <redacted>; <redacted>, "
                          "xabc, abcd, <redacted>.");
    xfree(got);
}
END_TEST

START_TEST(secret_registration_is_bounded_and_deduplicated)
{
    char name[32];
    char *got;

    for (int i = 0; i < 70; i++) {
        snprintf(name, sizeof(name), "secret%02d", i);
        log_add_secret(name);
        log_add_secret(name);
    }
    log_add_secret("");
    log_add_secret(NULL);
    got = log_redact("secret00 secret63 secret64");
    /* The first 64 are kept; registering more is a documented no-op. */
    ck_assert_str_eq(got, "<redacted> <redacted> secret64");
    xfree(got);
}
END_TEST

/* Found in review: an answer that quotes the password escapes it. */
START_TEST(secrets_are_redacted_in_their_xml_and_percent_encoded_forms)
{
    char *got;

    log_add_secret("Pa55%w&<x>\"'");
    got = log_redact("a Pa55%w&amp;&lt;x&gt;\"' b Pa55%w&amp;&lt;x&gt;&quot;&apos; c "
                     "Pa55%25w%26%3Cx%3E%22%27 d Pa55%w&<x>\"' e");
    ck_assert_str_eq(got, "a <redacted> b <redacted> c <redacted> d <redacted> e");
    xfree(got);
}
END_TEST

/*
 * Found in review: the password replaced first, the URL's userinfo ended at
 * the "<" of "<redacted>", and what followed an "@" in the password stayed.
 */
START_TEST(a_password_holding_an_at_sign_is_masked_whole_in_a_url)
{
    char *got;

    log_add_secret("S3cr3t");
    got = log_redact("postgresql://bridge:S3cr3t@Pa55@127.0.0.1:5432/postgres");
    ck_assert_str_eq(got, "postgresql://bridge:<redacted>@127.0.0.1:5432/postgres");
    xfree(got);
}
END_TEST

static Suite *
log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *levels = tcase_create("levels");
    TCase *text = tcase_create("text");
    TCase *json = tcase_create("json");
    TCase *redact = tcase_create("redaction");
    TCase *all[] = {levels, text, json, redact};

    for (size_t i = 0; i < CB_LENGTH(all); i++)
        tcase_add_checked_fixture(all[i], setup, teardown);
    tcase_add_test(levels, messages_above_the_threshold_are_dropped);
    tcase_add_test(levels, disabled_levels_do_not_evaluate_their_arguments);
    tcase_add_test(levels, errors_are_logged_even_when_quietest);
    tcase_add_test(levels, level_names_parse_both_ways);
    tcase_add_test(text, text_lines_carry_time_pid_level_and_context);
    tcase_add_test(text, context_can_be_cleared_per_key);
    tcase_add_test(text, the_run_id_is_the_processs_and_event_ids_the_threads);
    tcase_add_test(text, errors_print_detail_and_hint_on_their_own_lines);
    tcase_add_test(text, an_outage_waited_out_is_a_warning_with_its_detail_and_hint);
    tcase_add_test(text, multi_line_messages_get_a_prefix_per_line);
    tcase_add_test(text, a_message_too_long_to_print_is_replaced_not_cut);
    tcase_add_test(text, reopening_the_file_while_another_thread_writes_loses_no_line);
    tcase_add_test(json, json_lines_hold_every_field);
    tcase_add_test(json, json_output_stays_valid_utf8);
    tcase_add_test(redact, registered_secrets_never_reach_any_field);
    tcase_add_test(redact, secrets_with_json_special_characters_are_redacted_before_escaping);
    tcase_add_loop_test(redact, urls_and_conninfo_passwords_are_masked, 0,
                        (int)CB_LENGTH(redact_cases));
    tcase_add_test(redact, short_secrets_are_redacted_as_whole_words_only);
    tcase_add_test(redact, secret_registration_is_bounded_and_deduplicated);
    tcase_add_test(redact, secrets_are_redacted_in_their_xml_and_percent_encoded_forms);
    tcase_add_test(redact, a_password_holding_an_at_sign_is_masked_whole_in_a_url);
    suite_add_tcase(s, levels);
    suite_add_tcase(s, text);
    suite_add_tcase(s, json);
    suite_add_tcase(s, redact);
    return s;
}

CB_TEST_MAIN(log_suite)
