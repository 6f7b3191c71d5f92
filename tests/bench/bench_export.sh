#!/usr/bin/env bash
# tests/bench/bench_export.sh
#     Export benchmark ("make bench"): N stock updates (default 100,000, one
#     SKU and warehouse each) and M order updates (default 10,000) enqueued
#     through the outbox, then drained into centra-sim on loopback by one
#     "export --once" each.  Prints messages/s, requests/s and peak RSS;
#     asserts nothing about time.
stock=${CB_BENCH_STOCK:-100000}
orders=${CB_BENCH_ORDER_UPDATES:-10000}
source "$(dirname "$0")/benchlib.sh"
start_sim --quiet --orders "$((orders * 2))" --seed 1

psql() { command psql -X -q -A -t -v ON_ERROR_STOP=1 -d postgres "$@"; }

# drain WHAT N: time one "export --once" of the N messages enqueued, print the figures.
drain() {
    local what=$1 n=$2 secs rss_kb sent requests
    /usr/bin/time -f '%e %M' -o "$work/time" "$CB_BIN" -q export --once
    read -r secs rss_kb <"$work/time"
    read -r sent requests < <(psql -F ' ' -c "SELECT messages_sent, batches FROM centra.runs
        WHERE command = 'export' ORDER BY run_id DESC LIMIT 1")
    awk -v w="$what" -v n="$n" -v s="$secs" -v m="$rss_kb" -v sent="$sent" -v r="$requests" 'BEGIN {
        printf "export of %d %s: %d sent in %d requests\n", n, w, sent, r
        printf "  wall time:     %8.1f s\n", s
        printf "  messages/s:    %8.0f\n", sent / s
        printf "  requests/s:    %8.0f\n", r / s
        printf "  peak RSS:      %8.1f MB\n", m / 1024
    }'
}

# A catalog to stock: 1,000 products of sizes S-XL (sizetable CLOTHING), created
# through the outbox too; the stock updates then spread over their 4,000 SKUs
# in 25 warehouses, as a real stock feed would.
psql -c "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
    SELECT 'products_Update', 'product:B' || g,
        json_build_object('id', 'B' || g, 'sku', 'B' || g, 'description', 'Bench product ' || g,
            'variations', json_build_object('variation', json_build_object('id', 'B' || g || '_V',
                'description', 'Default', 'sizetable', json_build_object('id', 'CLOTHING'))))
    FROM generate_series(1, 1000) g"
drain "new products" 1000

t0=$(date +%s%N)
if psql -c "SELECT to_regclass('centra_outbox.stock_updates') IS NOT NULL" | grep -q t; then
    psql -c "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id, qty)
        SELECT 'B' || p, 'B' || p || '_V', (ARRAY['S','M','L','XL'])[1 + (g / 1000) % 4],
            'W' || g / 4000, g % 50
        FROM generate_series(0, $stock - 1) g, LATERAL (SELECT 1 + g % 1000 AS p) x"
else
    psql -c "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
        SELECT 'products_Update', 'stock:B' || p || '/B' || p || '_V/' || z || '/W' || g / 4000,
            json_build_object('id', 'B' || p, 'variations', json_build_object('variation',
                json_build_object('id', 'B' || p || '_V', 'sizes', json_build_object('size',
                    json_build_object('id', z, 'warehouseitems', json_build_object('warehouse',
                        json_build_object('id', 'W' || g / 4000, 'qty', (g % 50)::text)))))))
        FROM generate_series(0, $stock - 1) g,
            LATERAL (SELECT 1 + g % 1000 AS p, (ARRAY['S','M','L','XL'])[1 + (g / 1000) % 4] AS z) x"
fi
ms=$((($(date +%s%N) - t0) / 1000000))
awk -v n="$stock" -v ms="$ms" 'BEGIN { printf "enqueue of %d stock updates: %.1f s, %.0f rows/s\n", n, ms / 1000, n * 1000 / ms }'
drain "stock updates (target >= 20000/s)" "$stock"

psql -c "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
    SELECT 'orders_Update', 'order:' || (100000 + g),
           json_build_object('id', (100000 + g)::text, 'status', 'processing')
    FROM generate_series(1, $orders) g"
drain "order updates (target >= 2000/s)" "$orders"
failed=$(psql -c "SELECT count(*) FROM centra_outbox.messages WHERE status <> 'sent'")
echo "messages not sent: $failed"
