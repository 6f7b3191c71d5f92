#!/usr/bin/env bash
# tests/integration/test_soak.sh
#     The fault soak (CTest label "soak", run by "make soak", not by "make
#     test"): the daemon (centra-bridge run) against centra-sim for
#     CB_SOAK_SECONDS (default 180) on a private PostgreSQL cluster, while
#     - every second or so a random fault of a random kind (every kind that
#       "centra-sim --help" lists but refuse), operation, count or rate and
#       delay is set;
#     - the ERP inserts concurrently: markets_Update messages with distinct
#       ids, stock_updates rows, order_status_updates for imported orders,
#       and Centra queues new events (POST /_sim/events, appended);
#     - every 30-60 s PostgreSQL is restarted in immediate mode, centra-sim
#       is killed (SIGKILL) and started again from its --state-file, and the
#       daemon gets a SIGHUP (its log file renamed first, as logrotate does).
#     centra-sim compresses its whole answers (--gzip), as the bridge asks.
#     Then the faults are cleared, the inserts stop, the queue and the outbox
#     drain, SIGTERM stops the daemon (exit 0) and the invariants of
#     simlib.sh hold: every event stored once and acknowledged, no order or
#     entity regressed, every message sent and recorded once.  Events the
#     malformed and invalid_chars faults spoiled are quarantined by design
#     (stored and acknowledged) and counted apart.  Nothing about time is
#     asserted; the drain waits are bounds only.
#
# CB_SOAK_SEED replays a run's random choices (printed at the start); the
# timing of the processes differs from run to run.  A summary is printed and
# written to $CB_BUILD_DIR/soak-summary.txt.
source "$(dirname "$0")/simlib.sh"

duration=${CB_SOAK_SECONDS:-180}
seed=${CB_SOAK_SEED:-$(((RANDOM << 15) | RANDOM))}
RANDOM=$seed
echo "# soak: ${duration}s, seed $seed (CB_SOAK_SEED=$seed replays the choices)"

stop_file=$cb_tmp/stop-inserting
private_cluster 'touch "$stop_file"'
# Quick retries; a message may fail transiently many times in a row here
# (Centra down for a second, a run of faults): it must not become 'failed'.
export CENTRA_DB_RETRY_DELAY=100ms CENTRA_POLL_INTERVAL=1s CENTRA_RETRY_DELAY=50ms \
    CENTRA_EXPORT_BACKOFF_MAX=2s CENTRA_EXPORT_MAX_ATTEMPTS=1000 CENTRA_EXPORT_LEASE=10s \
    CENTRA_REQUEST_TIMEOUT=5s

# Every fault kind centra-sim has, from its --help (as test_sim_cli reads them), but
# refuse: Centra refusing an update is no fault but an answer, which fails the message
# for good by design (test_export covers it), against the invariants below.
mapfile -t kinds < <("$CB_SIM_BIN" --help | sed -n '/kinds:/,/--url-file/p' |
    sed '1s/.*kinds://;$d' | tr -s ' \n' '\n' | grep -E '^[a-z_0-9]+$' | grep -vx refuse)
[[ ${#kinds[@]} -ge 10 ]]
cb_report $? "centra-sim --help lists the fault kinds (${kinds[*]})"

# --- centra-sim, the database, the daemon -------------------------------------
port=$("$CB_BUILD_DIR/tests/freeport")
# --gzip: answers come compressed, as the bridge asks for them (CENTRA_COMPRESSION).
sim_args=(--orders 3000 --seed $((seed % 1000 + 1)) --state-file "$cb_tmp/sim.state"
    --listen "127.0.0.1:$port" --gzip)
start_sim "${sim_args[@]}" || finish
fresh_db
mport=$("$CB_BUILD_DIR/tests/freeport")
metrics=http://127.0.0.1:$mport/metrics
# The log goes to a file, rotated (renamed) before each SIGHUP.
export CENTRA_LOG_FILE=$cb_tmp/daemon.log
log=$CENTRA_LOG_FILE
"$CB_BIN" -v run --metrics-listen "127.0.0.1:$mport" </dev/null >/dev/null 2>"$cb_tmp/daemon.err" &
daemon=$!
bg_pids+=("$daemon")
wait_for 20 'curl -sf "$metrics" >/dev/null'
cb_report $? "the daemon serves /metrics" "$(tail -n 20 "$log")"

# --- the ERP and Centra, concurrently ------------------------------------------
# One stock row the simulator's catalog knows, from an imported order line.
stock_target() {
    q "$DB" "SELECT l.product_id || '|' || l.variation_id || '|' || l.size_id || '|' || w.warehouse_id
        FROM centra.order_lines l JOIN centra.order_line_warehouses w USING (order_id, orderitem_id)
        WHERE l.bundle_role <> 'bundle' ORDER BY random() LIMIT 1" 2>/dev/null
}
inserter() {
    local n=0 t
    while [[ ! -e $stop_file ]]; do
        n=$((n + 1))
        {
            q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
                VALUES ('markets_Update', 'market:S$n', json_build_object('id', 'S$n',
                    'store', '1', 'type', 'retail', 'description', 'Soak market $n'))" &&
                echo market
            t=$(stock_target)
            if [[ -n $t ]]; then
                IFS='|' read -r p v s w <<<"$t"
                q "$DB" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id,
                    warehouse_id, qty) VALUES ('$p', '$v', '$s', '$w', $((n % 50)))" && echo stock
            fi
            q "$DB" "INSERT INTO centra_outbox.order_status_updates (order_id, locked)
                SELECT order_id, $( ((n % 2)) && echo true || echo false) FROM centra.orders ORDER BY random() LIMIT 1
                RETURNING id" | grep -q . && echo status
            if ((n % 3 == 0)); then
                curl -sf -X POST "$SIM_BASE/_sim/events?ids=new" --data-binary \
                    "<events><event><type>customer</type><entry>SOAK$n</entry><mission>update</mission><data><customer><id>SOAK$n</id><email>soak$n@example.com</email></customer></data></event></events>" \
                    >/dev/null && echo event
            fi
        } 2>/dev/null
        sleep 0.2
    done
}
inserter >"$cb_tmp/inserted" &
inserter_pid=$!
bg_pids+=("$inserter_pid")

# --- faults -----------------------------------------------------------------
declare -A set_count fired_count
collect_fired() { # add what the simulator's faults fired to fired_count
    local line kind n
    while read -r line; do
        kind=${line%% *}
        n=${line##* }
        [[ -n $kind && $n =~ ^[0-9]+$ ]] && fired_count[$kind]=$((${fired_count[$kind]:-0} + n))
    done < <(curl -sf "$SIM_BASE/_sim/faults" | python3 -c '
import json, sys
for f in json.load(sys.stdin):
    print(f["kind"], f["fired"])' 2>/dev/null)
}
random_fault() {
    local kind=${kinds[RANDOM % ${#kinds[@]}]} op args=()
    case $kind in
    malformed | invalid_chars | repeat) op=events_Get ;;
    slow_done) op=events_Done ;;
    *)
        local ops=("" events_Get events_Done markets_Update products_Update orders_Update)
        op=${ops[RANDOM % ${#ops[@]}]}
        ;;
    esac
    [[ -n $op ]] && args+=("op=$op")
    if ((RANDOM % 2)); then
        args+=("count=$((RANDOM % 5 + 1))")
    else
        args+=("rate=0.$((RANDOM % 45 + 5))")
    fi
    case $kind in
    delay | slow_done) args+=("ms=$((RANDOM % 1500 + 50))") ;;
    http_429) args+=("retry_after=1") ;;
    esac
    collect_fired
    sim_fault "$kind" "${args[@]}"
    set_count[$kind]=$((${set_count[$kind]:-0} + 1))
}

pg_restarts=0 sim_restarts=0 sighups=0
next_pg=$((SECONDS + 30 + RANDOM % 31))
next_sim=$((SECONDS + 30 + RANDOM % 31))
next_hup=$((SECONDS + 30 + RANDOM % 31))
end=$((SECONDS + duration))
while ((SECONDS < end)); do
    random_fault
    if ((SECONDS >= next_pg)); then
        echo "# ${SECONDS}s: PostgreSQL restart"
        "$pgcluster" restart "$own" >"$cb_tmp/pg.out" 2>&1
        cb_report $? "PostgreSQL restart $((pg_restarts + 1))" "$(cat "$cb_tmp/pg.out")"
        pg_restarts=$((pg_restarts + 1))
        next_pg=$((SECONDS + 30 + RANDOM % 31))
    fi
    if ((SECONDS >= next_sim)); then
        echo "# ${SECONDS}s: centra-sim killed"
        collect_fired
        stop_sim
        start_sim "${sim_args[@]}"
        cb_report $? "centra-sim started again ($((sim_restarts + 1)))"
        sim_restarts=$((sim_restarts + 1))
        next_sim=$((SECONDS + 30 + RANDOM % 31))
    fi
    if ((SECONDS >= next_hup)); then
        mv "$log" "$log.$sighups"
        kill -HUP "$daemon"
        sighups=$((sighups + 1))
        next_hup=$((SECONDS + 30 + RANDOM % 31))
    fi
    sleep 1
done

# --- drain and check ----------------------------------------------------------
collect_fired
sim_clear_faults
touch "$stop_file"
wait "$inserter_pid"
echo "# ${SECONDS}s: faults cleared, inserts stopped; draining"
# The outbox first: a status update the exporter sends makes centra-sim queue
# a new order event, so the queue is only final once every message is sent
# (read in the other order, the last request's events could come after it).
drained() {
    [[ $(q "$DB" "SELECT count(*) FROM centra_outbox.messages
            WHERE status NOT IN ('sent', 'superseded')") == 0 ]] || return 1
    sim_state
    [[ $(state queue_length) == 0 &&
        $(q "$DB" "SELECT count(done_at) FROM centra.events") == "$(state events_total)" ]]
}
wait_for 180 drained
cb_report $? "the queue and the outbox drain once the faults stop" \
    "$(q "$DB" "SELECT status, count(*) FROM centra_outbox.messages GROUP BY 1")
$(cat "$log".* "$log" | grep -E 'ERROR|FATAL' | tail -n 20)"
kill -0 "$daemon"
cb_report $? "the daemon is still running" "$(tail -n 20 "$log")"
scrape=$(curl -s "$metrics")
kill -TERM "$daemon"
wait_for 60 '! kill -0 "$daemon" 2>/dev/null'
wait "$daemon"
cb_report $? "SIGTERM: the daemon exits 0" "$(tail -n 20 "$log")"

if ((sighups > 0)); then
    assert_eq 3 "$(grep -c "log file reopened" "$log")" \
        "after the last SIGHUP the daemon and both workers write to the new log file"
fi
assert_eq "" "$(cat "$cb_tmp/daemon.err")" "with centra_log_file, nothing on stderr"
import_invariants "$DB" "soak"
export_invariants "$DB" "soak"
quarantined=$(q "$DB" "SELECT count(*) FROM centra.events WHERE status = 'quarantined'")
# From centra-sim itself: the fired counts above miss what fires between a read and a clear.
sim_state
spoiled=$(state spoiled_events)
[[ $quarantined -le $spoiled ]]
cb_report $? "only spoiled events are quarantined ($quarantined, $spoiled spoiled)" \
    "$(q "$DB" "SELECT event_id, error FROM centra.events WHERE status = 'quarantined' LIMIT 10")"
assert_eq 0 "$(q "$DB" "SELECT count(*) FROM centra_outbox.messages WHERE status = 'failed'")" \
    "no message failed for good"
# Since its last start (the count is not kept across a kill).
[[ $(state gzip_responses) -gt 0 ]]
cb_report $? "the answers came compressed ($(state gzip_responses) since centra-sim's last start)"

# --- summary --------------------------------------------------------------------
worker_restarts=$(grep -E '^centra_bridge_worker_restarts_total' <<<"$scrape" |
    sed -E 's/.*worker="([a-z]+)"\} ([0-9]+)/\1 \2/' | tr '\n' ' ')
{
    echo "soak summary (seed $seed, ${duration}s of faults)"
    printf '  %-16s %8s %8s\n' "fault" "set" "fired"
    for kind in "${kinds[@]}"; do
        printf '  %-16s %8d %8d\n' "$kind" "${set_count[$kind]:-0}" "${fired_count[$kind]:-0}"
    done
    echo "  PostgreSQL restarts:  $pg_restarts"
    echo "  centra-sim restarts:  $sim_restarts"
    echo "  SIGHUPs:              $sighups"
    echo "  worker restarts:      ${worker_restarts:-none}"
    echo "  events imported:      $(q "$DB" "SELECT count(*) FROM centra.events") ($quarantined quarantined)"
    echo "  ERP inserts:          $(sort "$cb_tmp/inserted" | uniq -c | awk '{printf "%s %s, ", $2, $1}')"
    echo "  messages sent:        $(q "$DB" "SELECT count(*) FROM centra_outbox.messages WHERE status = 'sent'")"
    echo "  sent more than once:  $(sent_twice markets_Update) markets (answers lost to faults and kills)"
    echo "  drained after:        ${SECONDS}s in all"
} >"$cb_tmp/summary"
sed 's/^/# /' "$cb_tmp/summary"
cp "$cb_tmp/summary" "$CB_BUILD_DIR/soak-summary.txt" 2>/dev/null

finish
