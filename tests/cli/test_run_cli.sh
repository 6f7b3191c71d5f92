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

# wait_for SECONDS CONDITION: poll CONDITION (eval'd) every 0.1 s, at most SECONDS.
wait_for() {
    local limit=$(($1 * 10)) i
    for ((i = 0; i < limit; i++)); do
        eval "$2" && return 0
        sleep 0.1
    done
    return 1
}

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

finish
