#!/usr/bin/env bash
# tests/integration/test_check.sh
#     "centra-bridge check": every misconfiguration on its own, with its exit
#     code and exact line; all fine with the events waiting counted (and left
#     waiting: events_Get is read-only); the passwords never shown.
source "$(dirname "$0")/simlib.sh"

# Distinctive passwords, searched for in every output below.
export CENTRA_SIM_PASSWORD='S1m-Secret#pw' CENTRA_PASSWORD='S1m-Secret#pw'
db_secret='Db-Secret_pw9'
all_output=''

# check ARG...: run "centra-bridge check"; sets RC OUT ERR, and collects the output.
check() {
    cb "$@" check
    all_output+="$OUT$ERR"
}

# line PREFIX: the first line of OUT starting with PREFIX.
line() {
    grep -F -m 1 -- "$1" <<<"$OUT"
}

start_sim --orders 5 || finish
fresh_db
DATABASE_URL="postgresql://${PGUSER}:${db_secret}@${PGHOST}:${PGPORT}/$DB"
latest=$(basename "$(ls "$CB_SOURCE_DIR"/migrations/*.sql | tail -n 1)" | sed 's/_.*//; s/^0*//')

# ============================================================================
# 1. All fine (an http:// URL: a warning, still 0)
# ============================================================================
check
assert_eq 0 "$RC" "check with everything fine exits 0 (an http:// URL only warns)"
assert_eq "ok    configuration   5 settings from the environment, the rest are defaults" \
    "$(line "ok    configuration")" "the configuration line"
assert_eq "warn  configuration   CENTRA_URL uses http://: no TLS" "$(line "warn  ")" \
    "the http:// URL is a warning"
assert_contains "$OUT" "ok    database        database \"$DB\" on $PGHOST:$PGPORT as user \"$PGUSER\", PostgreSQL " \
    "the database line says where"
assert_eq "ok    schema          schema at version $latest, current" "$(line "ok    schema")" \
    "the schema is current"
waiting=$(line "ok    centra")
[[ $waiting =~ ^"ok    centra          $CENTRA_URL: login accepted, "([0-9]+)" events waiting"$ ]]
cb_report $? "the centra line: login accepted, events waiting" "$OUT"
n=${BASH_REMATCH[1]:-none}
assert_eq "All checks passed, with 1 warning." "$(tail -n 1 <<<"$OUT")" "the last line"
check
assert_eq "0|$waiting" "$RC|$(line "ok    centra")" "a second check sees the same events: nothing was acknowledged"
CENTRA_EVENT_TYPES=" order" CENTRA_MARKETS= check
orders=$(line "ok    centra")
[[ $orders =~ ^"ok    centra          $CENTRA_URL: login accepted, "([0-9]+)" events of types order waiting"$ ]]
cb_report $? "with centra_event_types, check counts the events import would fetch, and says which" "$orders"
n_orders=${BASH_REMATCH[1]:-none}
CENTRA_EVENT_TYPES=order CENTRA_MARKETS="Retail-Sweden, Retail-EU" check
[[ $(line "ok    centra") =~ ^"ok    centra          $CENTRA_URL: login accepted, "([0-9]+)" event"s?" of types order in markets Retail-Sweden, Retail-EU waiting"$ ]]
cb_report $? "with centra_markets, check says which markets" "$OUT"
n_markets=${BASH_REMATCH[1]:-none}
cb import --once
assert_eq "0|$n" "$RC|$(q "$DB" "SELECT count(*) FROM centra.events")" \
    "the count was right: import stores as many events"
assert_eq "$n_orders" "$(q "$DB" "SELECT count(*) FROM centra.events WHERE type = 'order'")" \
    "and the count of order events too"
assert_eq "$n_markets|t" "$(q "$DB" "SELECT count(*), count(*) < $n_orders FROM centra.events e
    JOIN centra.orders o ON o.order_id = e.entry WHERE e.type = 'order'
    AND o.market_id IN ('Retail-Sweden', 'Retail-EU')")" \
    "and of the order events of those markets (events_GetByMarkets), fewer than of all"
CENTRA_MARKETS="A," check
assert_eq "78|" "$RC|$OUT" "a market list import would refuse stops check before it runs (78), as any invalid setting"
assert_contains "$ERR" 'ERROR: [run=' "logged as an error of the run"
assert_contains "$ERR" '] invalid value for setting "centra_markets": empty market id in "A,"' \
    "naming the setting"
assert_contains "$ERR" "The value comes from environment variable CENTRA_MARKETS." "and where it was set"
check
assert_eq "ok    centra          $CENTRA_URL: login accepted, 0 events waiting" "$(line "ok    centra")" \
    "after the import none wait"
assert_eq "" "$(grep -E '^(FAIL|skip)' <<<"$OUT")" "no FAIL, no skip"

# Settings from a file are counted with its name.
printf 'centra_password = %s\ncentra_retries = 1\n' "$CENTRA_PASSWORD" >"$cb_tmp/bridge.conf"
chmod 600 "$cb_tmp/bridge.conf"
env -u CENTRA_PASSWORD "$CB_BIN" --config "$cb_tmp/bridge.conf" check >"$cb_tmp/out" 2>"$cb_tmp/err"
RC=$?
OUT=$(cat "$cb_tmp/out")
all_output+="$OUT$(cat "$cb_tmp/err")"
assert_eq "0|ok    configuration   2 settings from $cb_tmp/bridge.conf, 4 from the environment" \
    "$RC|$(line "ok    configuration")" "settings from a config file are counted with its name"

# ============================================================================
# 2. Configuration problems
# ============================================================================
saved_url=$CENTRA_URL
unset CENTRA_URL
check
assert_eq 78 "$RC" "no CENTRA_URL: 78"
assert_eq "FAIL  configuration   CENTRA_URL is not set" "$(line "FAIL  configuration")" \
    "no CENTRA_URL: the line"
assert_contains "$OUT" 'Set the environment variable CENTRA_URL to Centra' "with the hint"
assert_eq "skip  centra          the configuration check failed" "$(line "skip  centra")" \
    "the centra check is skipped"
assert_eq "ok    schema          schema at version $latest, current" "$(line "ok    schema")" \
    "the database is checked all the same"
assert_eq '1 check failed: fix what is marked FAIL above, then run "centra-bridge check" again.' \
    "$(tail -n 1 <<<"$OUT")" "the last line says what to do"
export CENTRA_URL=$saved_url

CENTRA_USERNAME='' check
assert_eq "78|FAIL  configuration   CENTRA_USERNAME is not set" "$RC|$(line "FAIL  ")" \
    "no CENTRA_USERNAME: 78 and the line"
CENTRA_PASSWORD='' check
assert_eq "78|FAIL  configuration   CENTRA_PASSWORD is not set" "$RC|$(line "FAIL  ")" \
    "no CENTRA_PASSWORD: 78 and the line"

CENTRA_CA_FILE=$cb_tmp/nonexistent.pem check
assert_eq "78|FAIL  configuration   CENTRA_CA_FILE \"$cb_tmp/nonexistent.pem\" cannot be read: No such file or directory" \
    "$RC|$(line "FAIL  ")" "a missing CA file: 78 and the line"
CENTRA_CA_FILE=$cb_tmp check
assert_eq "78|FAIL  configuration   CENTRA_CA_FILE \"$cb_tmp\" cannot be read: Is a directory" \
    "$RC|$(line "FAIL  ")" "a CA file that is a directory: 78 and the line"
: >"$cb_tmp/empty.pem"
CENTRA_CA_FILE=$cb_tmp/empty.pem check
assert_eq "78|FAIL  configuration   CENTRA_CA_FILE \"$cb_tmp/empty.pem\" holds no certificate" \
    "$RC|$(line "FAIL  ")" "an empty CA file: 78 and the line"
assert_eq "skip  centra          the configuration check failed" "$(line "skip  centra")" \
    "the centra check is skipped"

# A time zone only PostgreSQL can judge: check asks it, as the import does.
CENTRA_TIMEZONE=Mars/Olympus check
assert_eq "78|FAIL  configuration   invalid value for setting \"centra_timezone\": \"Mars/Olympus\"" \
    "$RC|$(line "FAIL  ")" "an unknown time zone: 78 and the line, as sync and import would refuse it"
assert_contains "$OUT" "PostgreSQL does not know that time zone. The value comes from environment variable CENTRA_TIMEZONE." \
    "saying where it was set"
assert_contains "$OUT" "Use a name such as Europe/Stockholm" "with the hint"
assert_contains "$OUT" "ok    centra          " "Centra is checked all the same"
CENTRA_TIMEZONE=Mars/Olympus cb sync
assert_eq 78 "$RC" "and sync refuses the same time zone with 78"
assert_contains "$ERR" "PostgreSQL does not know that time zone. The value comes from environment variable CENTRA_TIMEZONE." \
    "saying where it was set, as check does"
CENTRA_TIMEZONE=Europe/Stockholm check
assert_eq "0|" "$RC|$(grep -E '^(FAIL|skip)' <<<"$OUT")" "a time zone PostgreSQL knows passes"

CENTRA_TLS_VERIFY=off check
assert_eq "0|warn  configuration   CENTRA_TLS_VERIFY is off: Centra's certificate is not verified" \
    "$RC|$(line "warn  configuration   CENTRA_TLS")" "TLS verification off: a warning, still 0"

# ============================================================================
# 3. Centra problems
# ============================================================================
CENTRA_PASSWORD='Wrong-Pass_77' check
assert_eq 77 "$RC" "a wrong password: 77"
assert_contains "$(line "FAIL  centra")" "FAIL  centra          Centra rejected the login for events_Get" \
    "a wrong password: the line"
assert_not_contains "$OUT$ERR" "Wrong-Pass_77" "the wrong password is not shown either"

port=$("$CB_BUILD_DIR/tests/freeport")
start=$(date +%s)
CENTRA_URL="http://127.0.0.1:$port/soap" CENTRA_RETRIES=0 check
assert_eq "69|FAIL  centra          could not reach Centra at \"http://127.0.0.1:$port/soap\"" \
    "$RC|$(line "FAIL  ")" "Centra not running: 69 and the line"
[[ $(($(date +%s) - start)) -lt 10 ]]
cb_report $? "and it is quick"

# ============================================================================
# 4. Database problems
# ============================================================================
DATABASE_URL="postgresql://${PGUSER}:${db_secret}@127.0.0.1:$port/$DB" CENTRA_DB_RETRIES=0 check
assert_eq 69 "$RC" "the database unreachable: 69"
assert_contains "$(line "FAIL  ")" "FAIL  database        could not connect to the database" \
    "the database unreachable: the line"
assert_eq "skip  schema          no database connection" "$(line "skip  ")" "the schema is skipped"
assert_contains "$OUT" "ok    centra          " "Centra is checked all the same"

DATABASE_URL="postgresql://${PGUSER}:${db_secret}@${PGHOST}:${PGPORT}/no_such_db_$$" check
assert_eq "78|FAIL  database        the database server refused the connection" \
    "$RC|$(line "FAIL  ")" "no such database: 78 and the line"

DATABASE_URL="postgresql://${PGUSER}:${db_secret}@${PGHOST}:${PGPORT}/$(new_db)" check
assert_eq "78|FAIL  schema          the database has no centra-bridge schema" \
    "$RC|$(line "FAIL  ")" "a database not migrated: 78, and it says so"
assert_contains "$OUT" 'Run "centra-bridge migrate"' "and to migrate"

# The first failure decides the exit code.
CENTRA_PASSWORD='Wrong-Pass_77' DATABASE_URL="postgresql://${PGUSER}:${db_secret}@127.0.0.1:$port/x" \
    CENTRA_DB_RETRIES=0 check
assert_eq "69|2 checks failed: fix what is marked FAIL above, then run \"centra-bridge check\" again." \
    "$RC|$(tail -n 1 <<<"$OUT")" "two failures: the first one's code (database, 69), both counted"

# ============================================================================
# 5. Secrets, usage
# ============================================================================
assert_not_contains "$all_output" "$CENTRA_PASSWORD" "the Centra password never appears in any output"
assert_not_contains "$all_output" "$db_secret" "the database password never appears in any output"
cb check extra
assert_eq 64 "$RC" "an argument: 64"
cb check --help
assert_contains "$RC $OUT" "0 Usage: centra-bridge [OPTION]... check" "check --help"

finish
