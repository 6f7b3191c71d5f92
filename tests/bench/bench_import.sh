#!/usr/bin/env bash
# tests/bench/bench_import.sh
#     Import benchmark ("make bench"): N generated orders (default 100,000)
#     drained from centra-sim on loopback into a throwaway PostgreSQL
#     (fsync on), plus the parse-only rate against raw expat and the peak
#     memory of loading one answer that carries a single large order.
#     Prints figures; asserts nothing about time.
orders=${CB_BENCH_ORDERS:-100000}
big_lines=${CB_BENCH_BIG_LINES:-90000}
source "$(dirname "$0")/benchlib.sh"
start_sim --orders "$orders" --seed 1

# One answer, saved for the parse-only comparison.
curl -s -X POST -H 'Content-Type: text/xml; charset=utf-8' --data-binary \
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><events_GetRequest xmlns="http://www.centra.com/webservices/"><login><username>centra-sim</username><password>centra-sim</password></login><type>all</type></events_GetRequest></soap:Body></soap:Envelope>' \
    "$CENTRA_URL" >"$work/answer.xml"

/usr/bin/time -f '%e %M' -o "$work/time" "$CB_BIN" -q import --once
read -r secs rss_kb <"$work/time"
stats=$(psql -X -A -t -F ' ' -d postgres -c "
    SELECT (SELECT count(*) FROM centra.events),
           (SELECT count(*) FROM centra.orders) + (SELECT count(*) FROM centra.order_lines)
         + (SELECT count(*) FROM centra.order_line_warehouses)
         + (SELECT count(*) FROM centra.order_line_supplier_orders)
         + (SELECT count(*) FROM centra.order_bundles) + (SELECT count(*) FROM centra.cancelled_lines)
         + (SELECT count(*) FROM centra.payments) + (SELECT count(*) FROM centra.order_additionals)
         + (SELECT count(*) FROM centra.shipments) + (SELECT count(*) FROM centra.shipment_lines)
         + (SELECT count(*) FROM centra.refunds) + (SELECT count(*) FROM centra.refund_lines)
         + (SELECT count(*) FROM centra.entities) + (SELECT count(*) FROM centra.events),
           (SELECT sum(octet_length(payload::text)) FROM centra.events)")
read -r events rows bytes <<<"$stats"
echo "import: $orders generated orders, $events events, $rows rows, $((bytes / 1000000)) MB of event data"
awk -v e="$events" -v r="$rows" -v b="$bytes" -v s="$secs" -v m="$rss_kb" 'BEGIN {
    printf "  wall time:     %8.1f s\n", s
    printf "  events/s:      %8.0f   (target >= 5000)\n", e / s
    printf "  rows/s:        %8.0f\n", r / s
    printf "  MB/s:          %8.1f\n", b / 1e6 / s
    printf "  peak RSS:      %8.1f MB (target < 32)\n", m / 1024
}'

"$CB_BUILD_DIR/tests/bench_parse" "$work/answer.xml" 5

# One answer carrying a single large order, loaded from a file.
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
/usr/bin/time -f '%e %M' -o "$work/time" "$CB_BIN" -q load "$work/big.xml"
read -r secs rss_kb <"$work/time"
lines=$(psql -X -A -t -d postgres -c "SELECT count(*) FROM centra.order_lines WHERE order_id = 'BIG-1'")
awk -v sz="$(stat -c %s "$work/big.xml")" -v s="$secs" -v m="$rss_kb" -v l="$lines" 'BEGIN {
    printf "one order of %.0f MB (%d lines) loaded in %.1f s, peak RSS %.1f MB (target < 32)\n",
        sz / 1e6, l, s, m / 1024
}'
