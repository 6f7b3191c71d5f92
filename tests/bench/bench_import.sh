#!/usr/bin/env bash
# tests/bench/bench_import.sh
#     Import benchmark ("make bench"): N generated orders (CB_BENCH_ORDERS,
#     default 100,000) drained from centra-sim on loopback into a throwaway
#     PostgreSQL (fsync on) by "import --once", and in the same run the
#     physical limits over the same data: a client that only drains an
#     identical queue (bench_drain), raw expat and the event parser over every
#     answer it received, and raw COPY of the rows the import wrote into
#     empty copies of the staging tables (indexes included), in one
#     transaction.  Then peak memory with a queue of 1k events and with one
#     answer carrying a single large order (CB_BENCH_BIG_LINES lines).
#     Prints Markdown tables; asserts nothing about time.
orders=${CB_BENCH_ORDERS:-100000}
big_lines=${CB_BENCH_BIG_LINES:-90000}
source "$(dirname "$0")/benchlib.sh"
start_sim --orders "$orders" --seed 1

echo "### Import: $orders generated orders, centra-sim on loopback to PostgreSQL ($(pg_durability))"
echo

# 1. End to end.
timed "$work/time" "$CB_BIN" -q import --once 2>>"$work/cb.log"
read -r imp_secs imp_rss <"$work/time"
sim_rss=$(peak_rss_mb "$SIM_PID")

# The staging tables the import wrote to, with their rows.
mapfile -t tables < <(psql -c "SELECT c.relname FROM pg_class c JOIN pg_namespace n
    ON n.oid = c.relnamespace WHERE n.nspname = 'centra' AND c.relkind = 'r'
    AND c.relname NOT IN ('runs', 'schema_migrations') ORDER BY 1")
rows=0
copied=()
mkdir -p "$work/copy"
chmod 777 "$work/copy"
for t in "${tables[@]}"; do
    n=$(psql -c "SELECT count(*) FROM centra.$t")
    [[ $n -gt 0 ]] || continue
    rows=$((rows + n))
    copied+=("$t")
    psql -c "\\copy centra.$t TO '$work/copy/$t.bin' WITH (FORMAT binary)"
done
read -r events bytes < <(psql -F ' ' -c "SELECT count(*), coalesce(sum(octet_length(payload::text)), 0)
    FROM centra.events")

# 2. The drain-only client and the parsers, over an identical queue.
curl -s -X POST "$SIM_BASE/_sim/reset" >/dev/null
"$CB_BUILD_DIR/tests/bench_drain" "$CENTRA_URL" --parse >"$work/drain"
read -r d_events d_bytes d_secs x_secs p_secs < <(awk '/^drain events=/ {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    print v["events"], v["bytes"], v["secs"], v["expat_secs"], v["parser_secs"] }' "$work/drain")

# 3. Raw COPY of the same rows into empty copies of the tables, one transaction.
psql -c "CREATE SCHEMA bench_copy"
: >"$work/copy.sql"
for t in "${copied[@]}"; do
    psql -c "CREATE TABLE bench_copy.$t (LIKE centra.$t INCLUDING ALL)"
    echo "\\copy bench_copy.$t FROM '$work/copy/$t.bin' WITH (FORMAT binary)" >>"$work/copy.sql"
done
# The import compresses payloads with lz4 when the server has it (loader.c):
# so does this COPY, or the bound would count pglz's cost the import avoids.
copy_setup=""
compression=pglz
if [[ $(psql -c "SELECT 'lz4' = ANY (enumvals) FROM pg_settings
        WHERE name = 'default_toast_compression'") == t ]]; then
    copy_setup="SET default_toast_compression = lz4;"
    compression=lz4
fi
t0=$(date +%s%N)
psql -1 -f <(echo "$copy_setup"; echo '\timing on'; cat "$work/copy.sql") >"$work/copy.out"
copy_secs=$(awk -v ns="$(($(date +%s%N) - t0))" 'BEGIN { printf "%.3f", ns / 1e9 }')
# Where the COPY time goes: seconds per table, the largest first.
copy_tables=$(paste <(printf '%s\n' "${copied[@]}") <(awk '/^Time:/ { print $2 / 1000 }' "$work/copy.out") |
    sort -k2 -g -r | head -n 5 | awk '{ printf "%s%s %.2f s", (NR > 1 ? ", " : ""), $1, $2 }')

awk -v e="$events" -v r="$rows" -v b="$bytes" -v s="$imp_secs" -v m="$imp_rss" -v sm="$sim_rss" \
    -v de="$d_events" -v db="$d_bytes" -v ds="$d_secs" -v xs="$x_secs" -v ps="$p_secs" \
    -v cs="$copy_secs" -v nt="${#copied[@]}" -v ct="$copy_tables" -v cm="$compression" 'BEGIN {
    if (s <= 0) s = 0.01
    printf "%d events, %d rows in %d tables, %.0f MB of event payload; %.0f MB of answers.\n\n",
        e, r, nt, b / 1e6, db / 1e6
    printf "| Import end to end | Figure | Target |\n|---|---:|---|\n"
    printf "| wall time | %.1f s | |\n", s
    printf "| events/s | %.0f | >= 5,000 |\n", e / s
    printf "| rows/s | %.0f | |\n", r / s
    printf "| MB/s (answers received) | %.1f | |\n", db / 1e6 / s
    printf "| peak RSS, centra-bridge | %.1f MB | < 32 MB |\n", m / 1024
    printf "| peak RSS, centra-sim | %s MB | |\n\n", sm
    # The physical limits: each stage alone over the same bytes or rows.
    n = 0
    st[++n] = "drain only (centra-sim + HTTP, no parsing)"; ev[n] = de / ds; mb[n] = db / 1e6 / ds
    st[++n] = "raw expat over the same answers"; ev[n] = de / xs; mb[n] = db / 1e6 / xs
    st[++n] = "raw COPY of the same rows (one transaction)"; ev[n] = e / cs; mb[n] = -1
    slow = 1; inv = 0
    for (i = 1; i <= n; i++) { if (ev[i] < ev[slow]) slow = i; inv += 1 / ev[i] }
    printf "| Stage | events/s | MB/s | import end to end, share of it |\n|---|---:|---:|---:|\n"
    printf "| import end to end | %.0f | %.1f | 100%% |\n", e / s, db / 1e6 / s
    for (i = 1; i <= n; i++) {
        if (mb[i] < 0)
            printf "| %s: %.0f rows/s | %.0f | | %.0f%% |\n", st[i], r / cs, ev[i], 100 * (e / s) / ev[i]
        else
            printf "| %s | %.0f | %.1f | %.0f%% |\n", st[i], ev[i], mb[i], 100 * (e / s) / ev[i]
    }
    printf "| (event parser over the same answers, not a limit) | %.0f | %.1f | %.0f%% |\n",
        de / ps, db / 1e6 / ps, 100 * (e / s) / (de / ps)
    printf "| the three stages one after another | %.0f | | %.0f%% |\n\n", 1 / inv, 100 * (e / s) * inv
    printf "Bound: the slowest physical stage is **%s** (%.0f events/s); import end to end runs at %.0f%% of it",
        st[slow], ev[slow], 100 * (e / s) / ev[slow]
    printf " and at %.0f%% of the three stages run one after another (%.0f events/s).\n", 100 * (e / s) * inv, 1 / inv
    printf "The event parser runs at %.0f%% of raw expat over the same answers.\n", 100 * xs / ps
    printf "Raw COPY, the tables that took longest: %s. Payloads compressed with %s, as the import does.\n\n", ct, cm
}'

# 4. Peak memory: a queue of 1k events, and one answer carrying a single large order.
psql -c "CREATE DATABASE bench_small"
curl -s -X POST "$SIM_BASE/_sim/reset?orders=953" >/dev/null
DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/bench_small" "$CB_BIN" -q migrate
timed "$work/time" env DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/bench_small" \
    "$CB_BIN" -q import --once 2>>"$work/cb.log"
read -r small_secs small_rss <"$work/time"
small_events=$(psql -d bench_small -c "SELECT count(*) FROM centra.events")

python3 - "$work/big.xml" "$big_lines" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write('<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:ns1="http://www.centra.com/webservices/"><SOAP-ENV:Body><ns1:events_Get>'
            '<ns1:events><ns1:event><ns1:id>900000001</ns1:id><ns1:type>order</ns1:type>'
            '<ns1:entry>BIG-1</ns1:entry><ns1:mission>update</ns1:mission>'
            '<ns1:date>2026-11-22 10:00:00</ns1:date><ns1:data><ns1:order><ns1:id>BIG-1</ns1:id>'
            '<ns1:ordernumber>900001</ns1:ordernumber><ns1:status>pending</ns1:status>'
            '<ns1:products>')
    for i in range(n):
        f.write('<ns1:product><ns1:id>P%d</ns1:id><ns1:sku>SKU%d</ns1:sku><ns1:price>10.00</ns1:price>'
                '<ns1:qty>1</ns1:qty><ns1:description>A product with a reasonably long name %d</ns1:description>'
                '<ns1:variation><ns1:id>V%d</ns1:id><ns1:description>Colour</ns1:description></ns1:variation>'
                '<ns1:sizes><ns1:size><ns1:id>M</ns1:id><ns1:sku>M</ns1:sku><ns1:qty>1</ns1:qty>'
                '<ns1:orderitem><ns1:id>%d</ns1:id></ns1:orderitem><ns1:warehouseitems><ns1:warehouse>'
                '<ns1:id>W1</ns1:id><ns1:qty>1</ns1:qty></ns1:warehouse></ns1:warehouseitems>'
                '</ns1:size></ns1:sizes></ns1:product>' % (i, i, i, i, i))
    f.write('</ns1:products></ns1:order></ns1:data></ns1:event></ns1:events></ns1:events_Get>'
            '</SOAP-ENV:Body></SOAP-ENV:Envelope>')
PY
timed "$work/time" "$CB_BIN" -q load "$work/big.xml" 2>>"$work/cb.log"
read -r big_secs big_rss <"$work/time"
lines=$(psql -c "SELECT count(*) FROM centra.order_lines WHERE order_id = 'BIG-1'")
awk -v e="$events" -v m="$imp_rss" -v se="$small_events" -v sm="$small_rss" \
    -v sz="$(stat -c %s "$work/big.xml")" -v bs="$big_secs" -v bm="$big_rss" -v l="$lines" 'BEGIN {
    printf "| Peak RSS of centra-bridge | Figure | Target |\n|---|---:|---|\n"
    printf "| import --once, queue of %d events | %.1f MB | < 32 MB |\n", se, sm / 1024
    printf "| import --once, queue of %d events | %.1f MB | < 32 MB |\n", e, m / 1024
    printf "| load of one answer: one order of %.0f MB, %d lines (%.1f s) | %.1f MB | < 32 MB |\n\n",
        sz / 1e6, l, bs, bm / 1024
}'
