/*
 * tests/unit/config/test_config.c
 *     The settings table, validation with exact messages, the file reader,
 *     precedence, and secrets.
 */
#include "centra/config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/log.h"
#include "testutil.h"

static char tmpdir[64];
static Config *cfg;
static Error err;

static void
setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/cb-config-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    log_clear_secrets();
    log_set_level(LOG_LEVEL_INFO);
    cfg = config_new();
    err_reset(&err);
}

static void
teardown(void)
{
    char cmd[128];

    config_free(cfg);
    cfg = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    for (int i = 0; i < CONFIG_KEY_COUNT_; i++)
        unsetenv(config_def((ConfigKey)i)->env);
    unsetenv("CENTRA_PASSWROD");
    unsetenv("CENTRA_SOMETHING_ELSE");
    log_clear_secrets();
}

/* Write a config file with the given mode; returns its path (static). */
static const char *
write_file(const char *contents, size_t len, mode_t mode)
{
    static char path[128];
    int fd;

    snprintf(path, sizeof(path), "%s/bridge.conf", tmpdir);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq((int)write(fd, contents, len), (int)len);
    close(fd);
    ck_assert_int_eq(chmod(path, mode), 0);
    return path;
}

static const char *
write_text(const char *contents, mode_t mode)
{
    return write_file(contents, strlen(contents), mode);
}

/* --- the table ------------------------------------------------------------ */

START_TEST(every_setting_is_fully_described)
{
    for (int i = 0; i < CONFIG_KEY_COUNT_; i++) {
        const ConfigDef *d = config_def((ConfigKey)i);
        char lower[64];
        size_t n = strlen(d->env);

        ck_assert_uint_lt(n, sizeof(lower));
        for (size_t j = 0; j <= n; j++)
            lower[j] = (char)(d->env[j] >= 'A' && d->env[j] <= 'Z' ? d->env[j] + 32 : d->env[j]);
        ck_assert_str_eq(d->key, lower);
        ck_assert_int_gt((int)strlen(d->help), 10);
        if (d->type == CONFIG_TYPE_ENUM)
            ck_assert_ptr_nonnull(d->choices);
        if (d->type == CONFIG_TYPE_INT || d->type == CONFIG_TYPE_DURATION)
            ck_assert_int_lt(d->min, d->max);
    }
    ck_assert_ptr_null(config_def(CONFIG_KEY_COUNT_));
}
END_TEST

START_TEST(the_contract_names_exist)
{
    static const char *const contract[] = {"CENTRA_URL", "CENTRA_USERNAME", "CENTRA_PASSWORD",
                                           "CENTRA_FLAVOR", "DATABASE_URL"};

    for (size_t i = 0; i < CB_LENGTH(contract); i++) {
        bool found = false;

        for (int k = 0; k < CONFIG_KEY_COUNT_; k++)
            found |= strcmp(config_def((ConfigKey)k)->env, contract[i]) == 0;
        ck_assert_msg(found, "%s missing", contract[i]);
    }
}
END_TEST

START_TEST(only_the_password_is_secret)
{
    for (int i = 0; i < CONFIG_KEY_COUNT_; i++)
        ck_assert_int_eq((config_def((ConfigKey)i)->flags & CONFIG_FLAG_SECRET) != 0,
                         i == CONFIG_CENTRA_PASSWORD);
}
END_TEST

START_TEST(defaults_apply_without_any_source)
{
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CENTRA_FLAVOR), "soap");
    ck_assert_int_eq(config_get_int(cfg, CONFIG_CENTRA_FLAVOR), 0);
    ck_assert_ptr_null(config_get_str(cfg, CONFIG_CENTRA_URL));
    ck_assert_ptr_null(config_get_str(cfg, CONFIG_DATABASE_URL));
    ck_assert_int_eq(config_get_int(cfg, CONFIG_DB_CONNECT_TIMEOUT), 10000);
    ck_assert_int_eq(config_get_int(cfg, CONFIG_DB_STATEMENT_TIMEOUT), 300000);
    ck_assert_int_eq(config_get_int(cfg, CONFIG_DB_RETRIES), 5);
    ck_assert_int_eq(config_get_source(cfg, CONFIG_CENTRA_FLAVOR), CONFIG_SOURCE_DEFAULT);
    ck_assert_str_eq(config_get_origin(cfg, CONFIG_CENTRA_FLAVOR), "the default");
}
END_TEST

/* --- invalid values: exact messages --------------------------------------- */

typedef struct InvalidCase {
    ConfigKey key;       /* setting */
    const char *value;   /* bad value, from CENTRA_... in the environment */
    const char *message; /* expected primary message */
    const char *detail;  /* expected detail */
} InvalidCase;

#define FROM_ENV(var) " The value comes from environment variable " var "."
#define DURATION_RANGE(lo, hi)                                                                     \
    "Valid values are durations between " lo " and " hi ", written as a whole number with an "     \
    "optional unit ms, s, min or h (no unit means seconds)."

static const InvalidCase invalid_cases[] = {
    {CONFIG_CENTRA_FLAVOR, "foo", "invalid value for setting \"centra_flavor\": \"foo\"",
     "Valid values are \"soap\" and \"navision\"." FROM_ENV("CENTRA_FLAVOR")},
    {CONFIG_LOG_LEVEL, "verbose", "invalid value for setting \"centra_log_level\": \"verbose\"",
     "Valid values are \"error\", \"warn\", \"info\", \"detail\", \"debug\" and "
     "\"trace\"." FROM_ENV("CENTRA_LOG_LEVEL")},
    {CONFIG_LOG_FORMAT, "xml", "invalid value for setting \"centra_log_format\": \"xml\"",
     "Valid values are \"text\" and \"json\"." FROM_ENV("CENTRA_LOG_FORMAT")},
    {CONFIG_DB_RETRIES, "-1", "invalid value for setting \"centra_db_retries\": \"-1\"",
     "Valid values are integers between 0 and 1000." FROM_ENV("CENTRA_DB_RETRIES")},
    {CONFIG_DB_RETRIES, "1001", "invalid value for setting \"centra_db_retries\": \"1001\"",
     "Valid values are integers between 0 and 1000." FROM_ENV("CENTRA_DB_RETRIES")},
    {CONFIG_DB_RETRIES, "five", "invalid value for setting \"centra_db_retries\": \"five\"",
     "Valid values are integers between 0 and 1000." FROM_ENV("CENTRA_DB_RETRIES")},
    {CONFIG_DB_RETRIES, "5 ", "invalid value for setting \"centra_db_retries\": \"5 \"",
     "Valid values are integers between 0 and 1000." FROM_ENV("CENTRA_DB_RETRIES")},
    {CONFIG_DB_CONNECT_TIMEOUT, "500ms",
     "invalid value for setting \"centra_db_connect_timeout\": \"500ms\"",
     DURATION_RANGE("1s", "10min") FROM_ENV("CENTRA_DB_CONNECT_TIMEOUT")},
    {CONFIG_DB_CONNECT_TIMEOUT, "10 s",
     "invalid value for setting \"centra_db_connect_timeout\": \"10 s\"",
     DURATION_RANGE("1s", "10min") FROM_ENV("CENTRA_DB_CONNECT_TIMEOUT")},
    {CONFIG_DB_STATEMENT_TIMEOUT, "25h",
     "invalid value for setting \"centra_db_statement_timeout\": \"25h\"",
     DURATION_RANGE("0s", "24h") FROM_ENV("CENTRA_DB_STATEMENT_TIMEOUT")},
    {CONFIG_DB_RETRY_DELAY, "5ms", "invalid value for setting \"centra_db_retry_delay\": \"5ms\"",
     DURATION_RANGE("10ms", "10min") FROM_ENV("CENTRA_DB_RETRY_DELAY")},
    {CONFIG_CENTRA_URL, "ftp://x.centra.com/api",
     "invalid value for setting \"centra_url\": \"ftp://x.centra.com/api\"",
     "The URL must start with \"https://\" or \"http://\"." FROM_ENV("CENTRA_URL")},
    {CONFIG_CENTRA_URL, "https:///api",
     "invalid value for setting \"centra_url\": \"https:///api\"",
     "The URL must name a host and may not contain spaces." FROM_ENV("CENTRA_URL")},
    {CONFIG_CENTRA_URL, "https://x.centra.com/a b",
     "invalid value for setting \"centra_url\": \"https://x.centra.com/a b\"",
     "The URL must name a host and may not contain spaces." FROM_ENV("CENTRA_URL")},
    {CONFIG_CENTRA_URL, "https://bob:hunter2@x.centra.com/api",
     "invalid value for setting \"centra_url\": \"https://bob:<redacted>@x.centra.com/api\"",
     "The URL may not contain a user name or password." FROM_ENV("CENTRA_URL")},
    {CONFIG_METRICS_LISTEN, "nope", "invalid value for setting \"centra_metrics_listen\": \"nope\"",
     "Write ADDRESS:PORT with an IPv4 address and a port from 0 to 65535, e.g. 127.0.0.1:9470 "
     "(port 0: any free port)." FROM_ENV("CENTRA_METRICS_LISTEN")},
    {CONFIG_METRICS_LISTEN, "127.0.0.1:99999",
     "invalid value for setting \"centra_metrics_listen\": \"127.0.0.1:99999\"",
     "Write ADDRESS:PORT with an IPv4 address and a port from 0 to 65535, e.g. 127.0.0.1:9470 "
     "(port 0: any free port)." FROM_ENV("CENTRA_METRICS_LISTEN")},
    {CONFIG_METRICS_LISTEN, "metrics.example:9470",
     "invalid value for setting \"centra_metrics_listen\": \"metrics.example:9470\"",
     "The address must be an IPv4 address (or localhost): 127.0.0.1 to serve this machine only, "
     "or the address of one of its interfaces." FROM_ENV("CENTRA_METRICS_LISTEN")},
    /* Control characters are written out: a newline would start what looks like a log line. */
    {CONFIG_CENTRA_FLAVOR, "soap\n2026-01-01 00:00:00 UTC [1] ERROR: x\t\r\x01\x7f",
     "invalid value for setting \"centra_flavor\": "
     "\"soap\\n2026-01-01 00:00:00 UTC [1] ERROR: x\\t\\r\\x01\\x7F\"",
     "Valid values are \"soap\" and \"navision\"." FROM_ENV("CENTRA_FLAVOR")},
};

START_TEST(invalid_values_are_refused_with_exact_messages)
{
    const InvalidCase *c = &invalid_cases[_i];
    const ConfigDef *d = config_def(c->key);

    ck_assert_int_eq(setenv(d->env, c->value, 1), 0);
    ck_assert_int_eq(config_load_env(cfg, &err), ERR_CONFIG);
    ck_assert_int_eq(err.kind, ERR_CONFIG);
    ck_assert_str_eq(err.message, c->message);
    ck_assert_str_eq(err.detail, c->detail);
    ck_assert_int_eq(err_exit_code(err.kind), 78);
}
END_TEST

START_TEST(a_url_with_credentials_gets_a_hint)
{
    ck_assert_int_eq(
        config_set(cfg, CONFIG_CENTRA_URL, "https://u:p@h/x", CONFIG_SOURCE_CLI, "test", &err),
        ERR_CONFIG);
    ck_assert_str_eq(err.hint,
                     "Set the user name in CENTRA_USERNAME and the password in CENTRA_PASSWORD.");
}
END_TEST

START_TEST(long_bad_values_are_shortened_in_messages)
{
    char value[400];

    memset(value, 'z', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    ck_assert_int_eq(config_set(cfg, CONFIG_CENTRA_FLAVOR, value, CONFIG_SOURCE_CLI, "test", &err),
                     ERR_CONFIG);
    ck_assert_uint_lt(strlen(err.message), 200);
    ck_assert_contains(err.message, "zzz...\"");
    /* Written out, a control character counts as what is shown. */
    memset(value, '\n', sizeof(value) - 1);
    ck_assert_int_eq(config_set(cfg, CONFIG_CENTRA_FLAVOR, value, CONFIG_SOURCE_CLI, "test", &err),
                     ERR_CONFIG);
    ck_assert_uint_lt(strlen(err.message), 200);
    ck_assert_contains(err.message, "\\n\\n...\"");
    ck_assert_ptr_null(strchr(err.message, '\n'));
}
END_TEST

START_TEST(a_failed_set_keeps_the_previous_value)
{
    ck_assert_int_eq(config_set(cfg, CONFIG_DB_RETRIES, "7", CONFIG_SOURCE_ENV, "e", &err), ERR_OK);
    ck_assert_int_eq(config_set(cfg, CONFIG_DB_RETRIES, "x", CONFIG_SOURCE_CLI, "c", &err),
                     ERR_CONFIG);
    ck_assert_int_eq(config_get_int(cfg, CONFIG_DB_RETRIES), 7);
    ck_assert_str_eq(config_get_origin(cfg, CONFIG_DB_RETRIES), "e");
}
END_TEST

/* --- valid values ---------------------------------------------------------- */

START_TEST(values_are_normalised)
{
    ck_assert_int_eq(
        config_set(cfg, CONFIG_CENTRA_FLAVOR, "NaviSion", CONFIG_SOURCE_CLI, "t", &err), ERR_OK);
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CENTRA_FLAVOR), "navision");
    ck_assert_int_eq(config_get_int(cfg, CONFIG_CENTRA_FLAVOR), 1);
    ck_assert_int_eq(
        config_set(cfg, CONFIG_DB_STATEMENT_TIMEOUT, "2min", CONFIG_SOURCE_CLI, "t", &err), ERR_OK);
    ck_assert_int_eq(config_get_int(cfg, CONFIG_DB_STATEMENT_TIMEOUT), 120000);
    ck_assert_int_eq(
        config_set(cfg, CONFIG_DB_STATEMENT_TIMEOUT, "0", CONFIG_SOURCE_CLI, "t", &err), ERR_OK);
    ck_assert_int_eq(config_get_int(cfg, CONFIG_DB_STATEMENT_TIMEOUT), 0);
    ck_assert_int_eq(
        config_set(cfg, CONFIG_METRICS_LISTEN, "localhost:0", CONFIG_SOURCE_CLI, "t", &err),
        ERR_OK);
    ck_assert_str_eq(config_get_str(cfg, CONFIG_METRICS_LISTEN), "localhost:0");
}
END_TEST

START_TEST(an_empty_value_restores_the_default)
{
    ck_assert_int_eq(
        config_set(cfg, CONFIG_CENTRA_FLAVOR, "navision", CONFIG_SOURCE_FILE, "f", &err), ERR_OK);
    ck_assert_int_eq(config_set(cfg, CONFIG_CENTRA_FLAVOR, "", CONFIG_SOURCE_CLI, "c", &err),
                     ERR_OK);
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CENTRA_FLAVOR), "soap");
    ck_assert_int_eq(
        config_set(cfg, CONFIG_CENTRA_URL, "https://h/x", CONFIG_SOURCE_FILE, "f", &err), ERR_OK);
    ck_assert_int_eq(config_set(cfg, CONFIG_CENTRA_URL, NULL, CONFIG_SOURCE_CLI, "c", &err),
                     ERR_OK);
    ck_assert_ptr_null(config_get_str(cfg, CONFIG_CENTRA_URL));
}
END_TEST

START_TEST(an_empty_value_in_a_file_is_the_default_and_says_so)
{
    const char *path = write_text("centra_flavor = navision\n"
                                  "centra_export_batch_size =\n"
                                  "centra_ca_file = \"\"\n",
                                  0600);
    char expect[512];

    ck_assert_int_eq(config_load_file(cfg, path, &err), ERR_OK);
    ck_assert_int_eq(config_get_int(cfg, CONFIG_EXPORT_BATCH_SIZE), 100);
    ck_assert_int_eq(config_get_source(cfg, CONFIG_EXPORT_BATCH_SIZE), CONFIG_SOURCE_DEFAULT);
    snprintf(expect, sizeof(expect), "the default (empty in config file \"%s\" line 2)", path);
    ck_assert_str_eq(config_get_origin(cfg, CONFIG_EXPORT_BATCH_SIZE), expect);
    ck_assert_ptr_null(config_get_str(cfg, CONFIG_CA_FILE));
    snprintf(expect, sizeof(expect), "the default (empty in config file \"%s\" line 3)", path);
    ck_assert_str_eq(config_get_origin(cfg, CONFIG_CA_FILE), expect);
    ck_assert_int_eq(config_get_source(cfg, CONFIG_CENTRA_FLAVOR), CONFIG_SOURCE_FILE);
}
END_TEST

START_TEST(empty_environment_variables_are_ignored)
{
    ck_assert_int_eq(
        config_set(cfg, CONFIG_CENTRA_URL, "https://h/x", CONFIG_SOURCE_FILE, "f", &err), ERR_OK);
    setenv("CENTRA_URL", "", 1);
    ck_assert_int_eq(config_load_env(cfg, &err), ERR_OK);
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CENTRA_URL), "https://h/x");
}
END_TEST

/* --- precedence ----------------------------------------------------------- */

START_TEST(file_then_environment_then_command_line)
{
    const char *path = write_text("centra_flavor = navision\n"
                                  "centra_db_retries = 3\n"
                                  "centra_log_level = debug\n",
                                  0600);

    setenv("CENTRA_DB_RETRIES", "9", 1);
    ck_assert_int_eq(config_load_file(cfg, path, &err), ERR_OK);
    ck_assert_int_eq(config_load_env(cfg, &err), ERR_OK);
    ck_assert_int_eq(
        config_set(cfg, CONFIG_LOG_LEVEL, "warn", CONFIG_SOURCE_CLI, "option --log-level", &err),
        ERR_OK);
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CENTRA_FLAVOR), "navision");
    ck_assert_int_eq(config_get_source(cfg, CONFIG_CENTRA_FLAVOR), CONFIG_SOURCE_FILE);
    ck_assert_int_eq(config_get_int(cfg, CONFIG_DB_RETRIES), 9);
    ck_assert_str_eq(config_get_origin(cfg, CONFIG_DB_RETRIES),
                     "environment variable CENTRA_DB_RETRIES");
    ck_assert_str_eq(config_get_str(cfg, CONFIG_LOG_LEVEL), "warn");
    ck_assert_str_eq(config_get_origin(cfg, CONFIG_LOG_LEVEL), "option --log-level");
}
END_TEST

/* --- the file reader ------------------------------------------------------- */

START_TEST(file_syntax_comments_quotes_and_line_endings)
{
    static const char text[] = "\xEF\xBB\xBF# comment line\r\n"
                               "\r\n"
                               "   # indented comment\n"
                               "CENTRA_USERNAME = api-user\r\n"
                               "centra_password=\"  pass # with \\\"quotes\\\" and \\\\  \"  \n"
                               "centra_url =https://x.centra.com/ams/api#frag\n"
                               "centra_flavor = navision";
    const char *path = write_text(text, 0600);

    ck_assert_int_eq(config_load_file(cfg, path, &err), ERR_OK);
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CENTRA_USERNAME), "api-user");
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CENTRA_PASSWORD),
                     "  pass # with \"quotes\" and \\  ");
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CENTRA_URL), "https://x.centra.com/ams/api#frag");
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CENTRA_FLAVOR), "navision");
    {
        char expect[256];

        snprintf(expect, sizeof(expect), "config file \"%s\" line 6", path);
        ck_assert_str_eq(config_get_origin(cfg, CONFIG_CENTRA_URL), expect);
    }
}
END_TEST

/* The quoting of a systemd EnvironmentFile, so that one file can serve as both. */
START_TEST(quotes_are_removed_as_systemd_removes_them)
{
    static const char text[] = "CENTRA_PASSWORD='the SOAP API password'\n"
                               "CENTRA_USERNAME=\"a \\\"b\\\" \\\\ \\$HOME \\`x\\` \\n\"\n"
                               "centra_timezone = 'Europe/\"Stock\\holm\"'  \n"
                               "centra_ca_file = /etc/ssl/it's.pem\n";
    const char *path = write_text(text, 0600);

    ck_assert_int_eq(config_load_file(cfg, path, &err), ERR_OK);
    /* Single quotes: every character inside stands for itself. */
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CENTRA_PASSWORD), "the SOAP API password");
    ck_assert_str_eq(config_get_str(cfg, CONFIG_TIMEZONE), "Europe/\"Stock\\holm\"");
    /* Double quotes: \" \\ \$ \` are that character; any other backslash is kept. */
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CENTRA_USERNAME), "a \"b\" \\ $HOME `x` \\n");
    /* A quote that does not open the value is part of it. */
    ck_assert_str_eq(config_get_str(cfg, CONFIG_CA_FILE), "/etc/ssl/it's.pem");
}
END_TEST

/* tmpl with "{path}" replaced by path, in out. */
static const char *
with_path(const char *tmpl, const char *path, char *out, size_t size)
{
    const char *at = strstr(tmpl, "{path}");

    if (at == NULL)
        snprintf(out, size, "%s", tmpl);
    else
        snprintf(out, size, "%.*s%s%s", (int)(at - tmpl), tmpl, path, at + 6);
    return out;
}

typedef struct FileErrorCase {
    const char *text;    /* file contents */
    const char *message; /* expected message, {path} = the file */
    const char *detail;  /* expected detail, {path} = the file; NULL = not checked */
    const char *hint;    /* expected hint; NULL = not checked */
} FileErrorCase;

static const FileErrorCase file_error_cases[] = {
    {"centra_url = https://h/x\ncentra_password hunter2\n",
     "syntax error in config file \"{path}\" line 2", "The line has no \"=\".",
     "Lines have the form \"key = value\"; whole lines starting with \"#\" are comments."},
    {" = value\n", "syntax error in config file \"{path}\" line 1",
     "The line has no key before \"=\".", NULL},
    /* Found in review: accepted, and refused at use, under the environment variable's name. */
    {"# Latin-1\ncentra_username = J\xf6rg\n", "syntax error in config file \"{path}\" line 2",
     "The line is not valid UTF-8.",
     "Save the file as UTF-8: \"iconv -f LATIN1 -t UTF-8\" converts a Latin-1 file, say."},
    {"centra-url = x\n", "syntax error in config file \"{path}\" line 1",
     "Keys consist of letters, digits and underscores.", NULL},
    {"centra_password = \"unterminated\n", "syntax error in config file \"{path}\" line 1",
     "A quoted value must end with a closing quote and nothing after it.", NULL},
    {"centra_password = \"a\" b\n", "syntax error in config file \"{path}\" line 1",
     "A quoted value must end with a closing quote and nothing after it.", NULL},
    {"centra_password = 'unterminated\n", "syntax error in config file \"{path}\" line 1",
     "A quoted value must end with a closing quote and nothing after it.", NULL},
    {"centra_password = 'a' b\n", "syntax error in config file \"{path}\" line 1",
     "A quoted value must end with a closing quote and nothing after it.", NULL},
    {"CENTRA_PASSWORD='x'\nPGPASSWORD='hunter2'\n",
     "unrecognized setting \"pgpassword\" in config file \"{path}\" line 2",
     "libpq reads its PG* variables (PGPASSWORD, PGHOST, ...) from the environment only, never "
     "from a config file.",
     "Set it in the environment, for example in the systemd EnvironmentFile, or use database_url "
     "or a ~/.pgpass file."},
    {"centra_urll = https://h/x\n",
     "unrecognized setting \"centra_urll\" in config file \"{path}\" line 1", NULL,
     "Did you mean \"centra_url\"?"},
    {"# x\nwhatever = 1\n", "unrecognized setting \"whatever\" in config file \"{path}\" line 2",
     NULL, "Run \"centra-bridge config\" to list the settings."},
    {"centra_url = https://a/x\n\ncentra_url = https://b/x\n",
     "setting \"centra_url\" appears twice in config file \"{path}\"", "Lines 1 and 3 both set it.",
     NULL},
    {"centra_flavor = soap\ncentra_db_retries = lots\n",
     "invalid value for setting \"centra_db_retries\": \"lots\"",
     "Valid values are integers between 0 and 1000. The value comes from config file \"{path}\" "
     "line 2.",
     NULL},
};

START_TEST(file_errors_name_the_file_and_line)
{
    const FileErrorCase *c = &file_error_cases[_i];
    const char *path = write_text(c->text, 0600);
    char expect[512];

    ck_assert_int_eq(config_load_file(cfg, path, &err), ERR_CONFIG);
    ck_assert_str_eq(err.message, with_path(c->message, path, expect, sizeof(expect)));
    if (c->detail != NULL)
        ck_assert_str_eq(err.detail, with_path(c->detail, path, expect, sizeof(expect)));
    if (c->hint != NULL)
        ck_assert_str_eq(err.hint, c->hint);
    /* A line's text is never echoed: it may hold a password. */
    ck_assert_not_contains(err.message, "hunter2");
    ck_assert_not_contains(err.detail, "hunter2");
}
END_TEST

START_TEST(a_missing_file_is_a_config_error)
{
    char path[128];
    char expect[256];

    snprintf(path, sizeof(path), "%s/nope.conf", tmpdir);
    ck_assert_int_eq(config_load_file(cfg, path, &err), ERR_CONFIG);
    snprintf(expect, sizeof(expect), "could not open config file \"%s\": No such file or directory",
             path);
    ck_assert_str_eq(err.message, expect);
}
END_TEST

START_TEST(a_directory_is_not_a_config_file)
{
    char expect[128];

    ck_assert_int_eq(config_load_file(cfg, tmpdir, &err), ERR_CONFIG);
    snprintf(expect, sizeof(expect), "config file \"%s\" is not a regular file", tmpdir);
    ck_assert_str_eq(err.message, expect);
}
END_TEST

START_TEST(binary_and_oversized_files_are_refused)
{
    const char *path = write_file("centra_url = a\0b\n", 17, 0600);
    char expect[256];
    char *big;
    size_t n = 1024 * 1024 + 1;

    ck_assert_int_eq(config_load_file(cfg, path, &err), ERR_CONFIG);
    snprintf(expect, sizeof(expect), "config file \"%s\" contains a NUL byte", path);
    ck_assert_str_eq(err.message, expect);

    big = xmalloc(n);
    memset(big, '#', n);
    path = write_file(big, n, 0600);
    xfree(big);
    ck_assert_int_eq(config_load_file(cfg, path, &err), ERR_CONFIG);
    snprintf(expect, sizeof(expect), "config file \"%s\" is too large", path);
    ck_assert_str_eq(err.message, expect);
    ck_assert_str_eq(err.detail, "The limit is 1048576 bytes.");
}
END_TEST

/* --- secrets --------------------------------------------------------------- */

typedef struct PermCase {
    const char *text; /* contents */
    mode_t mode;      /* permissions */
    bool refused;     /* expect the permission error */
} PermCase;

static const PermCase perm_cases[] = {
    {"centra_password = hunter2\n", 0644, true},
    {"centra_password = hunter2\n", 0640, true},
    {"centra_password = hunter2\n", 0604, true},
    {"centra_password = hunter2\n", 0600, false},
    {"centra_password = hunter2\n", 0400, false},
    {"centra_password =\n", 0644, false},
    {"centra_url = https://h/x\n", 0644, false},
    {"database_url = postgresql://u:pw@db/x\n", 0644, true},
    {"database_url = host=db password=pw\n", 0644, true},
    {"database_url = postgresql://u@db/x\n", 0644, false},
};

START_TEST(a_readable_file_holding_a_password_is_refused)
{
    const PermCase *c = &perm_cases[_i];
    const char *path = write_text(c->text, c->mode);
    char expect[512];
    ErrKind rc = config_load_file(cfg, path, &err);

    if (!c->refused) {
        ck_assert_msg(rc == ERR_OK, "%s", err.message);
        return;
    }
    ck_assert_int_eq(rc, ERR_CONFIG);
    snprintf(expect, sizeof(expect),
             "config file \"%s\" holds a password but is readable by group or others", path);
    ck_assert_str_eq(err.message, expect);
    snprintf(expect, sizeof(expect), "Its permissions are %04o.", (unsigned)c->mode);
    ck_assert_str_eq(err.detail, expect);
    snprintf(expect, sizeof(expect),
             "Make it readable by its owner only (chmod 600 '%s'), or pass the password in the "
             "environment (CENTRA_PASSWORD, or PGPASSWORD or a ~/.pgpass file for the "
             "database).",
             path);
    ck_assert_str_eq(err.hint, expect);
}
END_TEST

START_TEST(the_password_is_registered_for_redaction)
{
    char *out;

    setenv("CENTRA_PASSWORD", "s3cr3t-pw", 1);
    ck_assert_int_eq(config_load_env(cfg, &err), ERR_OK);
    out = log_redact("login with s3cr3t-pw");
    ck_assert_str_eq(out, "login with <redacted>");
    xfree(out);
}
END_TEST

START_TEST(the_dump_never_shows_secrets)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    setenv("CENTRA_PASSWORD", "s3cr3t-pw", 1);
    setenv("DATABASE_URL", "postgresql://bob:dbpw@db/erp", 1);
    ck_assert_int_eq(config_load_env(cfg, &err), ERR_OK);
    config_dump(cfg, f);
    fclose(f);
    ck_assert_not_contains(buf, "s3cr3t-pw");
    ck_assert_not_contains(buf, "dbpw");
    ck_assert_contains(buf, "centra_password");
    ck_assert_contains(buf, "<redacted>");
    ck_assert_contains(buf, "postgresql://bob:<redacted>@db/erp");
    ck_assert_contains(buf, "environment variable DATABASE_URL");
    ck_assert_contains(buf, "(not set)");
    free(buf);
}
END_TEST

START_TEST(the_settings_list_documents_every_setting)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    config_print_settings(f);
    fclose(f);
    for (int i = 0; i < CONFIG_KEY_COUNT_; i++)
        ck_assert_contains(buf, config_def((ConfigKey)i)->env);
    ck_assert_contains(buf, "default: 5; 0 to 1000");
    ck_assert_contains(buf, "default: 10s; 1s to 10min");
    ck_assert_contains(buf, "one of \"soap\" and \"navision\"");
    ck_assert_contains(buf, "no default; secret");
    free(buf);
}
END_TEST

/* --- requirements and unknown variables ------------------------------------ */

START_TEST(a_required_setting_says_how_to_set_it)
{
    ck_assert_int_eq(config_require(cfg, CONFIG_CENTRA_URL, &err), ERR_CONFIG);
    ck_assert_str_eq(err.message, "setting \"centra_url\" is not set");
    ck_assert_str_eq(err.detail, "CENTRA_URL: Centra SOAP endpoint, e.g. "
                                 "https://example.centra.com/ams/system/service/module/soap/api.");
    ck_assert_str_eq(err.hint, "Set the environment variable CENTRA_URL, or \"centra_url\" in the "
                               "file given with --config.");
    ck_assert_int_eq(config_require(cfg, CONFIG_CENTRA_FLAVOR, &err), ERR_OK);
}
END_TEST

START_TEST(unknown_centra_variables_are_warned_about)
{
    char *out;

    setenv("CENTRA_PASSWROD", "x", 1);
    setenv("CENTRA_SOMETHING_ELSE", "y", 1);
    setenv("CENTRA_URL", "https://h/x", 1);
    log_capture_begin();
    ck_assert_int_eq(config_warn_unknown_env(), 2);
    out = log_capture_end();
    ck_assert_contains(out, "WARNING: ignoring unknown environment variable CENTRA_PASSWROD "
                            "(did you mean CENTRA_PASSWORD?)");
    ck_assert_contains(out, "ignoring unknown environment variable CENTRA_SOMETHING_ELSE\n");
    ck_assert_not_contains(out, "CENTRA_URL");
    free(out);
}
END_TEST

static Suite *
config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *table = tcase_create("table");
    TCase *invalid = tcase_create("invalid values");
    TCase *valid = tcase_create("valid values");
    TCase *file = tcase_create("file");
    TCase *secrets = tcase_create("secrets");
    TCase *all[] = {table, invalid, valid, file, secrets};

    for (size_t i = 0; i < CB_LENGTH(all); i++)
        tcase_add_checked_fixture(all[i], setup, teardown);
    tcase_add_test(table, every_setting_is_fully_described);
    tcase_add_test(table, the_contract_names_exist);
    tcase_add_test(table, only_the_password_is_secret);
    tcase_add_test(table, defaults_apply_without_any_source);
    tcase_add_loop_test(invalid, invalid_values_are_refused_with_exact_messages, 0,
                        (int)CB_LENGTH(invalid_cases));
    tcase_add_test(invalid, a_url_with_credentials_gets_a_hint);
    tcase_add_test(invalid, long_bad_values_are_shortened_in_messages);
    tcase_add_test(invalid, a_failed_set_keeps_the_previous_value);
    tcase_add_test(valid, values_are_normalised);
    tcase_add_test(valid, an_empty_value_restores_the_default);
    tcase_add_test(valid, an_empty_value_in_a_file_is_the_default_and_says_so);
    tcase_add_test(valid, empty_environment_variables_are_ignored);
    tcase_add_test(valid, file_then_environment_then_command_line);
    tcase_add_test(valid, a_required_setting_says_how_to_set_it);
    tcase_add_test(valid, unknown_centra_variables_are_warned_about);
    tcase_add_test(file, file_syntax_comments_quotes_and_line_endings);
    tcase_add_test(file, quotes_are_removed_as_systemd_removes_them);
    tcase_add_loop_test(file, file_errors_name_the_file_and_line, 0,
                        (int)CB_LENGTH(file_error_cases));
    tcase_add_test(file, a_missing_file_is_a_config_error);
    tcase_add_test(file, a_directory_is_not_a_config_file);
    tcase_add_test(file, binary_and_oversized_files_are_refused);
    tcase_add_loop_test(secrets, a_readable_file_holding_a_password_is_refused, 0,
                        (int)CB_LENGTH(perm_cases));
    tcase_add_test(secrets, the_password_is_registered_for_redaction);
    tcase_add_test(secrets, the_dump_never_shows_secrets);
    tcase_add_test(secrets, the_settings_list_documents_every_setting);
    suite_add_tcase(s, table);
    suite_add_tcase(s, invalid);
    suite_add_tcase(s, valid);
    suite_add_tcase(s, file);
    suite_add_tcase(s, secrets);
    return s;
}

CB_TEST_MAIN(config_suite)
