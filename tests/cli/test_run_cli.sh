#!/usr/bin/env bash
# tests/cli/test_run_cli.sh
#     "run" without a database: the supervisor and its workers as processes.
#     The workers wait for a database that never answers (connection
#     refused, retried for long), so they stay up until killed.  Every
#     process started here, workers included, is killed at exit.
source "$(dirname "$0")/../integration/lib.sh"

bg_pids=()
logs=()
run_cleanup() {
    local pid log
    for log in "${logs[@]}"; do
        for pid in $(grep -o 'worker started (pid [0-9]*' "$log" 2>/dev/null | grep -o '[0-9]*$'); do
            bg_pids+=("$pid")
        done
    done
    for pid in "${bg_pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null
    done
    cb_cleanup
}
trap run_cleanup EXIT

DATABASE_URL="postgresql://u@127.0.0.1:$("$CB_BUILD_DIR/tests/freeport")/none"
export DATABASE_URL CENTRA_DB_RETRIES=1000 CENTRA_URL=https://127.0.0.1:9/none CENTRA_USERNAME=u \
    CENTRA_PASSWORD=p
unset CENTRA_LOG_FILE

# start_run LOG ARG...: start ARG... in the background, stderr to LOG; sets DAEMON.
start_run() {
    local log=$1
    shift
    logs+=("$log")
    "$@" </dev/null >/dev/null 2>"$log" &
    DAEMON=$!
    bg_pids+=("$DAEMON")
}

# worker_pids LOG NAME: the pids of the NAME workers started so far, one a line.
worker_pids() {
    grep -o "$2 worker started (pid [0-9]*" "$1" | grep -o '[0-9]*$'
}

# --- an inherited SIGCHLD "ignore" ---------------------------------------------------------
# Left to the kernel, a dead worker is reaped before the supervisor can wait for it: it was
# never started again and /healthz went on saying it was up (found in a CLI audit).
log=$cb_tmp/sigchld.log
start_run "$log" python3 -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])' "$CB_BIN" run --no-export
wait_for 10 '[[ -n $(worker_pids "$log" import) ]]'
first=$(worker_pids "$log" import | head -n 1)
kill -KILL "$first"
wait_for 10 'grep -q "the import worker was killed by signal 9" "$log"'
cb_report $? "with SIGCHLD ignored by its parent, the daemon sees its worker killed" "$(cat "$log")"
wait_for 10 '[[ $(worker_pids "$log" import | wc -l) -ge 2 ]]'
second=$(worker_pids "$log" import | tail -n 1)
[[ -n $second && $second != "$first" ]] && kill -0 "$second"
cb_report $? "and starts it again (pid $first, then ${second:-none})" "$(cat "$log")"

# --- every global option reaches the workers -------------------------------------------------
# Past 24 global arguments the rest were dropped: here a "--log-level" lost its value and took
# the worker's command for it, the worker exited 64, and the daemon stopped with an empty
# error line (found in a CLI audit).
globals=()
for ((i = 0; i < 14; i++)); do
    globals+=(--log-level info)
done
log=$cb_tmp/argv.log
start_run "$log" "$CB_BIN" "${globals[@]}" run --no-export
wait_for 10 '[[ -n $(worker_pids "$log" import) ]]'
pid=$(worker_pids "$log" import | head -n 1)
# Until its exec, the worker's /proc shows the supervisor's command line.
wait_for 10 '[[ $(tr "\0" "\n" </proc/"$pid"/cmdline 2>/dev/null | tail -n 1) == --follow ]] ||
    ! kill -0 "$pid" 2>/dev/null'
assert_eq "$(printf '%s\n' "$CB_BIN" "${globals[@]}" import --follow)" \
    "$(tr '\0' '\n' </proc/"$pid"/cmdline 2>/dev/null)" \
    "the worker gets all ${#globals[@]} global arguments, then its command"
kill -0 "$DAEMON" 2>/dev/null
cb_report $? "and the daemon runs on" "$(cat "$log")"

# --- a stop during the database retries -----------------------------------------------------
# SIGTERM cut one wait short, and the next attempt began: a worker, and so the daemon, went on
# for all of centra_db_retries (here 1000) before it stopped.
log=$cb_tmp/stop.log
start_run "$log" "$CB_BIN" run --no-export
wait_for 10 'grep -q "retrying in" "$log"'
kill -TERM "$DAEMON"
wait_for 15 '! kill -0 "$DAEMON" 2>/dev/null'
cb_report $? "SIGTERM stops the daemon while its worker waits to reconnect" "$(cat "$log")"
assert_contains "$(cat "$log")" "Not tried again: a stop was asked for." \
    "the worker says it stopped retrying because of the stop"
"$CB_BIN" import --once </dev/null >/dev/null 2>"$cb_tmp/import-stop.log" &
pid=$!
bg_pids+=("$pid")
wait_for 10 'grep -q "retrying in" "$cb_tmp/import-stop.log"'
kill -TERM "$pid"
wait_for 15 '! kill -0 "$pid" 2>/dev/null'
cb_report $? "and an import --once" "$(cat "$cb_tmp/import-stop.log")"
kill -KILL "$pid" 2>/dev/null # one still retrying: fail, not hang
wait "$pid"
assert_eq 69 "$?" "which exits 69: the database was not reached"
assert_contains "$(cat "$cb_tmp/import-stop.log")" "Not tried again: a stop was asked for." \
    "saying why it gave up early"

finish
