# tests/bench/benchlib.sh
#     What the benchmarks share: a work directory, a throwaway PostgreSQL
#     cluster (fsync on) with the schemas migrated, and centra-sim on
#     loopback; all stopped and removed at exit.  Sourced by bench_*.sh.
#
# Environment (set by CTest): CB_BIN, CB_SIM_BIN, CB_SOURCE_DIR, CB_BUILD_DIR.
set -euo pipefail
: "${CB_BIN:?}" "${CB_SIM_BIN:?}" "${CB_SOURCE_DIR:?}" "${CB_BUILD_DIR:?}"
work=$(mktemp -d)
sim_pid=
cleanup() {
    [[ -n $sim_pid ]] && kill "$sim_pid" 2>/dev/null
    "$CB_SOURCE_DIR/tests/integration/pgcluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"

"$CB_SOURCE_DIR/tests/integration/pgcluster.sh" start "$work/pg" "$CB_BUILD_DIR/tests/freeport" \
    >/dev/null
# shellcheck disable=SC1091
source "$work/pg/env"
export DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/postgres"
"$CB_BIN" -q migrate

# start_sim ARG...: start centra-sim with ARGs; exports CENTRA_URL and the login.
start_sim() {
    "$CB_SIM_BIN" "$@" >"$work/sim.out" 2>&1 &
    sim_pid=$!
    for _ in $(seq 100); do grep -q http "$work/sim.out" && break; sleep 0.1; done
    export CENTRA_URL
    CENTRA_URL=$(grep -o 'http://[^ ]*' "$work/sim.out" | head -1)
    export CENTRA_USERNAME=centra-sim CENTRA_PASSWORD=centra-sim
}
