#!/usr/bin/env bash
# tests/bench/bench_scale.sh
#     Scaling ("make bench"):
#     - export: CB_BENCH_STOCK (default 100,000) stock updates drained by one
#       "export --once", and the same messages (in a second, identical
#       database) by two side by side, into a centra-sim that only counts
#       (--discard-updates); the simulator's item count shows whether
#       anything was sent twice;
#     - import: CB_BENCH_ORDERS (default 100,000) generated orders imported by
#       one "import --once", and the same queue (after POST /_sim/reset, into
#       a second database) by two split by market, "--markets Retail-Sweden,
#       Retail-EU" and "--markets Retail-US,Wholesale-EU,Wholesale-US" (about
#       half the orders each), through events_GetByMarkets.
#     PostgreSQL with fsync on.  Prints Markdown tables; asserts nothing about time.
stock=${CB_BENCH_STOCK:-100000}
orders=${CB_BENCH_ORDERS:-100000}
markets_a=Retail-Sweden,Retail-EU
markets_b=Retail-US,Wholesale-EU,Wholesale-US
source "$(dirname "$0")/benchlib.sh"

# db NAME: create and migrate database NAME; prints its URL.
db() {
    psql -c "CREATE DATABASE $1"
    DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/$1" "$CB_BIN" -q migrate
    echo "postgresql://$PGUSER@$PGHOST:$PGPORT/$1"
}

# parallel DB-URL N CMD...: run N copies of centra-bridge CMD at once on DB-URL;
# prints the wall time in seconds.
parallel() {
    local url=$1 n=$2 t0 pids=() i
    shift 2
    t0=$(date +%s%N)
    for ((i = 0; i < n; i++)); do
        DATABASE_URL=$url "$CB_BIN" -q "$@" 2>>"$work/cb.log" &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i"; done
    awk -v ns="$(($(date +%s%N) - t0))" 'BEGIN { printf "%.2f", ns / 1e9 }'
}

echo "### Scaling ($(pg_durability))"
echo

# --- export: one exporter vs two -------------------------------------------------------------
start_sim --discard-updates
declare -A X
for n in 1 2; do
    url=$(db "bench_export$n")
    psql -d "$url" -c "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id,
            warehouse_id, qty)
        SELECT 'B' || p, 'B' || p || '_V', (ARRAY['S','M','L','XL'])[1 + (g / 1000) % 4],
            'W' || g / 4000, g % 50
        FROM generate_series(0, $stock - 1) g, LATERAL (SELECT 1 + g % 1000 AS p) x"
    curl -s -X POST "$SIM_BASE/_sim/reset" >/dev/null
    secs=$(parallel "$url" "$n" export --once)
    X[$n]="$secs $(psql -d "$url" -F ' ' -c "SELECT count(*) FILTER (WHERE status = 'sent'),
        count(*) FILTER (WHERE status <> 'sent') FROM centra_outbox.messages") \
$(sim_json discarded_items) $(sim_json requests.products_Update)"
done
stop_sim "$SIM_PID"
echo "| Export of $stock stock updates, counting sim | wall time | messages/s | sent | not sent | items received | requests | speed-up |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
read -r one_secs _ <<<"${X[1]}"
for n in 1 2; do
    read -r secs sent unsent items requests <<<"${X[$n]}"
    awk -v n="$n" -v s="$secs" -v sent="$sent" -v u="$unsent" -v it="$items" -v r="$requests" \
        -v s1="$one_secs" 'BEGIN {
        printf "| %d export --once process%s | %.2f s | %.0f | %d | %d | %d | %d | %.2f |\n",
            n, (n > 1 ? "es" : ""), s, sent / s, sent, u, it, r, s1 / s
    }'
done
read -r _ sent _ items _ <<<"${X[2]}"
if [[ $items -eq $sent && $sent -eq $stock ]]; then
    echo
    echo "Two exporters: nothing sent twice ($items items received for $sent messages)."
else
    echo
    echo "Two exporters: **$items items received for $sent messages sent of $stock**."
fi
echo

# --- import: one importer vs two split by market ----------------------------------------------
start_sim --orders "$orders" --seed 1
declare -A I
url=$(db bench_import1)
secs=$(parallel "$url" 1 import --once)
I[1]="$secs $(psql -d "$url" -c "SELECT count(*) FROM centra.events") $(sim_json queue_length)"
curl -s -X POST "$SIM_BASE/_sim/reset" >/dev/null
url=$(db bench_import2)
t0=$(date +%s%N)
DATABASE_URL=$url "$CB_BIN" -q import --once --markets "$markets_a" 2>>"$work/cb.log" &
pa=$!
DATABASE_URL=$url "$CB_BIN" -q import --once --markets "$markets_b" 2>>"$work/cb.log" &
pb=$!
wait "$pa"
wait "$pb"
secs=$(awk -v ns="$(($(date +%s%N) - t0))" 'BEGIN { printf "%.2f", ns / 1e9 }')
I[2]="$secs $(psql -d "$url" -c "SELECT count(*) FROM centra.events") $(sim_json queue_length)"
by_market=$(psql -d "$url" -c "SELECT string_agg(m || ' ' || n, ', ' ORDER BY m) FROM (SELECT
    coalesce(o.market_id, '(none)') m, count(*) n FROM centra.events e
    LEFT JOIN centra.orders o ON e.type = 'order' AND o.order_id = e.entry GROUP BY 1) t")
stop_sim "$SIM_PID"
echo "| Import of $orders generated orders | wall time | events imported | left in the queue | events/s | speed-up |"
echo "|---|---:|---:|---:|---:|---:|"
read -r one_secs one_events _ <<<"${I[1]}"
for n in 1 2; do
    read -r secs events left <<<"${I[$n]}"
    awk -v n="$n" -v s="$secs" -v e="$events" -v l="$left" -v s1="$one_secs" -v e1="$one_events" \
        -v a="$markets_a" -v b="$markets_b" 'BEGIN {
        what = n == 1 ? "1 import --once" : "2 import --once, --markets " a " and " b
        printf "| %s | %.2f s | %d | %d | %.0f | %.2f |\n", what, s, e, l, e / s, (e / s) / (e1 / s1)
    }'
done
echo
echo "Split by market, the events of no market (customers, invoices, deleted customers) stay" \
    "queued: events_GetByMarkets does not serve them. Events by the market of their order (split run; (none) for events of other types): $by_market."
echo
