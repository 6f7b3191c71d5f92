#!/usr/bin/env bash
# tests/bench/bench_export.sh
#     Export benchmark ("make bench"): N stock updates (CB_BENCH_STOCK,
#     default 100,000, one SKU and warehouse each) and M order updates
#     (CB_BENCH_ORDER_UPDATES, default 10,000) enqueued through the outbox,
#     then drained by one "export --once" each into centra-sim on loopback:
#     once into the normal simulator (which parses, checks and applies every
#     update), once into one started with --discard-updates (which only
#     counts requests and items), so that the exporter's own rate shows.
#     The stock feed then comes a second time, drained by "export --once
#     --jobs 2" (two exporter processes).  Prints Markdown tables; asserts
#     nothing about time.
stock=${CB_BENCH_STOCK:-100000}
orders=${CB_BENCH_ORDER_UPDATES:-10000}
source "$(dirname "$0")/benchlib.sh"

# drain KEY [ARG...]: time one "export --once ARG..."; sets R[KEY] to "secs rss_kb
# sent requests" (rss: the largest process's; sent and requests: over every
# run it made, one per job).
declare -A R
drain() {
    local key=$1 secs rss_kb sent requests last
    shift
    last=$(psql -d "$DATABASE_URL" -c "SELECT coalesce(max(run_id), 0) FROM centra.runs")
    timed "$work/time" "$CB_BIN" -q export --once "$@" 2>>"$work/cb.log"
    read -r secs rss_kb <"$work/time"
    read -r sent requests < <(psql -d "$DATABASE_URL" -F ' ' -c "SELECT sum(messages_sent), sum(batches)
        FROM centra.runs WHERE command = 'export' AND run_id > $last")
    R[$key]="$secs $rss_kb $sent $requests"
}

# enqueue_stock: the stock feed, through centra_outbox.stock_updates.
enqueue_stock() {
    psql -d "$DATABASE_URL" -c "INSERT INTO centra_outbox.stock_updates (product_id, variation_id,
            size_id, warehouse_id, qty)
        SELECT 'B' || p, 'B' || p || '_V', (ARRAY['S','M','L','XL'])[1 + (g / 1000) % 4],
            'W' || g / 4000, g % 50 + ${1:-0}
        FROM generate_series(0, $stock - 1) g, LATERAL (SELECT 1 + g % 1000 AS p) x"
}

# run MODE SIM-ARG...: a fresh database and simulator, then the three drains.
run() {
    local mode=$1 t0 ms
    shift
    psql -c "CREATE DATABASE bench_$mode"
    export DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/bench_$mode"
    "$CB_BIN" -q migrate
    start_sim --orders "$((orders * 2))" --seed 1 "$@"
    # A catalog to stock: 1,000 products of sizes S-XL (sizetable CLOTHING), created
    # through the outbox too; the stock updates then spread over their 4,000 SKUs
    # in 25 warehouses, as a real stock feed would.
    psql -d "bench_$mode" -c "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
        SELECT 'products_Update', 'product:B' || g,
            json_build_object('id', 'B' || g, 'sku', 'B' || g, 'description', 'Bench product ' || g,
                'variations', json_build_object('variation', json_build_object('id', 'B' || g || '_V',
                    'description', 'Default', 'sizetable', json_build_object('id', 'CLOTHING'))))
        FROM generate_series(1, 1000) g"
    drain "$mode.products"
    t0=$(date +%s%N)
    enqueue_stock
    ms=$((($(date +%s%N) - t0) / 1000000))
    R[$mode.enqueue]=$ms
    drain "$mode.stock"
    # The same feed again (new quantities), drained by two exporters of one command.
    enqueue_stock 1
    drain "$mode.stock2" --jobs 2
    psql -d "bench_$mode" -c "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
        SELECT 'orders_Update', 'order:' || (100000 + g),
               json_build_object('id', (100000 + g)::text, 'status', 'processing')
        FROM generate_series(1, $orders) g"
    drain "$mode.orders"
    R[$mode.unsent]=$(psql -d "bench_$mode" -c "SELECT count(*) FROM centra_outbox.messages
        WHERE status <> 'sent'")
    R[$mode.items]=$(sim_json discarded_items)
    R[$mode.calls]=$(($(sim_json requests.products_Update) + $(sim_json requests.orders_Update)))
    R[$mode.sim_rss]=$(peak_rss_mb "$SIM_PID")
    stop_sim "$SIM_PID"
}

run normal
run counting --discard-updates

echo "### Export: $stock stock updates and $orders order updates into centra-sim on loopback ($(pg_durability))"
echo
echo "Enqueue of $stock stock updates through centra_outbox.stock_updates (its trigger):" \
    "$(awk -v n="$stock" -v ms="${R[normal.enqueue]}" 'BEGIN { printf "%.0f rows/s", n * 1000 / ms }').  "
echo
echo "| Drained by one export --once | sim | sent | requests | wall time | messages/s | calls/s | peak RSS | Target |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
for what in products stock stock2 orders; do
    for mode in normal counting; do
        read -r secs rss sent requests <<<"${R[$mode.$what]}"
        awk -v w="$what" -v m="$mode" -v s="$secs" -v rss="$rss" -v sent="$sent" -v r="$requests" 'BEGIN {
            name["products"] = "1,000 new products"; name["stock"] = "stock updates"
            name["orders"] = "order updates"; name["stock2"] = "stock updates, --jobs 2"
            target["stock"] = ">= 20,000 messages/s"; target["stock2"] = target["stock"]
            target["orders"] = ">= 2,000 messages/s"
            if (s <= 0) s = 0.01
            printf "| %s | %s | %d | %d | %.2f s | %.0f | %.0f | %.1f MB | %s |\n", name[w],
                m == "normal" ? "normal" : "counting only", sent, r, s, sent / s, r / s, rss / 1024,
                target[w]
        }'
    done
done
echo
echo "Messages not sent: ${R[normal.unsent]} (normal sim), ${R[counting.unsent]} (counting sim)." \
    "The counting sim counted ${R[counting.items]} items in ${R[counting.calls]} update requests" \
    "for $((2 * stock + orders + 1000)) messages. Peak RSS of centra-sim: ${R[normal.sim_rss]} MB" \
    "(normal), ${R[counting.sim_rss]} MB (counting)."
echo
