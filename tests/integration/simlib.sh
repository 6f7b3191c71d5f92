# tests/integration/simlib.sh
#     Shared helpers of the tests that run centra-bridge against centra-sim:
#     lib.sh, plus starting and stopping simulators, fresh migrated
#     databases and running the binary with a time limit.  Every simulator
#     and background process (bg_pids) started is killed at exit.
#
# Environment (set by CTest): CB_SIM_BIN (the centra-sim binary) plus what
# tests/integration/lib.sh needs.  Needs curl (the simulator's admin API).
source "$(dirname "$0")/lib.sh"

: "${CB_SIM_BIN:?CB_SIM_BIN must name the centra-sim binary}"
for tool in curl python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "Bail out! $tool is needed (scripts/install-deps.sh installs it)"
        exit 1
    fi
done
# Nothing from the caller's environment: every setting is given here.
while read -r var; do
    unset "$var"
done < <(compgen -e | grep -E '^CENTRA_')
export CENTRA_USERNAME=centra-sim CENTRA_PASSWORD=centra-sim CENTRA_RETRY_DELAY=10ms

sim_pids=()
bg_pids=()
# shellcheck disable=SC2317 # called by the trap
sim_cleanup() {
    local pid
    for pid in "${bg_pids[@]}" "${sim_pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    cb_cleanup
}
trap sim_cleanup EXIT

# start_sim ARG...: start centra-sim in the background and wait for the URL on
# its stdout; sets SIM_PID, SIM_URL (exported as CENTRA_URL) and SIM_BASE
# (http://127.0.0.1:PORT).  Returns 1 (and records a failed check) if no URL
# came within 20 s.
start_sim() {
    local n=$((${#sim_pids[@]} + 1)) i out
    out=$cb_tmp/sim$n.out
    : >"$out"
    "$CB_SIM_BIN" --quiet "$@" </dev/null >"$out" 2>"$cb_tmp/sim$n.err" &
    SIM_PID=$!
    sim_pids+=("$SIM_PID")
    SIM_URL=''
    SIM_BASE=''
    for ((i = 0; i < 400; i++)); do
        read -r SIM_URL <"$out" && break
        SIM_URL=
        kill -0 "$SIM_PID" 2>/dev/null || break
        sleep 0.05
    done
    [[ $SIM_URL =~ ^(http://[^/]+)/ ]] && SIM_BASE=${BASH_REMATCH[1]}
    if [[ -z $SIM_BASE ]]; then
        cb_report 1 "centra-sim $* starts" "$(cat "$cb_tmp/sim$n.err")"
        return 1
    fi
    export CENTRA_URL=$SIM_URL
}

# stop_sim: kill the simulator started last.
stop_sim() {
    kill -KILL "$SIM_PID" 2>/dev/null
    wait "$SIM_PID" 2>/dev/null
}

# sim_state: fetch /_sim/state into SIM_STATE.
sim_state() {
    SIM_STATE=$(curl -s "$SIM_BASE/_sim/state")
}

# state KEY: a number of the last SIM_STATE (first occurrence of "KEY":N).
state() {
    grep -o "\"$1\":[0-9.]*" <<<"$SIM_STATE" | head -n 1 | cut -d: -f2
}

# fresh_db: create and migrate a database; sets DB, exports DATABASE_URL.
fresh_db() {
    DB=$(new_db)
    cb_databases+=("$DB") # new_db ran in a subshell: register it for the drop at exit
    export DATABASE_URL
    DATABASE_URL=$(db_url "$DB")
    if ! "$CB_BIN" -q migrate >"$cb_tmp/migrate.err" 2>&1; then
        cb_report 1 "migrate a fresh database" "$(cat "$cb_tmp/migrate.err")"
    fi
}

# cb ARG...: run centra-bridge (at most 60 s); sets RC, OUT, ERR.
cb() {
    timeout -k 5 60 "$CB_BIN" "$@" </dev/null >"$cb_tmp/out" 2>"$cb_tmp/err"
    RC=$?
    OUT=$(cat "$cb_tmp/out")
    ERR=$(cat "$cb_tmp/err")
}

# complete DB WHAT: the simulator's queue is empty and every event is stored
# exactly once and acknowledged (SIM_STATE is the simulator's state afterwards).
complete() {
    local db=$1 what=$2 total
    sim_state
    total=$(state events_total)
    assert_eq "0|$total" "$(state queue_length)|$(state acknowledged_count)" \
        "$what: the queue is drained, all $total events acknowledged"
    assert_eq "$total|$total|$total" "$(q "$db" "SELECT count(*), count(DISTINCT event_id),
        count(done_at) FROM centra.events")" "$what: each event stored once, with done_at"
}
