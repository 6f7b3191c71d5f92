# tests/integration/lib.sh
#     Shared helpers for the shell integration tests, sourced by each test.
#
# Environment (set by CTest): CB_BIN (the centra-bridge binary), CB_PGENV
# (the env file of the throwaway cluster, from pgcluster.sh; sourced when it
# exists), CB_SOURCE_DIR, CB_BUILD_DIR.
# Each test creates its own databases (dropped at exit), so tests can run in
# parallel against one cluster.  Results are printed TAP-style; the script
# exits 1 if any check failed.
set -uo pipefail

: "${CB_BIN:?CB_BIN must name the centra-bridge binary}"
: "${CB_SOURCE_DIR:?CB_SOURCE_DIR must name the source tree}"
if [[ -n ${CB_PGENV:-} && -f $CB_PGENV ]]; then
    # shellcheck disable=SC1090
    source "$CB_PGENV"
fi
unset DATABASE_URL CENTRA_URL CENTRA_USERNAME CENTRA_PASSWORD CENTRA_FLAVOR

cb_checks=0
cb_failures=0
cb_databases=()
cb_tmp=$(mktemp -d)

cb_cleanup() {
    local db
    for db in "${cb_databases[@]}"; do
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
    done
    rm -rf "$cb_tmp"
}
trap cb_cleanup EXIT

# ok CONDITION-STATUS DESCRIPTION [DIAGNOSTIC]: record one check.
cb_report() {
    local status=$1 what=$2 diag=${3:-}
    cb_checks=$((cb_checks + 1))
    if [[ $status -eq 0 ]]; then
        echo "ok $cb_checks - $what"
    else
        cb_failures=$((cb_failures + 1))
        echo "not ok $cb_checks - $what"
        [[ -n $diag ]] && printf '%s\n' "$diag" | sed 's/^/#   /'
    fi
}

assert_eq() { # EXPECTED ACTUAL DESCRIPTION
    [[ $1 == "$2" ]]
    cb_report $? "$3" "expected: $1"$'\n'"actual:   $2"
}

assert_contains() { # HAYSTACK NEEDLE DESCRIPTION
    [[ $1 == *"$2"* ]]
    cb_report $? "$3" "expected to find: $2"$'\n'"in:"$'\n'"$1"
}

assert_not_contains() { # HAYSTACK NEEDLE DESCRIPTION
    [[ $1 != *"$2"* ]]
    cb_report $? "$3" "did not expect: $2"$'\n'"in:"$'\n'"$1"
}

# new_db: create an empty database, print its name; dropped at exit.
new_db() {
    local name
    name="cbtest_$(basename "$0" .sh)_$$_${RANDOM}"
    psql -X -q -d postgres -c "CREATE DATABASE \"$name\"" >/dev/null || return 1
    cb_databases+=("$name")
    echo "$name"
}

# db_url DB: the DATABASE_URL of a database of the test cluster.
db_url() {
    echo "postgresql://${PGUSER}@${PGHOST}:${PGPORT}/$1"
}

# q DB SQL: run SQL, print unaligned tuples only.
q() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# wait_for SECONDS 'SHELL CODE': evaluate the code every 0.1 s until it succeeds; 1 on timeout.
wait_for() {
    local limit=$(($1 * 10)) i
    for ((i = 0; i < limit; i++)); do
        eval "$2" && return 0
        sleep 0.1
    done
    return 1
}

# run_cb ARG...: run centra-bridge; sets RC, OUT (stdout) and ERR (stderr).
run_cb() {
    "$CB_BIN" "$@" >"$cb_tmp/out" 2>"$cb_tmp/err"
    RC=$?
    OUT=$(cat "$cb_tmp/out")
    ERR=$(cat "$cb_tmp/err")
}

# finish: print the plan and exit with the outcome.
finish() {
    echo "1..$cb_checks"
    if [[ $cb_failures -gt 0 ]]; then
        echo "# $cb_failures of $cb_checks checks failed"
        exit 1
    fi
    exit 0
}
