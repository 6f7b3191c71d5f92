#!/usr/bin/env bash
# tests/integration/test_crash.sh
#     The crash-safety matrix: centra-bridge-faults (centra-bridge with its
#     crash points armed, include/centra/faultpoint.h) is killed with SIGKILL
#     at every named point of the import and export paths; the released
#     centra-bridge then runs to completion, and the simulator's state and
#     the database must show that nothing was lost or done twice: every event
#     stored once and acknowledged, no order regressed, every outbox message
#     delivered at least once and recorded once (twice delivered only when the
#     crash came between Centra's answer and its record).  The points come
#     from "centra-bridge-faults --list-fault-points"; a point no case
#     reached fails the test.  The last lines are the matrix, as TAP comments.
#
# Environment (set by CTest): CB_FAULTS_BIN (centra-bridge-faults), plus what
# simlib.sh and lib.sh need.
source "$(dirname "$0")/simlib.sh"

: "${CB_FAULTS_BIN:?CB_FAULTS_BIN must name the centra-bridge-faults binary}"
SEED=7
ORDERS=300
export CENTRA_POLL_INTERVAL=1s

# --- the points --------------------------------------------------------------------
mapfile -t points < <("$CB_FAULTS_BIN" --list-fault-points | cut -f1)
[[ ${#points[@]} -ge 10 ]]
cb_report $? "centra-bridge-faults lists its fault points (${#points[@]})"
declare -A reached=()
matrix=()

# The released binary has no hook: neither the variable nor a point's name is in it.
if grep -a -q -E 'CB_FAULT_KILL|import\.after_commit|fault point' "$CB_BIN"; then
    cb_report 1 "the released centra-bridge has no fault hook"
else
    cb_report 0 "the released centra-bridge has no fault hook"
fi
CB_FAULT_KILL=import.after_comit "$CB_FAULTS_BIN" --version >/dev/null 2>"$cb_tmp/e"
assert_eq "64" "$?" "a misspelt point in CB_FAULT_KILL: centra-bridge-faults refuses to start (64)"
assert_contains "$(cat "$cb_tmp/e")" 'unknown fault point "import.after_comit"' "naming it"
CB_FAULT_KILL=import.after_commit:0 "$CB_FAULTS_BIN" --version >/dev/null 2>&1
assert_eq "64" "$?" "a hit count below 1 is refused too (64)"

# --- helpers -----------------------------------------------------------------------
# A migrated template: each case's database is a copy (faster than migrating each).
TPL=$(new_db)
cb_databases+=("$TPL")
DATABASE_URL=$(db_url "$TPL") "$CB_BIN" -q migrate >"$cb_tmp/migrate.err" 2>&1 ||
    cb_report 1 "migrate the template database" "$(cat "$cb_tmp/migrate.err")"
ndb=0
# clone_db: a fresh migrated database; sets DB, exports DATABASE_URL.
clone_db() {
    ndb=$((ndb + 1))
    DB="cbtest_crash_$$_$ndb"
    psql -X -q -d postgres -c "CREATE DATABASE \"$DB\" TEMPLATE \"$TPL\"" >/dev/null
    cb_databases+=("$DB")
    export DATABASE_URL
    DATABASE_URL=$(db_url "$DB")
}

# crash POINT SPEC WHAT ARG...: run centra-bridge-faults ARG... with
# CB_FAULT_KILL=SPEC; it must die by SIGKILL (137) at POINT, saying so.
crash() {
    local point=$1 spec=$2 what=$3
    shift 3
    # (The braces keep bash's "Killed" report of the process out of the log.)
    { CB_FAULT_KILL=$spec timeout -k 5 60 "$CB_FAULTS_BIN" "$@" </dev/null >"$cb_tmp/out" \
        2>"$cb_tmp/err"; } 2>/dev/null
    RC=$?
    ERR=$(cat "$cb_tmp/err")
    if [[ $RC -eq 137 && $ERR == *"fault point $point reached: killing the process"* ]]; then
        reached[$point]=1
        cb_report 0 "$what: killed at $point"
        return 0
    fi
    cb_report 1 "$what: killed at $point" "exit $RC; stderr (tail):"$'\n'"$(tail -n 5 <<<"$ERR")"
    return 1
}

# unlocked DB: wait (at most 10 s) until the dead importer's session is gone
# with its queue lock.  PostgreSQL ends it once it sees the connection
# closed; a rerun at once can find the lock still held (the queue is busy:
# exit 75) for a moment, mostly after a kill in the middle of a COPY.
unlocked() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ $(q "$1" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") == 0 ]] &&
            return 0
        sleep 0.1
    done
    cb_report 1 "the killed importer's session ends and frees the queue lock"
}

# case_begin / case_end POINT N COMMAND: one row of the matrix, "ok" when no
# check of the case failed.
case_begin() {
    case_failures=$cb_failures case_t0=$(date +%s%N)
}
case_end() {
    local outcome=ok
    [[ $cb_failures -gt $case_failures ]] && outcome=FAILED
    matrix+=("$(printf '%-22s %-4s %-16s %-11s %5d ms' "$1" "$2" "$3" "$outcome" \
        $((($(date +%s%N) - case_t0) / 1000000)))")
}

# ============================================================================
# Export: 120 markets (requests of 50, 50, 20), stock through stock_updates
# (8 keys written twice: the first of each superseded) and one stock message
# for a product Centra does not know, so the products request is refused and
# split.  Every case has its own simulator and database; all crash first,
# the reruns come after the import cases, by when the 10 s lease has really
# run out.
# ============================================================================
export CENTRA_EXPORT_BATCH_SIZE=50 CENTRA_EXPORT_LEASE=10s CENTRA_REQUEST_TIMEOUT=5s

# fill_outbox DB: the messages; prints the id of the one Centra refuses.
fill_outbox() {
    q "$1" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
        SELECT 'markets_Update', 'market:M' || g, json_build_object('id', 'M' || g,
               'store', '1', 'type', 'retail', 'description', 'Market ' || g)
        FROM generate_series(1, 120) g" >/dev/null
    q "$1" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id,
            warehouse_id, qty)
        SELECT 'T001', 'T001_RED', 'S', 'W' || g, r * 100 + g
        FROM generate_series(1, 2) r, generate_series(1, 8) g ORDER BY r, g" >/dev/null
    q "$1" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id,
            warehouse_id, qty) VALUES ('NOPE', 'NOPE_X', 'S', 'W1', 1) RETURNING message_id"
}

# deliveries DB SIMBASE: the simulator's request log against the outbox, one
# line each: "dups N" (accepted requests that came twice, item for item),
# "bad ID(N)..." (sent messages delivered N times: not once, or not twice
# when in such a request), "accepted N" (requests).  A request holding the
# refused message's item is refused as a whole and delivers nothing.
deliveries() {
    q "$1" "SELECT id, operation, status, coalesce(translate(substring(request_xml
            FROM '<(?:markets|products)>(.*)</(?:markets|products)>'), E'\\n|', '  '), ''),
            payload->>'id' = 'NOPE' FROM centra_outbox.messages ORDER BY id" |
        python3 -c '
import json, re, sys, urllib.request
base = sys.argv[1]
rows = [l.rstrip("\n").split("|", 4) for l in sys.stdin.read().split("\n") if l.strip()]
def items(xml):
    m = re.search(r"<(markets|products)>(.*)</\1>", xml, re.S)
    return m.group(2) if m else ""
refused = [r[3] for r in rows if r[4] == "t" and r[3]]
with urllib.request.urlopen(base + "/_sim/requests") as f:
    reqs = [items(q["body"]) for q in json.load(f)]
accepted = [q for q in reqs if not any(b and b in q for b in refused)]
dups = {q for q in accepted if accepted.count(q) > 1}
bad, sup = [], []
for mid, op, status, it, isbad in rows:
    if status == "sent":
        n = sum(q.count(it) for q in accepted) if it else -1
        want = 2 if any(it in d for d in dups) else 1
        if n != want:
            bad.append("%s(%d)" % (mid, n))
    elif status == "superseded":
        sup.append(mid)
print("dups %d" % len(dups))
print("bad " + " ".join(bad[:20]))
print("accepted %d" % len(accepted))' "$2"
}

# superseded_delivered DB SIMBASE: how many superseded stock quantities reached Centra.
superseded_delivered() {
    local qty n=0
    for qty in $(q "$1" "SELECT payload->'variations'->'variation'->'sizes'->'size'
            ->'warehouseitems'->'warehouse'->>'qty' FROM centra_outbox.messages
            WHERE status = 'superseded'"); do
        curl -s "$2/_sim/requests?op=products_Update" | grep -q "<qty>$qty</qty>" && n=$((n + 1))
    done
    echo "$n"
}

# A clean export: what the matrix compares with.
start_sim --orders 10 || finish
clone_db
bad=$(fill_outbox "$DB")
cb export --once
assert_eq 1 "$RC" "clean export: exits 1 (one message refused)"
export_invariants "$DB" "clean export" "$bad"
assert_eq $'dups 0\nbad ' "$(deliveries "$DB" "$SIM_BASE" | sed -n 1,2p)" \
    "clean export: each sent message delivered exactly once"
stop_sim

export_cases=(export.after_claim:1 export.after_send:1 export.after_send:2 export.after_send:4
    export.mid_bisect:1 export.mid_bisect:2 export.after_record:1 export.after_record:3)
declare -A ex_db=() ex_sim=() ex_url=() ex_pid=() ex_bad=() ex_ok=() ex_failed=()
# export_crash SPEC: the crash half of an export case (ex_ok[SPEC]=1 when it died there).
export_crash() {
    local spec=$1 point=${1%:*}
    ex_ok[$spec]=0
    start_sim --orders 10 || return
    clone_db
    ex_db[$spec]=$DB ex_sim[$spec]=$SIM_BASE ex_url[$spec]=$SIM_URL ex_pid[$spec]=$SIM_PID
    ex_bad[$spec]=$(fill_outbox "$DB")
    crash "$point" "$spec" "export --once, $spec" export --once || return
    ex_ok[$spec]=1
    # After the crash, a newer stock quantity for W1 (whose message may be claimed).
    q "$DB" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id,
        warehouse_id, qty) VALUES ('T001', 'T001_RED', 'S', 'W1', 999)" >/dev/null
    [[ $spec == export.after_claim:1 ]] || return
    assert_eq "sending|pending" "$(q "$DB" "SELECT string_agg(status, '|' ORDER BY id)
        FROM centra_outbox.messages WHERE entity_key = 'stock:T001/T001_RED/S/W1'
        AND status <> 'superseded'")" \
        "after a crash at $spec: a newer stock message does not supersede the claimed one"
    cb export --once
    assert_eq "0|sending" "$RC|$(q "$DB" "SELECT string_agg(DISTINCT status, ',')
        FROM centra_outbox.messages WHERE status NOT IN ('superseded', 'pending')")" \
        "while the lease of the dead exporter runs, another one leaves its messages alone"
}
for spec in "${export_cases[@]}"; do
    before=$cb_failures
    export_crash "$spec"
    ex_failed[$spec]=$((cb_failures - before)) # counted in the case's row of the matrix
done
crashed_at=$(date +%s)

# ============================================================================
# Import: the baseline, then every import point at the first hit and at a
# middle batch (300 orders: 315 events, batches of 100, 100, 100, 15)
# ============================================================================
start_sim --orders "$ORDERS" --seed "$SEED" || finish
reset_sim() {
    curl -s -X POST "$SIM_BASE/_sim/reset?orders=$ORDERS&seed=$SEED" >/dev/null
}
clone_db
cb import --once
assert_eq 0 "$RC" "baseline: a clean import --once exits 0"
BASELINE=$(checksum "$DB" run_id)
import_invariants "$DB" "baseline"
stale=$(q "$DB" "SELECT count(*) FROM centra.events WHERE status = 'stale'")
orders2=$(q "$DB" "SELECT count(*) FROM (SELECT entry FROM centra.events WHERE type = 'order'
    GROUP BY entry HAVING count(*) > 1) s")
[[ $orders2 -gt 0 ]]
cb_report $? "baseline: some orders have two events ($orders2; $stale stale), so staleness is exercised"

# import_case POINT N [RERUN...]: crash import --once at the Nth hit of POINT,
# rerun (default: import --once) and check the invariants against the baseline.
import_case() {
    local point=$1 n=$2 what="import --once, $1:$2"
    case_begin
    reset_sim
    clone_db
    if crash "$point" "$point:$n" "$what" import --once; then
        unlocked "$DB"
        cb import --once
        assert_eq 0 "$RC" "$what: the rerun (released binary) exits 0"
        import_invariants "$DB" "$what" "$BASELINE"
    fi
    case_end "$point" "$n" "import --once"
}

for point in "${points[@]}"; do
    [[ $point == import.* ]] || continue
    case $point in
    import.mid_parse)
        import_case "$point" 50
        import_case "$point" 150
        ;;
    *)
        import_case "$point" 1
        import_case "$point" 2
        ;;
    esac
done

# sync: import --once then export --once in one process.
for point in import.after_commit import.after_done; do
    what="sync, $point:2"
    case_begin
    reset_sim
    clone_db
    q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
        VALUES ('markets_Update', 'market:SYNC', '{\"id\":\"SYNC\",\"store\":\"1\"}')" >/dev/null
    if crash "$point" "$point:2" "$what" sync; then
        assert_eq "pending" "$(q "$DB" "SELECT status FROM centra_outbox.messages")" \
            "$what: the export half never started"
        unlocked "$DB"
        cb sync
        assert_eq 0 "$RC" "$what: the rerun (released binary) exits 0"
        import_invariants "$DB" "$what" "$BASELINE"
        export_invariants "$DB" "$what"
    fi
    case_end "$point" 2 "sync"
done

# import --follow (what the daemon's import worker runs), rerun as --follow until drained.
# drained DB: the queue is empty and every event has its done_at (or, under the
# known gap, all but the ones acknowledged before the crash).
drained() {
    sim_state
    [[ $(state queue_length) == 0 && $(state acknowledged_count) == "$(state events_total)" ]] &&
        [[ $(q "$DB" "SELECT count(*) FROM centra.events WHERE done_at IS NULL") -le $1 ]]
}
for point in import.after_commit import.after_done; do
    what="import --follow, $point:2"
    case_begin
    reset_sim
    clone_db
    if crash "$point" "$point:2" "$what" import --follow; then
        "$CB_BIN" -q import --follow </dev/null >/dev/null 2>"$cb_tmp/follow.err" &
        pid=$!
        bg_pids+=("$pid")
        gap=0
        [[ $point == import.after_done ]] && gap=100
        for ((i = 0; i < 200; i++)); do
            drained "$gap" && break
            sleep 0.1
        done
        kill -TERM "$pid"
        wait "$pid"
        assert_eq 0 "$?" "$what: the rerun (released import --follow) stops on SIGTERM with 0"
        import_invariants "$DB" "$what" "$BASELINE"
    fi
    case_end "$point" 2 "import --follow"
done
stop_sim

# ============================================================================
# Export, continued: the reruns, once the lease of the dead exporters ran out
# (the import cases above took longer than that, mostly)
# ============================================================================

while (($(date +%s) < crashed_at + 11)); do
    sleep 0.5
done
for spec in "${export_cases[@]}"; do
    point=${spec%:*}
    what="export --once, $spec"
    case_begin
    if [[ ${ex_ok[$spec]} == 1 ]]; then
        DB=${ex_db[$spec]} SIM_BASE=${ex_sim[$spec]}
        export DATABASE_URL
        DATABASE_URL=$(db_url "$DB")
        CENTRA_URL=${ex_url[$spec]} cb export --once
        [[ $RC -eq 0 || $RC -eq 1 ]]
        cb_report $? "$what: the rerun after the lease ran out finishes (exit $RC)"
        export_invariants "$DB" "$what" "${ex_bad[$spec]}"
        res=$(deliveries "$DB" "$SIM_BASE")
        want=0
        [[ $point == export.after_send ]] && want=1
        assert_eq "dups $want" "$(head -n 1 <<<"$res")" \
            "$what: $want request delivered twice (the one between Centra's answer and its record)"
        assert_eq "bad " "$(sed -n 2p <<<"$res")" \
            "$what: every other sent message delivered exactly once"
        assert_eq "0" "$(superseded_delivered "$DB" "$SIM_BASE")" \
            "$what: no superseded stock quantity was sent"
        assert_eq "0|sent|sent" "$(q "$DB" "SELECT count(*) FILTER (WHERE attempts <> 1
                AND status IN ('sent', 'failed')),
            (SELECT string_agg(status, '|' ORDER BY id) FROM centra_outbox.messages
             WHERE entity_key = 'stock:T001/T001_RED/S/W1' AND status <> 'superseded')
            FROM centra_outbox.messages")" \
            "$what: each message recorded once (attempts 1); W1's two quantities both sent"
        assert_eq "t" "$(q "$DB" "SELECT (SELECT sent_at FROM centra_outbox.messages
            WHERE entity_key = 'stock:T001/T001_RED/S/W1' AND status = 'sent' ORDER BY id
            LIMIT 1) <= (SELECT sent_at FROM centra_outbox.messages WHERE entity_key =
            'stock:T001/T001_RED/S/W1' AND status = 'sent' ORDER BY id DESC LIMIT 1)")" \
            "$what: in order per entity_key (the older quantity first)"
    fi
    case_failures=$((case_failures - ex_failed[$spec])) # its crash half's failures too
    case_end "$point" "${spec#*:}" "export --once"
    kill -KILL "${ex_pid[$spec]}" 2>/dev/null
    wait "${ex_pid[$spec]}" 2>/dev/null
done

# ============================================================================
# Every point was reached by some case; the matrix
# ============================================================================
for point in "${points[@]}"; do
    [[ -n ${reached[$point]:-} ]]
    cb_report $? "fault point $point was reached (the run died there)"
done
echo "# crash-safety matrix (point, hit, command, outcome after the rerun):"
for row in "${matrix[@]}"; do
    echo "#   $row"
done
finish
