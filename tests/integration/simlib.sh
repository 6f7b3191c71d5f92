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

# private_cluster [COMMAND]: start a PostgreSQL cluster of the test's own (in
# cb_tmp), for tests that restart it, and point every database helper (new_db,
# fresh_db, q, psql) at it.  It commits durably: pgcluster.sh's
# synchronous_commit=off loses the last commits in a crash (a claim, a batch
# already acknowledged), which is not what the bridge is tested against.  At
# exit: COMMAND, then the cluster is stopped before sim_cleanup removes cb_tmp.
# Sets own (its directory) and pgcluster (the script, for "restart").
private_cluster() {
    own=$cb_tmp/own-pg
    pgcluster=$CB_SOURCE_DIR/tests/integration/pgcluster.sh
    # shellcheck disable=SC2064 # COMMAND is expanded now, on purpose
    trap "${1:-:}; \"\$pgcluster\" stop \"\$own\" >/dev/null 2>&1; sim_cleanup" EXIT
    if ! "$pgcluster" start "$own" "$CB_BUILD_DIR/tests/freeport" >"$cb_tmp/pg.out" 2>&1; then
        cb_report 1 "a private PostgreSQL cluster starts" "$(cat "$cb_tmp/pg.out")"
        finish
    fi
    # shellcheck disable=SC1091
    source "$own/env"
    # A role setting wins over the server's.
    psql -X -q -d postgres -c "ALTER ROLE CURRENT_USER SET synchronous_commit = on" >/dev/null
}

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

# sim_add_fault KIND KEY=VALUE...: add a fault to the simulator's list.
sim_add_fault() {
    local kind=$1 args='' kv
    shift
    for kv in "$@"; do
        args+="&$kv"
    done
    curl -s -X POST "$SIM_BASE/_sim/faults?kind=$kind$args" >/dev/null
}

# sim_fault KIND KEY=VALUE...: clear the simulator's faults, then set one.
sim_fault() {
    sim_clear_faults
    sim_add_fault "$@"
}

# sim_clear_faults: no fault any more.
sim_clear_faults() {
    curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null
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

# --- invariants: what must hold after any run, crash or fault ----------------------
staging_tables=(events orders order_lines order_line_warehouses order_line_supplier_orders
    order_bundles cancelled_lines payments order_additionals shipments shipment_lines refunds
    refund_lines entities id_map)

# checksum DB [KEY...]: rows and md5 of every staging table, without the
# timestamps of when a row was written (and without the columns KEY...).
checksum() {
    local db=$1 t sql='' drop="ARRAY['received_at','done_at','updated_at','imported_at','first_seen_at'"
    shift
    for t in "$@"; do
        drop+=",'$t'"
    done
    drop+="]"
    for t in "${staging_tables[@]}"; do
        [[ -n $sql ]] && sql+=" UNION ALL "
        sql+="SELECT '$t' AS t, count(*) AS n, md5(coalesce(string_agg(j, E'\n' ORDER BY j), '')) AS h
               FROM (SELECT (to_jsonb(x) - $drop)::text AS j FROM centra.$t x) s"
    done
    q "$db" "SELECT string_agg(t || '=' || n || ':' || h, E'\n' ORDER BY t) FROM ($sql) u"
}

# fault_fired: how often the first fault of SIM_STATE fired.
fault_fired() {
    grep -o '"fired":[0-9]*' <<<"$SIM_STATE" | head -n 1 | cut -d: -f2
}

# wait_sim COMMAND...: poll /_sim/state until COMMAND (which reads SIM_STATE)
# succeeds, at most 20 s.
wait_sim() {
    local i
    for ((i = 0; i < 400; i++)); do
        sim_state
        "$@" && return 0
        sleep 0.05
    done
    return 1
}

# no_regression DB WHAT: every order holds the state of its newest order event
# (an older event never overwrote a newer one), and so does every entity.
no_regression() {
    local db=$1 what=$2
    assert_eq "0|0" "$(q "$db" "SELECT
        (SELECT count(*) FROM centra.orders o WHERE o.last_event_id IS DISTINCT FROM
            (SELECT max(e.event_id) FROM centra.events e WHERE e.type = 'order'
                AND e.entry = o.order_id AND e.status IN ('applied', 'stale'))),
        (SELECT count(*) FROM centra.entities n WHERE n.last_event_id IS DISTINCT FROM
            (SELECT max(e.event_id) FROM centra.events e WHERE e.type = n.type
                AND e.entry = n.entry AND e.status <> 'quarantined'))")" \
        "$what: every order and entity holds the state of its newest event"
}

# import_invariants DB WHAT [BASELINE]: complete and no_regression; with
# BASELINE (a checksum of a clean import of the same queue), the staging
# tables are exactly those of the clean import.
import_invariants() {
    local db=$1 what=$2
    complete "$db" "$what"
    no_regression "$db" "$what"
    if [[ -n ${3:-} ]]; then
        assert_eq "$3" "$(checksum "$db" run_id)" \
            "$what: the staging tables are exactly those of a clean import"
    fi
}

# all_sent DB: no outbox message is waiting.
all_sent() {
    [[ $(q "$1" "SELECT count(*) FROM centra_outbox.messages
        WHERE status NOT IN ('sent', 'superseded')") == 0 ]]
}
# enqueue_markets DB FROM TO: markets_Update messages for markets RFROM..RTO.
enqueue_markets() {
    q "$1" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
        SELECT 'markets_Update', 'market:R' || i, json_build_object('id', 'R' || i,
            'store', '1', 'type', 'retail', 'description', 'Market ' || i)
        FROM generate_series($2, $3) i" >/dev/null
}

# sent_twice OP: how many distinct item ids the simulator received in more
# than one OP request (at-least-once delivery: a request whose answer was
# lost is sent again).
sent_twice() {
    curl -s "$SIM_BASE/_sim/requests?op=$1" | python3 -c '
import collections, json, re, sys
seen = collections.Counter()
for q in json.load(sys.stdin):
    m = re.search(r"<login>.*?</login>(.*)", q["body"], re.S)
    for i in set(re.findall(r"<(?:\w+:)?id>([^<]*)</(?:\w+:)?id>", m.group(1) if m else "")):
        seen[i] += 1
print(sum(1 for n in seen.values() if n > 1))'
}

# export_invariants DB WHAT [FAILED]: every outbox message reached a final
# state (sent or superseded: none pending, sending or failed; the messages
# FAILED, a comma-separated list of ids Centra refuses, failed and nothing
# else), each sent one exactly once with its request kept, and Centra (the
# simulator's request log) received every sent message: for each, an item
# with the message's <id> in a request of its operation.  Messages whose
# payload has no top-level "id" are checked for the final state only.
export_invariants() {
    local db=$1 what=$2 failed=${3:-} missing
    assert_eq "0" "$(q "$db" "SELECT count(*) FROM centra_outbox.messages
        WHERE status NOT IN ('sent', 'superseded') AND id <> ALL ('{$failed}'::bigint[])")" \
        "$what: every outbox message is sent or superseded${failed:+ (but $failed)}"
    if [[ -n $failed ]]; then
        assert_eq "0" "$(q "$db" "SELECT count(*) FROM centra_outbox.messages
            WHERE id = ANY ('{$failed}'::bigint[]) AND (status <> 'failed' OR errors IS NULL
                OR request_xml IS NULL OR locked_by IS NOT NULL)")" \
            "$what: the messages Centra refuses ($failed) failed, with its errors and the request"
    fi
    assert_eq "0" "$(q "$db" "SELECT count(*) FROM centra_outbox.messages WHERE status = 'sent'
        AND (sent_at IS NULL OR attempts < 1 OR request_xml IS NULL OR locked_by IS NOT NULL)")" \
        "$what: each sent message is recorded once, with its request"
    q "$db" "SELECT id, operation, payload->>'id' FROM centra_outbox.messages
        WHERE status = 'sent' AND payload->>'id' IS NOT NULL ORDER BY id" >"$cb_tmp/sent.txt"
    missing=$(python3 - "$SIM_BASE" "$cb_tmp/sent.txt" <<'PY'
import html, json, re, sys, urllib.request
base, sent = sys.argv[1], sys.argv[2]
ids, missing = {}, []
for line in open(sent):
    mid, op, item = line.rstrip("\n").split("|", 2)
    if op not in ids:
        with urllib.request.urlopen(f"{base}/_sim/requests?op={op}") as r:
            reqs = json.load(r)
        ids[op] = {html.unescape(m) for q in reqs
                   for m in re.findall(r"<(?:\w+:)?id>([^<]*)</(?:\w+:)?id>", q["body"])}
    if item not in ids[op]:
        missing.append(mid)
print(" ".join(missing[:20]))
PY
)
    assert_eq "" "$missing" "$what: the simulator received every sent message (ids of those it did not)"
}
