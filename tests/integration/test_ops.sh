#!/usr/bin/env bash
# tests/integration/test_ops.sh
#     The scheduled run and the daemon against centra-sim:
#     1. sync: its exit code for each outcome (done, quarantined, a failed
#        message, refused login, Centra unreachable, configuration, usage),
#        the export still running after a quarantine, its runs rows, and an
#        overlapping sync exiting 75 at once and naming the running one,
#        back-to-back syncs all exiting 0;
#     2. run: workers, SIGTERM in the middle of a batch (exit 0, nothing
#        acknowledged that is not stored, nothing lost), NOTIFY waking the
#        exporter, metrics and /healthz, a killed worker started again,
#        SIGHUP reopening the log file, --export-jobs (three exporters share
#        the outbox, each restarted alone, their requests summed in the
#        metrics), a refused login stopping it with 77.
#     PostgreSQL restarted under the daemon: test_recovery.sh.
source "$(dirname "$0")/simlib.sh"

sim_lists() { # OP: the requests of OP logged by the simulator, one per line
    curl -s "$SIM_BASE/_sim/requests?op=$1" | grep -o '"seq":[0-9]*'
}
enqueue_market() { # DB ID: a markets_Update message; prints its id
    q "$1" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
        VALUES ('markets_Update', 'market:$2',
                json_build_object('id', '$2', 'store', '1', 'type', 'retail',
                                  'description', 'Market $2')) RETURNING id"
}
# start_daemon LOGFILE: centra-bridge -v run with a metrics endpoint on a free port, in the
# background; sets daemon (its pid), metrics and health (the endpoint's URLs).
start_daemon() {
    "$CB_BIN" -v run --metrics-listen 127.0.0.1:0 2>"$log" &
    daemon=$!
    bg_pids+=("$daemon")
    wait_for 10 "grep -q 'metrics on http' '$1'"
    metrics=$(grep -o 'http://127.0.0.1:[0-9]*/metrics' "$1" | head -n 1)
    health=${metrics%/metrics}/healthz
}

# ============================================================================
# 1. sync
# ============================================================================
start_sim --orders 40 --seed 3
fresh_db
m=$(enqueue_market "$DB" M1)
cb sync
assert_eq 0 "$RC" "sync exits 0 when everything went" "$ERR"
complete "$DB" "sync"
total=$(state events_total)
assert_eq sent "$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $m")" \
    "sync sent the outbox message"
assert_eq "sync:success:0:$total:1|import:success:0:$total:0|export:success:0:0:1" \
    "$(q "$DB" "SELECT string_agg(concat_ws(':', command, outcome, exit_code, events_received,
        messages_sent), '|' ORDER BY CASE command WHEN 'sync' THEN 0 WHEN 'import' THEN 1 ELSE 2 END)
        FROM centra.runs")" \
    "centra.runs has the sync (with the sums), its import and its export"
assert_eq 3 "$(q "$DB" "SELECT count(last_ok_at) FROM centra.runs")" "each run has last_ok_at"

# A failed message: exit 1.
q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload) VALUES
    ('products_Update', 'stock:x', '{\"id\":\"NOPE\",\"variations\":{\"variation\":{\"id\":\"NOPE_1\"}}}')" >/dev/null
cb sync
assert_eq 1 "$RC" "sync exits 1 when a message failed for good"
assert_contains "$ERR" "1 message failed" "and says so"
assert_eq "partial|1" "$(q "$DB" "SELECT outcome, exit_code FROM centra.runs WHERE command = 'sync'
    ORDER BY run_id DESC LIMIT 1")" "the sync row says partial, exit 1"
stop_sim

# A quarantined event: exit 1, and the export still runs.
start_sim --orders 60 --seed 4 --fault malformed
fresh_db
m=$(enqueue_market "$DB" M2)
cb sync
assert_eq 1 "$RC" "sync exits 1 when an event was quarantined"
assert_contains "$ERR" "1 event was quarantined" "and says so"
assert_eq 1 "$(grep -c '] event [0-9]* quarantined: ' <<<"$ERR")" \
    "the import warns once about the quarantined event, once it is stored"
assert_eq "1|sent" "$(q "$DB" "SELECT (SELECT count(*) FROM centra.events WHERE status = 'quarantined'),
    (SELECT status FROM centra_outbox.messages WHERE id = $m)")" \
    "the export still ran after the quarantine"
complete "$DB" "sync with a quarantine"

# A refused login: 77, and the export is not attempted.
m=$(enqueue_market "$DB" M3)
before=$(sim_lists markets_Update | wc -l)
CENTRA_PASSWORD=wrong-pass-77 cb sync
assert_eq 77 "$RC" "sync exits 77 when Centra refuses the login"
assert_eq "pending|$before" "$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $m")|$(sim_lists markets_Update | wc -l)" \
    "the export was not attempted"
assert_contains "$ERR" "the export was skipped" "the log says why"
assert_not_contains "$OUT$ERR" "wrong-pass-77" "the password is not shown"

# SIGTERM during a long Retry-After: the wait and the retries end, exit 0 (found in review:
# the next attempt went out at once, then another wait, then 69 and a failed run).
fresh_db
curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null
curl -s -X POST "$SIM_BASE/_sim/faults?kind=http_429&count=100&retry_after=60&op=events_Get" >/dev/null
t0=$(date +%s%N)
"$CB_BIN" import --once >"$cb_tmp/stop.out" 2>"$cb_tmp/stop.err" &
stopping=$!
sleep 1
kill -TERM "$stopping"
wait "$stopping"
stop_rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "0|0|success" "$stop_rc|$(q "$DB" "SELECT count(*) FROM centra.events")|$(q "$DB" "SELECT outcome
    FROM centra.runs WHERE command = 'import'")" \
    "SIGTERM during a Retry-After wait: import --once exits 0, nothing stored, the run not failed"
[[ $ms -lt 20000 ]]
cb_report $? "at once, not after the 60 s wait ($ms ms)"
assert_eq 1 "$(curl -s "$SIM_BASE/_sim/faults" | grep -o '"fired":[0-9]*' | cut -d: -f2)" \
    "and Centra was not asked again after the stop"
assert_contains "$(cat "$cb_tmp/stop.err")" "stopped by signal 15; the last attempt had failed" \
    "the log says so"
curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null
stop_sim

# Centra unreachable: 69.  Configuration: 78.  Usage: 64.
port=$("$CB_BUILD_DIR/tests/freeport")
# A password that the error message happens to contain: the sync's row in
# centra.runs, and status quoting the failed import, mask it as the log does.
CENTRA_PASSWORD=127.0.0.1 CENTRA_URL=http://127.0.0.1:$port/soap CENTRA_RETRIES=0 cb sync
assert_eq 69 "$RC" "sync exits 69 when Centra cannot be reached"
assert_contains "$ERR" "could not reach Centra at \"http://<redacted>:$port/soap\"" \
    "the log masks the password where the error message contains it"
assert_eq "could not reach Centra at \"http://<redacted>:$port/soap\"" \
    "$(q "$DB" "SELECT error FROM centra.runs WHERE command = 'sync' ORDER BY run_id DESC LIMIT 1")" \
    "so does centra.runs.error of the sync"
assert_eq "could not reach Centra at \"http://<redacted>:$port/soap\"" \
    "$(q "$DB" "SELECT error FROM centra.runs WHERE command = 'import' ORDER BY run_id DESC LIMIT 1")" \
    "and of its import"
CENTRA_PASSWORD=127.0.0.1 cb status
assert_contains "$OUT" "exit 69: could not reach Centra at \"http://<redacted>:" \
    "status quotes the failed import's error masked"
assert_not_contains "$OUT" "127.0.0.1" "and never shows the password"
CENTRA_PASSWORD=127.0.0.1 cb status --json
assert_not_contains "$OUT" "127.0.0.1" "nor does status --json"
CENTRA_URL='' cb sync
assert_eq 78 "$RC" "sync exits 78 without CENTRA_URL"
cb sync --bogus
assert_eq 64 "$RC" "an unknown option is a usage error"
cb sync extra
assert_eq 64 "$RC" "an argument is a usage error"
cb sync --types nonsense
assert_eq 64 "$RC" "an unknown event type is a usage error"

# Overlap: a slow sync holds the lock; a second one exits 75 at once.
start_sim --orders 20 --seed 5
fresh_db
curl -s -X POST "$SIM_BASE/_sim/faults?kind=delay&count=1&ms=4000&op=events_Get" >/dev/null
"$CB_BIN" sync >"$cb_tmp/slow.out" 2>"$cb_tmp/slow.err" &
slow=$!
bg_pids+=("$slow")
wait_for 10 'test "$(q "$DB" "SELECT count(*) FROM centra.runs WHERE command = '\''sync'\''")" = 1'
t0=$(date +%s%N)
cb sync
elapsed=$((($(date +%s%N) - t0) / 1000000))
assert_eq 75 "$RC" "a sync while another runs exits 75"
assert_contains "$ERR" "another centra-bridge sync is still running" "and says why"
assert_contains "$ERR" "by process $slow on" "naming the running one"
[[ $elapsed -lt 3000 ]]
cb_report $? "at once ($elapsed ms), without waiting for it"
wait "$slow"
assert_eq 0 "$?" "the first sync finishes normally"
complete "$DB" "the overlapped sync"
# Back to back, as a timer that fires again at once: each sync releases its
# lock (and the importer its queue lock) before it exits, so the next one
# never finds them held by a session the server has not yet ended.
codes=""
for ((i = 0; i < 15; i++)); do
    cb sync
    codes+="$RC"
done
assert_eq "000000000000000" "$codes" "15 syncs run back to back all exit 0"
stop_sim

# ============================================================================
# 2. run
# ============================================================================
start_sim --orders 400 --seed 6
fresh_db
export CENTRA_POLL_INTERVAL=1s
log=$cb_tmp/daemon.log
# Every events_Get takes 600 ms, so a SIGTERM lands in the middle of a batch.
curl -s -X POST "$SIM_BASE/_sim/faults?kind=delay&count=1000&ms=600&op=events_Get" >/dev/null
start_daemon "$log"
wait_for 10 'test "$(pgrep -c -P "$daemon")" = 2'
assert_eq 2 "$(pgrep -c -P "$daemon")" "the daemon runs two workers"
ps_out=$(ps -o args= --ppid "$daemon")
assert_contains "$ps_out" "import --follow" "ps shows the import worker"
assert_contains "$ps_out" "export --follow" "ps shows the export worker"
assert_not_contains "$ps_out" "centra-sim" "no password or login on any command line"
assert_eq "centra-bridge centra-bridge" "$(ps -o comm= --ppid "$daemon" | tr '\n' ' ' | sed 's/ $//')" \
    "the workers are named centra-bridge, as the daemon (ps -C, pgrep -x), not exe"

workers=$(pgrep -P "$daemon" | tr '\n' ' ')
wait_for 20 'test "$(q "$DB" "SELECT count(*) FROM centra.events")" -ge 100'
kill -TERM "$daemon"
wait "$daemon"
assert_eq 0 "$?" "SIGTERM in the middle of a batch: the daemon exits 0"
alive=0
for pid in $workers; do
    kill -0 "$pid" 2>/dev/null && alive=$((alive + 1))
done
assert_eq 0 "$alive" "its workers ($workers) are gone"
assert_contains "$(cat "$log")" "stopped by signal 15 after the current batch" \
    "the importer finished its batch first"
sim_state
acked=$(state acknowledged_count)
stored=$(q "$DB" "SELECT count(*) FROM centra.events")
assert_eq "$acked" "$(q "$DB" "SELECT count(*) FROM centra.events WHERE done_at IS NOT NULL")" \
    "every event Centra saw acknowledged is stored, with done_at"
[[ $stored -lt $(state events_total) ]]
cb_report $? "it stopped before the queue was drained ($stored of $(state events_total) stored)"
curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null
cb import --once
assert_eq 0 "$RC" "a later import finishes the queue"
complete "$DB" "after the stopped daemon"

# The daemon again: NOTIFY, metrics, health, a killed worker, SIGHUP.
export CENTRA_LOG_FILE=$cb_tmp/file.log
start_daemon "$CENTRA_LOG_FILE"
assert_eq "" "$(cat "$log")" "with centra_log_file, nothing goes to stderr"
m=$(enqueue_market "$DB" M9)
wait_for 10 'test "$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $m")" = sent'
assert_eq sent "$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $m")" \
    "an outbox insert is sent at once (NOTIFY wakes the exporter)"
wait_for 10 'curl -s "$metrics" | grep -q "^centra_bridge_messages_sent_total 1\$"'
# The importer's first poll (an empty queue) may come later than the send.
wait_for 10 'curl -s "$metrics" | grep -qF "centra_bridge_last_success_timestamp_seconds{worker=\"import\"}"'
scrape=$(curl -s "$metrics")
for name in centra_bridge_up centra_bridge_events_received_total \
    centra_bridge_import_batches_total centra_bridge_export_requests_total \
    'centra_bridge_outbox_messages{status="pending"}' centra_bridge_outbox_blocked_keys \
    centra_bridge_database_up 'centra_bridge_last_success_timestamp_seconds{worker="import"}' \
    'centra_bridge_worker_up{worker="export"}'; do
    grep -qF "$name " <<<"$scrape"
    cb_report $? "/metrics has $name" "$scrape"
done
assert_contains "$scrape" "centra_bridge_messages_sent_total 1" "the sent message is counted"
assert_contains "$scrape" "centra_bridge_database_up 1" "the database answers"
assert_eq "200 ok" "$(curl -s -o "$cb_tmp/h" -w '%{http_code}' "$health") $(cat "$cb_tmp/h")" \
    "/healthz answers 200 ok"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "${metrics%/metrics}/nope")" \
    "other paths are 404"

exporter=$(pgrep -f -P "$daemon" "export --follow")
kill -KILL "$exporter"
wait_for 10 'grep -q "the export worker was killed by signal 9" "$CENTRA_LOG_FILE"'
wait_for 10 'test -n "$(pgrep -f -P "$daemon" "export --follow" | grep -vx "$exporter")"'
new=$(pgrep -f -P "$daemon" "export --follow")
[[ -n $new && $new != "$exporter" ]]
cb_report $? "a killed worker is started again (pid $exporter, then $new)" "$(cat "$CENTRA_LOG_FILE")"
assert_contains "$(curl -s "$metrics")" 'centra_bridge_worker_restarts_total{worker="export"} 1' \
    "the restart is counted"
assert_contains "$(curl -s "$metrics")" "centra_bridge_messages_sent_total 1" \
    "counters survive the restart"

mv "$CENTRA_LOG_FILE" "$CENTRA_LOG_FILE.1"
kill -HUP "$daemon"
wait_for 10 'test -s "$CENTRA_LOG_FILE"'
wait_for 10 'test "$(grep -c "log file reopened" "$CENTRA_LOG_FILE")" -ge 3'
assert_eq 3 "$(grep -c "log file reopened" "$CENTRA_LOG_FILE")" \
    "SIGHUP: the daemon and both workers reopen the log file"

# Centra goes away: the importer keeps trying, /healthz says why.
stop_sim
wait_for 15 '[[ $(curl -s -o /dev/null -w "%{http_code}" "$health") == 503 ]]'
assert_eq 503 "$(curl -s -o "$cb_tmp/h" -w '%{http_code}' "$health")" \
    "/healthz answers 503 while Centra is unreachable"
assert_contains "$(cat "$cb_tmp/h")" "import: failing since" "naming the worker and the error"
kill -0 "$daemon"
cb_report $? "the daemon keeps running through the outage"
kill -TERM "$daemon"
wait "$daemon"
assert_eq 0 "$?" "SIGTERM during the outage: exit 0"
unset CENTRA_LOG_FILE

# --export-jobs: three exporters, each a worker of its own, share the outbox.
start_sim --orders 5 --seed 7
fresh_db
enqueue_markets "$DB" 1 600
CENTRA_EXPORT_BATCH_SIZE=10 "$CB_BIN" -v run --no-import --export-jobs 3 \
    --metrics-listen 127.0.0.1:0 2>"$log" &
daemon=$!
bg_pids+=("$daemon")
wait_for 10 "grep -q 'metrics on http' '$log'"
metrics=$(grep -o 'http://127.0.0.1:[0-9]*/metrics' "$log" | head -n 1)
wait_for 30 'all_sent "$DB"'
scrape=$(curl -s "$metrics")
assert_eq "3" "$(pgrep -c -f -P "$daemon" "export --follow")" \
    "run --export-jobs 3 runs three exporters"
for i in 1 2 3; do
    assert_contains "$scrape" "centra_bridge_worker_up{worker=\"export-$i\"} 1" \
        "/metrics shows exporter export-$i"
done
assert_not_contains "$scrape" 'worker="import"' "--no-import: no importer"
export_invariants "$DB" "run --export-jobs 3"
assert_not_contains "$(cat "$log")" "ignoring unknown environment variable" \
    "what the supervisor hands its workers (status page, rate share) is no stray CENTRA_ setting"
assert_eq 0 "$(sent_twice markets_Update)" "three exporters sent no message twice"
requests=$(sim_lists markets_Update | wc -l)
wait_for 10 'curl -s "$metrics" | grep -q "^centra_bridge_export_requests_total $requests\$"'
assert_contains "$(curl -s "$metrics")" "centra_bridge_export_requests_total $requests" \
    "centra_bridge_export_requests_total sums the requests of the three ($requests)"
before=$(pgrep -f -P "$daemon" "export --follow" | sort | tr '\n' ' ')
second=$(grep -o 'export-2 worker started (pid [0-9]*' "$log" | grep -o '[0-9]*$')
kill -KILL "$second"
wait_for 10 'grep -q "the export-2 worker was killed by signal 9" "$log"'
wait_for 10 'test "$(pgrep -c -f -P "$daemon" "export --follow")" = 3'
after=$(pgrep -f -P "$daemon" "export --follow" | sort | tr '\n' ' ')
kept=0
for pid in $before; do
    [[ " $after" == *" $pid "* ]] && kept=$((kept + 1))
done
assert_eq 2 "$kept" "a killed exporter is started again alone (before: $before, after: $after)"
scrape=$(curl -s "$metrics")
for i in 1 2 3; do
    assert_contains "$scrape" \
        "centra_bridge_worker_restarts_total{worker=\"export-$i\"} $((i == 2 ? 1 : 0))" \
        "the restart is counted for export-2 only (export-$i)"
done
# The restarted exporter records its run once it has connected (slow under the
# sanitizers): a SIGTERM before that ends it with nothing to record.
wait_for 20 '[[ $(q "$DB" "SELECT count(*) FROM centra.runs WHERE command = '\''export'\''") -ge 4 ]]'
kill -TERM "$daemon"
wait "$daemon"
assert_eq 0 "$?" "SIGTERM: the daemon and its three exporters exit 0"
assert_eq "4:600" "$(q "$DB" "SELECT count(*) || ':' || sum(messages_sent) FROM centra.runs
    WHERE command = 'export'")" \
    "each exporter (and the restarted one) recorded its run; together they sent all 600"
assert_contains "$(cat "$log")" "(3 exporters)" "the start line says how many exporters"

# A worker started again runs the supervisor's own program, even after its file was replaced
# (found in review: an upgrade installed under a running daemon started the new build as a
# worker, which found a migration pending, exited 78 and stopped the whole daemon).
cp "$CB_BIN" "$cb_tmp/cb-installed"
"$cb_tmp/cb-installed" -v run --no-import 2>"$log" &
daemon=$!
bg_pids+=("$daemon")
wait_for 10 "grep -q 'export worker started (pid' '$log'"
exporter=$(grep -o 'export worker started (pid [0-9]*' "$log" | grep -o '[0-9]*$')
printf '#!/bin/sh\nexit 78\n' >"$cb_tmp/cb-new"
chmod +x "$cb_tmp/cb-new"
mv -f "$cb_tmp/cb-new" "$cb_tmp/cb-installed" # as a package manager replaces a file
kill -KILL "$exporter"
wait_for 10 'test "$(grep -c "export worker started (pid" "$log")" -ge 2'
sleep 2
kill -0 "$daemon" 2>/dev/null
cb_report $? "a worker killed after its file was replaced is started again from the running program" "$(cat "$log")"
assert_not_contains "$(cat "$log")" "exited with 78" "not from the new file"
kill -TERM "$daemon"
wait "$daemon"
assert_eq 0 "$?" "SIGTERM: exit 0"

# A refused login stops the daemon with 77; usage errors.
CENTRA_PASSWORD=wrong-pass-77 cb run
assert_eq 77 "$RC" "run exits 77 when Centra refuses the login"
assert_contains "$ERR" "restarting cannot cure that" "and says why it stopped"
assert_not_contains "$OUT$ERR" "wrong-pass-77" "the password is not shown"
cb run --no-import --no-export
assert_eq 64 "$RC" "--no-import --no-export is a usage error"
cb run --export-jobs 0
assert_eq 64 "$RC" "--export-jobs 0 is a usage error"
assert_contains "$ERR" "invalid --export-jobs \"0\" (1 to 16)" "saying what is allowed"
cb run --metrics-listen nowhere
assert_eq 64 "$RC" "a bad --metrics-listen is a usage error"
assert_contains "$ERR" 'invalid --metrics-listen "nowhere"' "saying what is wrong"
CENTRA_METRICS_LISTEN=1.2.3.4.5:80 cb run
assert_eq 78 "$RC" "a bad centra_metrics_listen is a configuration error"
CENTRA_METRICS_LISTEN=1.2.3.4.5:80 cb check
assert_eq 78 "$RC" "which check finds too, as for every setting"
assert_contains "$ERR" 'invalid value for setting "centra_metrics_listen": "1.2.3.4.5:80"' \
    "naming the setting"

finish
