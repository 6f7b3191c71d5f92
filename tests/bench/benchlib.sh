# tests/bench/benchlib.sh
#     What the benchmarks share: a work directory, a throwaway PostgreSQL
#     cluster with fsync on (the test clusters run with fsync off: restarted
#     here with the durable defaults) and the schemas migrated, and
#     centra-sim on loopback; all stopped and removed at exit.  Sourced by
#     bench_*.sh.  They print Markdown tables: tests/bench/report.sh puts
#     them in docs/benchmarks.md as they are.
#
# Environment (set by CTest or report.sh): CB_BIN, CB_SIM_BIN, CB_SOURCE_DIR,
# CB_BUILD_DIR.
set -euo pipefail
: "${CB_BIN:?}" "${CB_SIM_BIN:?}" "${CB_SOURCE_DIR:?}" "${CB_BUILD_DIR:?}"
work=$(mktemp -d)
sim_pids=()
bg_pids=()
cleanup() {
    local rc=$? pid
    if [[ $rc -ne 0 && -s $work/cb.log ]]; then
        echo "centra-bridge's messages:" >&2
        cat "$work/cb.log" >&2
    fi
    for pid in "${bg_pids[@]}" "${sim_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    "$CB_SOURCE_DIR/tests/integration/pgcluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
unset CENTRA_URL CENTRA_FLAVOR CENTRA_CONFIG || true

"$CB_SOURCE_DIR/tests/integration/pgcluster.sh" start "$work/pg" "$CB_BUILD_DIR/tests/freeport" \
    >/dev/null
# shellcheck disable=SC1091
source "$work/pg/env"
# The test cluster runs with fsync, synchronous_commit and full_page_writes
# off; a benchmark of durable imports needs them on: restart without them.
# CB_BENCH_FSYNC=off keeps them off (to see what durability costs; the
# tables say which it was).
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [[ ${CB_BENCH_FSYNC:-on} != off ]]; then
    as_owner "$PG_BINDIR/pg_ctl" -D "$PG_CLUSTER_DIR/data" -l "$PG_CLUSTER_DIR/server.log" -w \
        -t 60 -m fast restart -o "-c listen_addresses=127.0.0.1 -c port=$PGPORT \
            -c unix_socket_directories=$PG_CLUSTER_DIR -c max_connections=200 \
            -c log_min_messages=warning" >/dev/null
fi
export DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/postgres"
"$CB_BIN" -q migrate

psql() { command psql -X -q -A -t -v ON_ERROR_STOP=1 -d postgres "$@"; }

# The durability settings, for the tables: "fsync on, synchronous_commit on".
pg_durability() {
    psql -F ' ' -c "SELECT 'fsync ' || current_setting('fsync') || ', synchronous_commit '
        || current_setting('synchronous_commit') || ', PostgreSQL '
        || current_setting('server_version')"
}

# start_sim ARG...: start centra-sim with ARGs; exports CENTRA_URL and the
# login, sets SIM_PID and SIM_BASE (http://127.0.0.1:PORT).
start_sim() {
    local out=$work/sim${#sim_pids[@]}.out
    "$CB_SIM_BIN" --quiet "$@" >"$out" 2>&1 &
    SIM_PID=$!
    sim_pids+=("$SIM_PID")
    for _ in $(seq 600); do grep -q http "$out" && break; sleep 0.1; done
    export CENTRA_URL
    CENTRA_URL=$(grep -o 'http://[^ ]*' "$out" | head -1)
    SIM_BASE=${CENTRA_URL%%/ams/*}
    export CENTRA_USERNAME=centra-sim CENTRA_PASSWORD=centra-sim
}

# stop_sim PID: stop a simulator (SIGTERM) and wait for it.
stop_sim() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# sim_json KEY [BASE]: a top-level number of the simulator's /_sim/state
# (KEY may be "requests.products_Update").
sim_json() {
    curl -s "${2:-$SIM_BASE}/_sim/state" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v)' "$1"
}

# peak_rss_mb PID: the peak resident memory (VmHWM) of a running process, in MB.
peak_rss_mb() {
    awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# timed OUTFILE CMD...: run CMD under /usr/bin/time; OUTFILE gets "SECONDS PEAK_RSS_KB".
timed() {
    local out=$1
    shift
    /usr/bin/time -f '%e %M' -o "$out" "$@"
}
