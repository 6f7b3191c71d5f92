#!/usr/bin/env bash
# tests/cli/test_cli.sh
#     The command line without a database: help, version, usage errors with
#     their exact messages and exit codes, configuration sources and secrets.
source "$(dirname "$0")/../integration/lib.sh"

# --- help and version ------------------------------------------------------------
run_cb --version
assert_eq 0 "$RC" "--version exits 0"
assert_eq "centra-bridge $CB_VERSION" "$OUT" "--version prints the version"

run_cb --help
assert_eq 0 "$RC" "--help exits 0"
assert_contains "$OUT" "Usage:
  centra-bridge [OPTION]... COMMAND [ARG]..." "--help shows the usage"
program_help=$OUT
for cmd in migrate config help; do
    assert_contains "$program_help" "  $cmd " "--help lists the $cmd command"
    run_cb "$cmd" --help
    assert_eq 0 "$RC" "$cmd --help exits 0"
    assert_contains "$OUT" "Usage: centra-bridge" "$cmd --help shows its usage"
    help_out=$OUT
    run_cb help "$cmd"
    assert_eq "$help_out" "$OUT" "help $cmd prints the same as $cmd --help"
    # An invalid setting does not hide the help, as it does not hide COMMAND --help.
    CENTRA_DB_RETRIES=-1 run_cb help "$cmd"
    assert_eq "0|$help_out" "$RC|$OUT" "help $cmd with an invalid setting still shows it"
done
run_cb --help
for code in 0 1 64 65 66 69 70 74 75 76 77 78; do
    assert_contains "$OUT" "  $code " "--help documents exit status $code"
done
run_cb load --help
for code in 0 1 64 65 66 69 74 78; do
    assert_contains "${OUT//$'\n'/ }" " $code " "load --help documents exit status $code"
done
run_cb run --help
assert_contains "$OUT" "usage error (64), bad credentials (77) or" \
    "run --help: a worker's usage error stops the daemon too, as the code does"
# Every command's help has the same shape: an Options section ending in -h, --help (idmap
# lists its options under each of its subcommands instead).
for cmd in migrate import load export sync run status check outbox idmap demo config; do
    run_cb "$cmd" --help
    [[ ($cmd == idmap || $OUT == *$'\n'"Options:"$'\n'*) &&
        $OUT =~ $'\n'"  -h, --help  "\ +"show this help" ]]
    cb_report $? "$cmd --help has an Options section with -h, --help" "$OUT"
done
run_cb outbox --help
outbox_help=$OUT
assert_contains "$OUT" "      --limit N        list: at most N messages (1 to 1000000, default 100)" \
    "outbox --help gives the range of --limit (as its usage error does)"
run_cb outbox list --help
assert_eq "0|$outbox_help" "$RC|$OUT" "outbox list --help prints the same"
run_cb outbox list --limit 0
assert_contains "$RC|$ERR" '64|centra-bridge: error: invalid --limit "0" (1 to 1000000)' \
    "the range the help gives is the one enforced"
run_cb config --help
assert_contains "$OUT" "CENTRA_URL" "config --help lists the settings"
assert_contains "$OUT" "CENTRA_DB_STATEMENT_TIMEOUT" "config --help lists tuning settings"
poll=$(grep '^  CENTRA_POLL_INTERVAL ' <<<"$OUT")
[[ $poll == *"import --follow: "* && $poll == *"export --follow: "* ]]
cb_report $? "config --help: CENTRA_POLL_INTERVAL bounds both import and export --follow" "$poll"
CENTRA_FLAVOR=broken run_cb migrate --help
assert_eq 0 "$RC" "a command's --help works even with a broken configuration"

# --- usage errors: exit 64, PostgreSQL frontend style -------------------------------
expect_usage() { # DESCRIPTION EXPECTED-STDERR ARG...
    local what=$1 expected=$2
    shift 2
    run_cb "$@"
    assert_eq 64 "$RC" "$what exits 64"
    assert_eq "$expected" "$ERR" "$what says why"
}
expect_usage "no command" 'centra-bridge: error: no command given
centra-bridge: hint: Try "centra-bridge --help" for more information.'
expect_usage "an unknown command" 'centra-bridge: error: unknown command "migrat"
centra-bridge: hint: Did you mean "migrate"?  Try "centra-bridge --help" for the list of commands.' migrat
expect_usage "an unknown command without a near match" 'centra-bridge: error: unknown command "frobnicate"
centra-bridge: hint: Try "centra-bridge --help" for the list of commands.' frobnicate
expect_usage "an unknown option" 'centra-bridge: error: unrecognized option "--bogus"
centra-bridge: hint: Try "centra-bridge --help" for more information.' --bogus migrate
expect_usage "an unknown short option" 'centra-bridge: error: unrecognized option "-x"
centra-bridge: hint: Try "centra-bridge --help" for more information.' -x migrate
expect_usage "an unknown option in a cluster" 'centra-bridge: error: unrecognized option "-x"
centra-bridge: hint: Try "centra-bridge --help" for more information.' --verbose -vx migrate
expect_usage "--config without a file" 'centra-bridge: error: option "--config" requires a value
centra-bridge: hint: Try "centra-bridge --help" for more information.' --config
expect_usage "-c without a file" 'centra-bridge: error: option "-c" requires a value
centra-bridge: hint: Try "centra-bridge --help" for more information.' -c
expect_usage "--config= with an empty file name" 'centra-bridge: error: option "--config" needs a file name
centra-bridge: hint: Try "centra-bridge --help" for more information.' --config= status
expect_usage "demo --dir= with an empty directory" 'centra-bridge: error: option "--dir" needs a directory
centra-bridge: hint: Try "centra-bridge demo --help" for more information.' demo --dir=
expect_usage "a value for a flag" 'centra-bridge: error: option "--version" does not take a value
centra-bridge: hint: Try "centra-bridge --help" for more information.' --version=1
expect_usage "two config files" 'centra-bridge: error: option "--config" given twice ("a.conf", "b.conf")
centra-bridge: hint: Try "centra-bridge --help" for more information.' -c a.conf --config b.conf config
expect_usage "-v with -q" 'centra-bridge: error: options "-v" and "-q" cannot be used together
centra-bridge: hint: Try "centra-bridge --help" for more information.' -v -q migrate
expect_usage "a global option after the command" 'centra-bridge: error: option "-v" must come before the command
centra-bridge: hint: Write "centra-bridge -v migrate ...".' migrate -v
expect_usage "--config=FILE after the command" 'centra-bridge: error: option "--config" must come before the command
centra-bridge: hint: Write "centra-bridge --config=x migrate ...".' migrate --config=x
expect_usage "--config FILE after the command: the hint keeps the file" 'centra-bridge: error: option "--config" must come before the command
centra-bridge: hint: Write "centra-bridge --config prod.conf import ...".' import --once --config prod.conf
expect_usage "-c FILE after the command" 'centra-bridge: error: option "-c" must come before the command
centra-bridge: hint: Write "centra-bridge -c prod.conf status ...".' status -c prod.conf
expect_usage "-vc FILE after the command: the hint keeps the file" 'centra-bridge: error: option "-v" must come before the command
centra-bridge: hint: Write "centra-bridge -vc prod.conf import ...".' import -vc prod.conf --once
expect_usage "-vcFILE after the command" 'centra-bridge: error: option "-v" must come before the command
centra-bridge: hint: Write "centra-bridge -vcprod.conf import ...".' import -vcprod.conf
expect_usage "--log-level after the command, without its value" 'centra-bridge: error: option "--log-level" must come before the command
centra-bridge: hint: Write "centra-bridge --log-level VALUE status ...".' status --log-level
expect_usage "an unknown command option" 'centra-bridge: error: unrecognized option "--force"
centra-bridge: hint: Try "centra-bridge migrate --help" for more information.' migrate --force
expect_usage "an unknown option after idmap import's file (options may follow it)" 'centra-bridge: error: unrecognized option "--bogus"
centra-bridge: hint: Try "centra-bridge idmap --help" for more information.' idmap import a.csv --bogus
expect_usage "idmap import --dry-run without a file" 'centra-bridge: error: import needs a file ("-" for standard input)
centra-bridge: hint: Try "centra-bridge idmap --help" for more information.' idmap import --dry-run
expect_usage "a second file after idmap import's options" 'centra-bridge: error: unexpected argument "b.csv"
centra-bridge: hint: Try "centra-bridge idmap --help" for more information.' idmap import a.csv --dry-run b.csv
expect_usage "an extra argument" 'centra-bridge: error: unexpected argument "now"
centra-bridge: hint: Try "centra-bridge migrate --help" for more information.' migrate now
expect_usage "a password option" 'centra-bridge: error: unrecognized option "--password"
centra-bridge: hint: Try "centra-bridge --help" for more information.' --password=x config
# An argument quoted back is redacted as the log is (found in a CLI audit: only
# --log-format json redacted it).
expect_usage "a URL with a password as an argument" 'centra-bridge: error: unexpected argument "postgresql://u:<redacted>@h/db"
centra-bridge: hint: Try "centra-bridge status --help" for more information.' status postgresql://u:hunter22@h/db
expect_usage "a conninfo password in an option's value" 'centra-bridge: error: option "--config" must come before the command
centra-bridge: hint: Write "centra-bridge --config password=<redacted> status ...".' status --config 'password=hunter22'
expect_usage "help for an unknown command" 'centra-bridge: error: unknown command "nope"
centra-bridge: hint: Try "centra-bridge --help" for the list of commands.' help nope

# A bad value of an option is a usage error like any other; the same value
# from the environment or a config file is a configuration error (below).
expect_usage "an invalid --log-format" 'centra-bridge: error: invalid value for option "--log-format": "xml"
centra-bridge: detail: Valid values are "text" and "json".
centra-bridge: hint: Try "centra-bridge --help" for more information.' --log-format xml config
expect_usage "an invalid --log-level" 'centra-bridge: error: invalid value for option "--log-level": "loud"
centra-bridge: detail: Valid values are "error", "warn", "info", "detail", "debug" and "trace".
centra-bridge: hint: Try "centra-bridge --help" for more information.' --log-level loud status
CENTRA_DB_RETRIES=abc run_cb --log-level loud status
assert_eq 64 "$RC" "a bad option value is reported before a bad setting"

# Under --log-format json (or CENTRA_LOG_FORMAT=json) a usage error is a JSON log line.
run_cb --log-format json --bogus config
assert_eq 64 "$RC" "an unknown option under --log-format json exits 64"
[[ $ERR =~ ^\{\"time\":\"[^\"]+\",\"level\":\"error\",\"pid\":[0-9]+,\"run_id\":\"[0-9a-f]{8}\",\"message\":\"unrecognized\ option\ \\\"--bogus\\\"\",\"hint\":\"Try\ \\\"centra-bridge\ --help\\\"\ for\ more\ information.\"\}$ ]]
cb_report $? "and is one JSON line with the run id" "$ERR"
CENTRA_LOG_FORMAT=json run_cb config --bogus
assert_contains "$RC|$ERR" '64|{"time":' "with CENTRA_LOG_FORMAT=json a command's usage error is JSON too"
assert_contains "$ERR" '"message":"unrecognized option \"--bogus\""' "saying what is wrong"

# --- configuration errors: exit 78 ------------------------------------------------------
CENTRA_LOG_FORMAT=xml run_cb config
assert_eq 78 "$RC" "an invalid CENTRA_LOG_FORMAT exits 78"
assert_contains "$ERR" 'ERROR: [run=' "with the run id, though no run started"
assert_contains "$ERR" '] invalid value for setting "centra_log_format": "xml"' "naming setting and value"
assert_contains "$ERR" 'detail: Valid values are "text" and "json". The value comes from environment variable CENTRA_LOG_FORMAT.' \
    "with the allowed values and the source"
for cmd in config status check migrate; do
    CENTRA_EVENT_TYPES=bogus run_cb "$cmd"
    assert_eq 78 "$RC" "an unknown type in centra_event_types stops $cmd (78), as any invalid setting does"
    assert_contains "$ERR" 'invalid value for setting "centra_event_types": unknown event type "bogus"' \
        "$cmd names the setting"
    assert_contains "$ERR" "The value comes from environment variable CENTRA_EVENT_TYPES." \
        "$cmd says where it was set"
    CENTRA_MARKETS="A,,B" run_cb "$cmd"
    assert_eq 78 "$RC" "an empty id in centra_markets stops $cmd (78)"
    CENTRA_EXPORT_BATCH_SIZE=abc run_cb "$cmd"
    assert_eq 78 "$RC" "as a bad centra_export_batch_size stops $cmd"
done

run_cb --log-format json --config "$cb_tmp/none.conf" config
assert_eq 78 "$RC" "a configuration error with --log-format json exits 78"
assert_contains "$ERR" '{"time":"' "and is logged as JSON"
assert_contains "$ERR" '"level":"error"' "at level error"

CENTRA_DB_RETRIES=-3 run_cb config
assert_eq 78 "$RC" "an out-of-range environment value exits 78"
assert_contains "$ERR" 'Valid values are integers between 0 and 1000. The value comes from environment variable CENTRA_DB_RETRIES.' \
    "with the range"

run_cb --config "$cb_tmp/missing.conf" config
assert_eq 78 "$RC" "a missing config file exits 78"
assert_contains "$ERR" "could not open config file \"$cb_tmp/missing.conf\": No such file or directory" \
    "naming the file"

# demo reads none of the caller's settings, so none of them stops it: "--orders 0" is the
# demo's own usage error (64), reached only when the configuration did not stop it first.
CENTRA_DB_RETRIES=-1 CENTRA_LOG_FILE=/nonexistent/x.log run_cb demo --orders 0
assert_eq "64|" "$RC|$(grep -o 'centra_db_retries\|log file' <<<"$ERR")" \
    "demo ignores an invalid CENTRA_* setting (its own usage error, 64)"
run_cb --config "$cb_tmp/missing.conf" demo --orders 0
assert_eq 64 "$RC" "demo ignores --config, even a missing file" "$ERR"
CENTRA_LOG_FORMAT=json CENTRA_SOMETHING_ELSE=1 run_cb demo --orders 0
assert_eq "64|centra-bridge: error: invalid --orders \"0\" (1 to 100000)" "$RC|$(head -1 <<<"$ERR")" \
    "demo ignores CENTRA_LOG_FORMAT and warns about no CENTRA_* variable"
run_cb --log-format json demo --orders 0
assert_contains "$RC|$ERR" '64|{"time":' "--log-format still applies to demo"

# centra_log_file is created 0600 whatever the umask allows (as logrotate's rule creates it).
old_umask=$(umask)
umask 022
CENTRA_LOG_FILE=$cb_tmp/created.log run_cb config
umask "$old_umask"
assert_eq "0|600" "$RC|$(stat -c %a "$cb_tmp/created.log" 2>&1)" "a new log file is created 0600"

# --- sources and precedence ------------------------------------------------------------
conf=$cb_tmp/bridge.conf
cat >"$conf" <<CONF
# centra-bridge test configuration
centra_url = https://file.example.com/ams/api
centra_flavor = navision
centra_db_retries = 2
CONF
chmod 600 "$conf"
CENTRA_DB_RETRIES=4 run_cb --config "$conf" --log-level warn config
assert_eq 0 "$RC" "config shows the configuration"
assert_contains "$OUT" "centra_url                   https://file.example.com/ams/api" "a value from the file"
assert_contains "$OUT" "config file \"$conf\" line 2" "with its file and line"
assert_contains "$OUT" "environment variable CENTRA_DB_RETRIES" "the environment overrides the file"
assert_contains "$OUT" "centra_db_retries            4 " "with the environment's value"
assert_contains "$OUT" "centra_log_level             warn" "the command line overrides both"
assert_contains "$OUT" "option --log-level" "naming the option"
assert_contains "$OUT" "database_url                 (not set: PG* variables apply)" \
    "an unset DATABASE_URL says libpq's variables apply"

# -v and -q: config shows the level in effect, from the command line.
CENTRA_LOG_LEVEL=warn run_cb -v config
assert_contains "$OUT" "centra_log_level             info                                             option -v (warn from environment variable CENTRA_LOG_LEVEL, 1 level up)" \
    "-v: config shows the level in effect and that it comes from -v"
run_cb --log-level debug -qq config
assert_contains "$OUT" "centra_log_level             info                                             option -qq (debug from option --log-level, 2 levels down)" \
    "-qq after --log-level: the level in effect"

# An empty value in the file: the default applies, and config says so.
printf 'centra_url = https://file.example.com/ams/api\ncentra_export_batch_size =\n' >"$conf"
run_cb --config "$conf" config
assert_contains "$OUT" "centra_export_batch_size     100                                              the default (empty in config file \"$conf\" line 2)" \
    "an empty value in the file: the default, and where it was left empty"

# --- secrets ----------------------------------------------------------------------------
CENTRA_PASSWORD=env-secret-1 DATABASE_URL="postgresql://u:db-secret-2@h/x" run_cb -v config
assert_eq 0 "$RC" "config with secrets set succeeds"
assert_not_contains "$OUT$ERR" "env-secret-1" "the Centra password is never shown"
assert_not_contains "$OUT$ERR" "db-secret-2" "the database password is never shown"
assert_contains "$OUT" "postgresql://u:<redacted>@h/x" "the database URL is shown redacted"
for url in 'postgresql://u:pa#ss-4@h/x' 'postgresql://u:pa?ss-4@h/x' 'host=h password=pa\ ss-4'; do
    DATABASE_URL=$url run_cb config
    assert_not_contains "$OUT$ERR" "ss-4" "a password libpq reads from \"$url\" is never shown"
done

printf 'centra_password = file-secret-3\n' >"$conf"
chmod 644 "$conf"
run_cb --config "$conf" config
assert_eq 78 "$RC" "a config file with a password readable by others exits 78"
assert_contains "$ERR" "config file \"$conf\" holds a password but is readable by group or others" \
    "saying why"
assert_contains "$ERR" "hint: Make it readable by its owner only (chmod 600 '$conf')" "and how to fix it"
assert_not_contains "$ERR" "file-secret-3" "without showing the password"
chmod 600 "$conf"
run_cb --config "$conf" config
assert_eq 0 "$RC" "the same file with mode 600 is accepted"

CENTRA_PASWORD=typo run_cb config
assert_contains "$ERR" "WARNING: [run=" "an unknown CENTRA_ variable is warned about"
assert_contains "$ERR" "ignoring unknown environment variable CENTRA_PASWORD (did you mean CENTRA_PASSWORD?)" \
    "with a suggestion"

finish
