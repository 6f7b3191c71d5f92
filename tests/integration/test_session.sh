#!/usr/bin/env bash
# tests/integration/test_session.sh
#     A database that is not a default one: settings of the database (and of
#     the client's environment) that the program's SQL does not assume are
#     overridden on every connection; a read-only database, a standby and a
#     user without TEMP are said clearly, by "check" and by the commands.
#     (Found in a review against hostile session settings.)
source "$(dirname "$0")/simlib.sh"

start_sim --orders 20 || finish
fresh_db

# ============================================================================
# 1. What every connection of the program gets, whatever the database says
# ============================================================================
# A trigger on centra.runs records the settings of the session that starts a run.
q "$DB" "CREATE TABLE public.probe (settings text);
    CREATE FUNCTION public.probe() RETURNS trigger LANGUAGE plpgsql AS \$\$
    BEGIN
        INSERT INTO public.probe SELECT concat_ws('|', current_setting('client_encoding'),
            current_setting('transaction_isolation'), current_setting('statement_timeout'),
            current_setting('TimeZone'), current_setting('standard_conforming_strings'),
            current_setting('work_mem'));
        RETURN NULL;
    END \$\$;
    CREATE TRIGGER probe AFTER INSERT ON centra.runs FOR EACH ROW EXECUTE FUNCTION public.probe();
    ALTER DATABASE \"$DB\" SET client_encoding = 'LATIN1';
    ALTER DATABASE \"$DB\" SET default_transaction_isolation = 'serializable';
    ALTER DATABASE \"$DB\" SET statement_timeout = '50ms';
    ALTER DATABASE \"$DB\" SET TimeZone = 'Pacific/Chatham';
    ALTER DATABASE \"$DB\" SET standard_conforming_strings = off" >/dev/null
PGCLIENTENCODING=LATIN1 PGOPTIONS='-c work_mem=8MB' cb export --once
assert_eq 0 "$RC" "export --once on a database with hostile defaults exits 0"
assert_eq "UTF8|read committed|0|UTC|on|8MB" "$(q "$DB" "SELECT settings FROM public.probe")" \
    "its session is UTF-8, READ COMMITTED, without a server statement timeout, in UTC, with standard strings; the user's own options kept"

# UTF-8 in and out, whatever PGCLIENTENCODING says (found: mojibake in id_map).
printf 'type,centra_id,external_id,name\nwarehouse,77,Göteborg-Lager,Lager Göteborg\n' \
    >"$cb_tmp/in.csv"
PGCLIENTENCODING=LATIN1 cb idmap import "$cb_tmp/in.csv"
assert_eq 0 "$RC" "idmap import under PGCLIENTENCODING=LATIN1 exits 0"
assert_eq "Göteborg-Lager|Lager Göteborg" "$(PGCLIENTENCODING=UTF8 q "$DB" "SELECT erp_id, name
    FROM centra.id_map WHERE kind = 'warehouse' AND centra_id = 77")" "and stores the text as it is"
PGCLIENTENCODING=LATIN1 cb idmap export
assert_contains "$OUT" "warehouse,77,Göteborg-Lager,Lager Göteborg" "idmap export writes UTF-8"

# The statement timeout is centra_db_statement_timeout's, not the database's 50 ms.
q "$DB" "CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql AS \$\$
    BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END \$\$;
    CREATE TRIGGER slow AFTER INSERT ON centra.runs FOR EACH ROW EXECUTE FUNCTION public.slow()" \
    >/dev/null
CENTRA_DB_STATEMENT_TIMEOUT=0 cb export --once
assert_eq 0 "$RC" "a statement of 300 ms passes with centra_db_statement_timeout=0 (no limit)"
CENTRA_DB_STATEMENT_TIMEOUT=100ms cb export --once
assert_eq 75 "$RC" "and is cancelled after centra_db_statement_timeout=100ms"
assert_contains "$ERR" "statement timed out after 100ms and was cancelled" "saying which limit"
q "$DB" "DROP TRIGGER slow ON centra.runs; DROP TRIGGER probe ON centra.runs" >/dev/null

# The import under the same settings: the same rows as the simulator's orders.
cb import --once
assert_eq "0|20" "$RC|$(q "$DB" "SELECT count(*) FROM centra.orders")" \
    "import --once under these settings stores every order"

# ============================================================================
# 2. The ERP's sessions: the outbox works whatever they say (migration 0013)
# ============================================================================
# This database's default is standard_conforming_strings = off (above), as an
# old application may set it: every typed insert failed with a syntax error.
order=$(q "$DB" "SELECT min(order_id) FROM centra.orders")
id=$(q "$DB" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id,
    warehouse_id, qty) VALUES ('P/1', 'V' || chr(92) || '1', 'S', 'W', 3) RETURNING message_id")
assert_eq 'off|stock:P\/1/V\\1/S/W' "$(q "$DB" "SELECT current_setting('standard_conforming_strings')
    || '|' || entity_key FROM centra_outbox.messages WHERE id = $id")" \
    "with standard_conforming_strings off, a stock row enqueues, its key escaped as always"
id=$(q "$DB" "INSERT INTO centra_outbox.order_status_updates (order_id, status)
    VALUES ('$order', 'confirmed') RETURNING message_id")
assert_eq "pending" "$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $id")" \
    "and an order status row passes the payload checks"
# session_replication_role = replica skips the enqueue trigger: the row is refused, not kept unsent.
out=$(psql -X -q -A -t -d "$DB" -c "SET session_replication_role = replica" \
    -c "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id,
        qty) VALUES ('P2', 'V2', 'S', 'W', 1)" 2>&1)
assert_contains "$out" 'violates check constraint "stock_updates_enqueued"' \
    "under session_replication_role = replica a typed row is refused"
assert_eq 0 "$(q "$DB" "SELECT count(*) FROM centra_outbox.stock_updates WHERE product_id = 'P2'")" \
    "and not stored"

# ============================================================================
# 3. A database that takes no writes
# ============================================================================
q postgres "ALTER DATABASE \"$DB\" SET default_transaction_read_only = on" >/dev/null
cb check
assert_eq 78 "$RC" "check on a read-only database exits 78"
assert_contains "$OUT" "FAIL  database        transactions are read-only by default (default_transaction_read_only)" \
    "naming the setting"
CENTRA_DB_RETRIES=1 CENTRA_DB_RETRY_DELAY=10ms cb export --once
assert_eq 69 "$RC" "export --once exits 69 (the database unusable after retries), not 70"
assert_contains "$ERR" "cannot execute INSERT in a read-only transaction" "saying what failed"
assert_contains "$ERR" "connect to the primary, not a standby" "with a hint"
q postgres "ALTER DATABASE \"$DB\" RESET default_transaction_read_only" >/dev/null
# A running exporter waits a read-only period out (a switchover, maintenance), on a new
# session each time (the setting is read when one starts), and sends once it is over.
"$CB_BIN" -q export --follow >"$cb_tmp/follow.out" 2>"$cb_tmp/follow.err" &
follow=$!
bg_pids+=("$follow")
sleep 1
q postgres "ALTER DATABASE \"$DB\" SET default_transaction_read_only = on;
    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
    WHERE datname = '$DB' AND application_name = 'centra-bridge'" >/dev/null
sleep 2
q postgres "ALTER DATABASE \"$DB\" RESET default_transaction_read_only" >/dev/null
m=$(q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload) VALUES
    ('markets_Update', 'market:R', '{\"id\":\"R\",\"store\":\"1\",\"description\":\"r\"}')
    RETURNING id")
for _ in $(seq 1 150); do
    [[ $(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $m") == sent ]] && break
    sleep 0.1
done
kill -TERM "$follow"
wait "$follow"
assert_eq "0|sent" "$?|$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $m")" \
    "export --follow waits a read-only period out, sends once it is over, and stops on SIGTERM with 0"
assert_contains "$(cat "$cb_tmp/follow.err")" "cannot execute" "having logged what it waited for"

# ============================================================================
# 4. A user without TEMP (REVOKE TEMP ... FROM PUBLIC, a hardening step)
# ============================================================================
user="cbtest_session_$$"
q "$DB" "CREATE ROLE $user LOGIN IN ROLE centra_bridge;
    REVOKE TEMP ON DATABASE \"$DB\" FROM PUBLIC" >/dev/null
trap 'q postgres "DROP ROLE IF EXISTS $user" >/dev/null 2>&1; sim_cleanup' EXIT
DATABASE_URL=$(db_url "$DB" | sed "s|//[^@]*@|//$user@|") cb check
assert_eq 78 "$RC" "check as a user without TEMP exits 78"
assert_contains "$OUT" "FAIL  database        the user may not create temporary tables, which import and load work in" \
    "saying what is missing"
assert_contains "$OUT" "GRANT TEMP ON DATABASE $DB TO centra_bridge" "and how to grant it"
m=$(q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload) VALUES
    ('markets_Update', 'market:T', '{\"id\":\"T\",\"store\":\"1\",\"description\":\"t\"}')
    RETURNING id")
DATABASE_URL=$(db_url "$DB" | sed "s|//[^@]*@|//$user@|") cb sync
assert_eq "78|sent" "$RC|$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $m")" \
    "sync as that user: the import fails (78), the export, which needs no TEMP, still runs"
q "$DB" "GRANT TEMP ON DATABASE \"$DB\" TO centra_bridge" >/dev/null
DATABASE_URL=$(db_url "$DB" | sed "s|//[^@]*@|//$user@|") cb check
assert_eq 0 "$RC" "with TEMP granted to centra_bridge, check passes"

# ============================================================================
# 5. A standby: the address of a hot standby (a replica, or a primary that
#    became one), made here with pg_basebackup from the test cluster
# ============================================================================
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
standby=$PG_CLUSTER_DIR/standby-$$
stop_standby() {
    if [[ -f $standby/postmaster.pid ]]; then
        as_owner "$PG_BINDIR/pg_ctl" -D "$standby" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$standby" "$standby.log"
}
trap 'stop_standby; q postgres "DROP ROLE IF EXISTS $user" >/dev/null 2>&1; sim_cleanup' EXIT
sbport=$("$CB_BUILD_DIR/tests/freeport")
if as_owner "$PG_BINDIR/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$standby" \
    -R -X stream -c fast --no-sync >"$cb_tmp/basebackup.log" 2>&1 &&
    as_owner "$PG_BINDIR/pg_ctl" -D "$standby" -l "$standby.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -c port=$sbport -c unix_socket_directories=$standby \
            -c fsync=off -c max_connections=200 -c hot_standby=on" >/dev/null; then
    assert_eq "t" "$(PGOPTIONS='-c default_transaction_isolation=read\ committed' psql -X -A -t -h 127.0.0.1 -p "$sbport" -d "$DB" -c 'SELECT pg_is_in_recovery()')" \
        "a hot standby of the test cluster runs"
    sburl=postgresql://postgres@127.0.0.1:$sbport/$DB
    DATABASE_URL=$sburl cb check
    assert_eq 78 "$RC" "check against a standby exits 78"
    assert_contains "$OUT" "FAIL  database        the database is a standby: it takes no writes" \
        "saying so"
    assert_contains "$OUT" "Point DATABASE_URL at the primary." "and where to point it"
    curl -s -X POST "$SIM_BASE/_sim/reset?orders=5" >/dev/null
    DATABASE_URL=$sburl CENTRA_DB_RETRIES=1 CENTRA_DB_RETRY_DELAY=10ms cb import --once
    sim_state
    assert_eq "69|0|5" "$RC|$(state acknowledged_count)|$(state generated_orders)" \
        "import --once against a standby: 69 after retries, nothing acknowledged"
    assert_contains "$ERR" "connect to the primary, not a standby" "with the hint that names it"
else
    cb_report 1 "a hot standby of the test cluster starts" "$(cat "$cb_tmp/basebackup.log" "$standby.log" 2>/dev/null)"
fi
stop_standby

finish
