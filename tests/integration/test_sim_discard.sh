#!/usr/bin/env bash
# tests/integration/test_sim_discard.sh
#     centra-sim --discard-updates (the counting sim of the export benchmark):
#     every *_Update is answered with success, counted with its items and
#     neither applied nor logged; the event queue is served as usual; and
#     "centra-bridge export --once" drains an outbox into it, each item
#     counted once.
source "$(dirname "$0")/simlib.sh"

# post BODY-OF-OPERATION: post a SOAP request with the login; sets OUT.
post() {
    OUT=$(curl -s -H 'Content-Type: text/xml' --data-binary "<?xml version=\"1.0\"?>
<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>$1</soap:Body></soap:Envelope>" \
        "$SIM_URL")
}

# Three stock items for products that do not exist: refused by the normal sim.
stock='<c:products_Update xmlns:c="http://www.centra.com/webservices/"><c:login><c:username>centra-sim</c:username><c:password>centra-sim</c:password></c:login><c:products><c:product><c:id>NOPE1</c:id><c:variations><c:variation><c:id>V</c:id></c:variation></c:variations></c:product><c:product><c:id>NOPE2</c:id></c:product><c:product ><c:id>NOPE3</c:id><c:sizes/></c:product></c:products></c:products_Update>'

start_sim --orders 10
post "$stock"
assert_contains "$OUT" "<ns1:success>false</ns1:success>" "without the option the update is checked and refused"
stop_sim

start_sim --orders 10 --discard-updates
sim_state
objects=$(state objects)
post "$stock"
assert_contains "$OUT" "<ns1:success>true</ns1:success>" "--discard-updates answers success unread"
post '<orders_Update xmlns="http://www.centra.com/webservices/"><login/><orders><order><id>1</id></order><order><id>2</id></order></orders></orders_Update>'
assert_contains "$OUT" "<ns1:success>true</ns1:success>" "a second operation, default namespace"
sim_state
assert_eq "5|1|1|0|$objects|0" "$(state discarded_items)|$(state products_Update)|$(state orders_Update)|$(state logged_requests)|$(state objects)|$(state orders_stored)" \
    "both requests counted by operation, their 5 items counted, nothing logged or applied"
post '<c:products_Update xmlns:c="http://www.centra.com/webservices/"><c:login/><c:products><c:product><c:id>X</c:id></c:product></c:products></c:products_Update>'
sim_state
assert_eq "6|2" "$(state discarded_items)|$(state products_Update)" "counts add up"
post '<events_GetRequest xmlns="http://www.centra.com/webservices/"><login><username>centra-sim</username><password>wrong</password></login><type>all</type></events_GetRequest>'
assert_contains "$OUT" "Login failed" "events_Get is still handled in full (login checked)"
post '<events_GetRequest xmlns="http://www.centra.com/webservices/"><login><username>centra-sim</username><password>centra-sim</password></login><type>all</type></events_GetRequest>'
assert_eq 10 "$(grep -o '<ns1:event>' <<<"$OUT" | wc -l)" "events_Get serves the queue"
curl -s -X POST "$SIM_BASE/_sim/faults?kind=http_503&count=1&op=products_Update" >/dev/null
post '<c:products_Update xmlns:c="http://www.centra.com/webservices/"><c:login/><c:products><c:product><c:id>X</c:id></c:product></c:products></c:products_Update>'
assert_contains "$OUT" "503 Service Unavailable" "faults apply to discarded updates"
sim_state
assert_eq "6" "$(state discarded_items)" "an update answered with a fault counts no items"

# The exporter against it: 250 stock messages, each item counted once.
fresh_db
q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
    SELECT 'products_Update', 'stock:' || g, json_build_object('id', 'P' || g,
        'variations', json_build_object('variation', json_build_object('id', 'V' || g)))
    FROM generate_series(1, 250) g" >/dev/null
curl -s -X POST "$SIM_BASE/_sim/reset" >/dev/null
cb -q export --once
assert_eq 0 "$RC" "export --once into the counting sim exits 0"
sim_state
assert_eq "250|250" "$(q "$DB" "SELECT count(*) FILTER (WHERE status = 'sent') FROM centra_outbox.messages")|$(state discarded_items)" \
    "all 250 messages sent, 250 items counted"
finish
