#!/usr/bin/env bash
# tests/integration/test_migrate.sh
#     "centra-bridge migrate" end to end against the throwaway cluster: empty
#     database, twice, concurrently, waiting for the lock, edited and unknown
#     migrations, --status, connection failures and timeouts.
source "$(dirname "$0")/lib.sh"

migration_sum=$(sha256sum "$CB_SOURCE_DIR/migrations/0001_initial.sql" | cut -d' ' -f1)
# Every migration of the tree is applied; the checks below follow their number.
n_mig=$(find "$CB_SOURCE_DIR/migrations" -name '[0-9][0-9][0-9][0-9]_*.sql' | wc -l)
latest=$(find "$CB_SOURCE_DIR/migrations" -name '[0-9][0-9][0-9][0-9]_*.sql' -printf '%f\n' |
    sort | tail -1 | cut -c1-4)
if [[ $n_mig -eq 1 ]]; then pending_msg="1 migration pending"; else pending_msg="$n_mig migrations pending"; fi

# --- an empty database ------------------------------------------------------
db=$(new_db)
export DATABASE_URL
DATABASE_URL=$(db_url "$db")
run_cb migrate
assert_eq 0 "$RC" "migrate on an empty database succeeds"
assert_contains "$ERR" "INFO: [run=" "log lines carry the run id"
assert_contains "$ERR" "applied migration 0001_initial.sql in " "it reports the migration"
assert_contains "$ERR" "database schema upgraded to migration $latest ($n_mig applied)" "and the result"
assert_eq "database schema upgraded to migration $latest ($n_mig applied)" \
    "$(grep -o 'database schema upgraded to migration [0-9]* ([0-9]* applied)' \
        "$CB_SOURCE_DIR/docs/operations.md")" "docs/operations.md shows that line"
assert_not_contains "$ERR" "WARNING" "without warnings"
assert_not_contains "$ERR" "already exists" "and without noise from IF NOT EXISTS"
assert_eq "" "$OUT" "migrate prints nothing on stdout"
assert_eq "centra centra_outbox" "$(q "$db" "SELECT string_agg(nspname, ' ' ORDER BY nspname)
    FROM pg_namespace WHERE nspname LIKE 'centra%'")" "both schemas exist"
assert_eq "1|0001_initial.sql|$migration_sum" \
    "$(q "$db" "SELECT version, name, checksum FROM centra.schema_migrations WHERE version = 1")" \
    "schema_migrations records version, name and the file's SHA-256"
assert_eq "t" "$(q "$db" "SELECT bool_and(applied_at <= now() AND duration_ms >= 0
    AND bridge_version <> '') FROM centra.schema_migrations")" "with time, duration and version"
applied_at=$(q "$db" "SELECT max(applied_at) FROM centra.schema_migrations")

# --- twice ------------------------------------------------------------------
run_cb migrate
assert_eq 0 "$RC" "a second migrate succeeds"
assert_contains "$ERR" "database schema is up to date (migration $latest)" "and does nothing"
assert_eq "$n_mig|$applied_at" "$(q "$db" "SELECT count(*), max(applied_at) FROM centra.schema_migrations")" \
    "the migration is not applied again"

# --- status -----------------------------------------------------------------
run_cb migrate --status
assert_eq 0 "$RC" "migrate --status succeeds"
assert_contains "$OUT" "VERSION  NAME" "status prints a header"
assert_contains "$OUT" "0001     0001_initial.sql                         applied  " \
    "and the applied migration"
# The rows docs/migrations.md shows (but their time), the newest migration among them.
doc_rows=$(grep -E '^[0-9]{4} +[0-9]{4}_' "$CB_SOURCE_DIR/docs/migrations.md")
assert_contains "$doc_rows" "$latest     $latest" "docs/migrations.md shows the newest migration"
while IFS= read -r row; do
    assert_contains "$OUT" "${row%applied  *}applied  " "docs/migrations.md's row ${row:0:4} is printed"
done <<<"$doc_rows"

fresh=$(new_db)
DATABASE_URL=$(db_url "$fresh") run_cb migrate --status
assert_eq 1 "$RC" "migrate --status on a database never migrated exits 1: migrations are pending (found in review: 0, and a deploy script could not tell)"
assert_contains "$OUT" "0001     0001_initial.sql                         pending" "showing it pending"
assert_contains "$ERR" "$pending_msg: run \"centra-bridge migrate\"" "and says what to do"
assert_eq "0" "$(q "$fresh" "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'centra%'")" \
    "and changes nothing"

# --- a failing migration names its file and line -------------------------------
conflict=$(new_db)
q "$conflict" "CREATE SCHEMA centra_outbox; CREATE TABLE centra_outbox.prices (x int)" >/dev/null
prices_line=$(grep -n '^CREATE TABLE centra_outbox.prices ' "$CB_SOURCE_DIR/migrations/0003_outbox.sql" |
    cut -d: -f1)
DATABASE_URL=$(db_url "$conflict") run_cb migrate
assert_eq 70 "$RC" "a failing migration exits 70"
assert_contains "$ERR" "migration \"0003_outbox.sql\" failed at line $prices_line: relation \"prices\" already exists" \
    "naming the file and the line of the failing statement ($prices_line)"
assert_contains "$ERR" "detail: Line $prices_line: CREATE TABLE centra_outbox.prices (" \
    "quoting that line only"
assert_contains "$ERR" "hint: Nothing of this step was kept; the migrations before it stay applied." \
    "and saying what was kept"
assert_not_contains "$ERR" "Query was" "without the file's text"
assert_not_contains "$ERR" "The ERP's write side" "nor its header comment"
assert_eq "2" "$(q "$conflict" "SELECT max(version) FROM centra.schema_migrations")" \
    "the migrations before it stay applied"

# --- a user who does not own the schemas -----------------------------------------
notowner="cb_notowner_$$"
q postgres "CREATE ROLE $notowner LOGIN IN ROLE centra_bridge" >/dev/null
DATABASE_URL="postgresql://$notowner@$PGHOST:$PGPORT/$db" run_cb migrate
q postgres "DROP ROLE $notowner" >/dev/null
assert_eq 78 "$RC" "a user who does not own the schemas cannot migrate (78)"
assert_contains "$ERR" "applying \"sql/10_views.sql\" failed at line " "naming the sql/ file and a line"
assert_contains "$ERR" "hint: Run \"centra-bridge migrate\" as the owner of the schemas centra and centra_outbox" \
    "and who can"
assert_not_contains "$ERR" "Query was" "without the file's text"
assert_not_contains "$ERR" "Views for DBAs and the warehouse" "nor its header comment"
assert_eq "1" "$(grep -c 'Line [0-9]*: ' <<<"$ERR")" "quoting one line of it"

# --- concurrent runs ---------------------------------------------------------
conc=$(new_db)
pids=()
for i in 1 2 3 4; do
    DATABASE_URL=$(db_url "$conc") "$CB_BIN" migrate >"$cb_tmp/c$i.out" 2>"$cb_tmp/c$i.err" &
    pids+=($!)
done
codes=""
for pid in "${pids[@]}"; do
    wait "$pid"
    codes+="$? "
done
assert_eq "0 0 0 0 " "$codes" "four concurrent migrate runs all succeed"
assert_eq "$n_mig" "$(q "$conc" "SELECT count(*) FROM centra.schema_migrations")" \
    "and the migration is applied exactly once"
assert_eq "1" "$(cat "$cb_tmp"/c*.err | grep -c 'applied migration 0001_initial.sql')" \
    "by exactly one of them"
assert_eq "$n_mig" "$(cat "$cb_tmp"/c*.err | grep -c 'applied migration ')" \
    "each migration by exactly one of them (they take turns step by step)"

# --- waiting for the lock ----------------------------------------------------
locked=$(new_db)
psql -X -q -d "$locked" -c "SELECT pg_advisory_lock(7161968373633090932), pg_sleep(2)" \
    >/dev/null &
holder=$!
sleep 0.5
start=$(date +%s%N)
DATABASE_URL=$(db_url "$locked") run_cb migrate
waited=$((($(date +%s%N) - start) / 1000000))
wait "$holder"
assert_eq 0 "$RC" "migrate waits for a lock held by another session, then succeeds"
assert_contains "$ERR" "another \"centra-bridge migrate\" is running on this database; waiting for it to finish" \
    "and says that it waits"
[[ $waited -ge 1000 ]]
cb_report $? "it really waited (${waited} ms)"

# --- an edited migration ------------------------------------------------------
q "$db" "UPDATE centra.schema_migrations SET checksum = repeat('0', 64) WHERE version = 1" >/dev/null
run_cb migrate
assert_eq 78 "$RC" "a migration changed after it was applied is refused with exit 78"
assert_contains "$ERR" "ERROR: [run=" "as an error"
assert_contains "$ERR" "migration \"0001_initial.sql\" was changed after it was applied" \
    "naming the migration"
assert_contains "$ERR" "with checksum 0000000000000000000000000000000000000000000000000000000000000000; the file in this binary has checksum $migration_sum." \
    "with both checksums"
assert_contains "$ERR" "hint: Applied migrations are immutable: restore the original file and put the change in a new migration." \
    "and what to do"
run_cb migrate --status
assert_eq 78 "$RC" "migrate --status also exits 78"
assert_contains "$OUT" "0001_initial.sql                         changed" "showing the migration as changed"
q "$db" "UPDATE centra.schema_migrations SET checksum = '$migration_sum' WHERE version = 1" >/dev/null

# --- a database migrated by a newer centra-bridge -----------------------------
q "$db" "INSERT INTO centra.schema_migrations (version, name, checksum)
         VALUES (9999, '9999_future.sql', 'x')" >/dev/null
run_cb migrate
assert_eq 78 "$RC" "a database with an unknown migration is refused with exit 78"
assert_contains "$ERR" "the database has migration 9999 (\"9999_future.sql\"), which this centra-bridge does not know" \
    "naming the unknown migration"
assert_contains "$ERR" "The latest migration in this binary is $latest." "and this binary's latest"
run_cb migrate --status
assert_contains "$OUT" "9999     9999_future.sql                          unknown" \
    "migrate --status lists it as unknown"
# Every command that reads or writes the schemas refuses it, the operator's too (found
# in review: an older outbox retry --failed queued a cancellation a newer exporter had
# marked maybe_applied, and Centra cancelled twice).
echo "kind,erp_id,centra_id" >"$cb_tmp/map.csv"
for cmd in "outbox list" "outbox retry --failed" "outbox cancel 1" "idmap export" \
        "idmap import $cb_tmp/map.csv"; do
    # shellcheck disable=SC2086
    run_cb $cmd
    assert_eq 78 "$RC" "$cmd on a database a newer centra-bridge migrated exits 78"
    assert_contains "$ERR" "migration 9999_future.sql is unknown to this centra-bridge: a newer version migrated the database" "$cmd: saying why"
done
q "$db" "DELETE FROM centra.schema_migrations WHERE version = 9999" >/dev/null

# --- libpq's PG* variables when DATABASE_URL is unset ------------------------------
unset DATABASE_URL
PGDATABASE=$db run_cb migrate
assert_eq 0 "$RC" "without DATABASE_URL the PG* variables apply"
assert_contains "$ERR" "database schema is up to date" "and reach the same database"

# --- the database is unreachable ----------------------------------------------
closed=$("$CB_BUILD_DIR/tests/freeport")
DATABASE_URL="postgresql://postgres:hunter2pw@127.0.0.1:$closed/x" CENTRA_DB_RETRIES=2 \
    CENTRA_DB_RETRY_DELAY=10ms run_cb migrate
assert_eq 69 "$RC" "an unreachable database exits 69 after the retries"
assert_contains "$ERR" "could not connect to the database after 3 attempts" "after every attempt"
assert_contains "$ERR" "detail: Attempts 1-3: connection to server at \"127.0.0.1\", port $closed failed: Connection refused" \
    "listing the attempts once"
assert_contains "$ERR" "(attempt 1 of 3), retrying in " "and logging each retry"
assert_not_contains "$ERR" "hunter2pw" "the password in DATABASE_URL never reaches the log"

# --- the server refuses: unknown database --------------------------------------
DATABASE_URL="postgresql://postgres:hunter2pw@$PGHOST:$PGPORT/no_such_db" run_cb migrate
assert_eq 78 "$RC" "a database that does not exist is a configuration error (78)"
assert_contains "$ERR" "the database server refused the connection" "reported as a refusal"
assert_contains "$ERR" "database \"no_such_db\" does not exist" "with the server's reason"
assert_not_contains "$ERR" "attempt 1 of" "and not retried"
assert_not_contains "$ERR" "hunter2pw" "without the password"

DATABASE_URL="host=x port=5432 nonsense" run_cb migrate
assert_eq 78 "$RC" "an unparsable DATABASE_URL exits 78"
assert_contains "$ERR" "invalid value for setting \"database_url\"" "naming the setting"
DATABASE_URL="postgresql://u:s3cr%zzet@$PGHOST/x" run_cb migrate
assert_eq 78 "$RC" "a DATABASE_URL libpq cannot parse exits 78"
assert_contains "$ERR" "libpq reports: invalid percent-encoded token: \"<redacted>\". The value comes from environment variable DATABASE_URL." \
    "quoting libpq's reason"
assert_not_contains "$ERR" "s3cr" "without the password libpq quoted"
# Checked for every command, as every other setting: config too, which never connects.
DATABASE_URL="postgresql://u:s3cr@[::1/x" run_cb config
assert_eq 78 "$RC" "config with a DATABASE_URL libpq cannot parse exits 78"
assert_contains "$ERR" "invalid value for setting \"database_url\"" "naming the setting"
assert_not_contains "$OUT$ERR" "s3cr" "without the password"

# --- statement timeouts cancel the statement ----------------------------------------
psql -X -q -d "$db" -c "BEGIN; LOCK TABLE centra.schema_migrations; SELECT pg_sleep(4); COMMIT" \
    >/dev/null &
holder=$!
sleep 0.5
DATABASE_URL=$(db_url "$db") CENTRA_DB_STATEMENT_TIMEOUT=1s run_cb migrate --status
assert_eq 75 "$RC" "a statement past centra_db_statement_timeout exits 75"
assert_contains "$ERR" "statement timed out after 1s and was cancelled" "saying it was cancelled"
assert_eq "0" "$(q "$db" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
    AND query LIKE 'SELECT version, name, checksum%' AND state = 'active'")" \
    "and the server is no longer running it"
wait "$holder"

# --- JSON logs ------------------------------------------------------------------
DATABASE_URL=$(db_url "$db") run_cb --log-format json migrate
assert_eq 0 "$RC" "migrate with JSON logs succeeds"
bad=$(grep -cv '^{"time":"[^"]*","level":"info","pid":[0-9]*,"run_id":"[0-9a-f]*","message":".*"}$' \
    <<<"$ERR")
assert_eq "0" "$bad" "every log line is a JSON object with time, level, pid, run_id and message"

finish
