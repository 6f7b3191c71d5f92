#!/usr/bin/env bash
# tests/integration/test_cookbook.sh
#     The cookbook of Centra's ERP integration guide driven from SQL alone:
#     every step is an INSERT into a typed outbox table or a call of an
#     enqueue function, then "centra-bridge export --once", and centra-sim
#     must receive the guide's own request (whitespace between tags and the
#     login removed).  Where the product deliberately sends something else
#     (one item per stock, price or shipment row; the shipment id of the
#     guide's own order event), the exact XML it sends is asserted and the
#     difference stated.  The order events the updates queued come back
#     through "import --once" (centra.orders shows the new state), and stock
#     coalescing is checked end to end.
source "$(dirname "$0")/simlib.sh"

guide_dir=$CB_SOURCE_DIR/tests/fixtures/guide

# sim_lists OP: the list element (<markets>...</markets> etc.) of every
# OP request centra-sim received, one request per line, oldest first.
sim_lists() {
    curl -s "$SIM_BASE/_sim/requests?op=$1" | python3 -c '
import json, re, sys
for r in json.load(sys.stdin):
    m = re.search(r"<login>.*?</login>(.*)</" + sys.argv[1] + r">", r["body"], re.S)
    print(m.group(1).strip() if m else "NO LIST: " + r["body"][:200])' "$1"
}

# step OP DESCRIPTION: export what is queued; the expected requests (one per
# line) come on stdin, separated by a line "--", each normalised: the login
# removed, the whitespace between tags removed, <x></x> written <x/> (the
# same XML).  Checks exit 0, that the messages enqueued since the last step
# are sent (WANT: their distinct statuses, default sent), and that Centra
# received exactly these OP requests, in this order.
mark=0
step() {
    local op=$1 what=$2 before expected actual statuses
    before=$(sim_lists "$op" | wc -l)
    expected=$(python3 -c '
import re, sys
for part in re.split(r"^--$", sys.stdin.read(), flags=re.M):
    s = re.sub(r"<login>.*?</login>", "", part, flags=re.S)
    s = re.sub(r">\s+<", "><", s).strip()
    if s:
        print(re.sub(r"<([A-Za-z_][\w.-]*)></\1>", r"<\1/>", s))')
    cb export --once
    [[ $RC -eq 0 ]]
    cb_report $? "$what: export --once exits 0" "exit $RC: $ERR"
    statuses=$(q "$DB" "SELECT count(*) || ' ' || coalesce(string_agg(DISTINCT status, ','), '')
        FROM centra_outbox.messages WHERE id > $mark")
    [[ $statuses =~ ^[1-9][0-9]*\ ${WANT:-sent}$ ]]
    cb_report $? "$what: the step's messages are ${WANT:-sent}" "$statuses"
    actual=$(sim_lists "$op" | tail -n +$((before + 1)))
    assert_eq "$expected" "$actual" "$what: Centra receives exactly this $op"
    mark=$(q "$DB" "SELECT coalesce(max(id), 0) FROM centra_outbox.messages")
}

start_sim --orders 0 || finish
fresh_db

# ============================================================================
# Product data: sizetables, the sweater, the chair
# ============================================================================
q "$DB" "SELECT centra_outbox.enqueue_size('S', 'Small', 'SML', 'Small Medium Large'),
                centra_outbox.enqueue_size('M', 'Medium', 'SML', 'Small Medium Large'),
                centra_outbox.enqueue_size('L', 'Large', 'SML', 'Small Medium Large'),
                centra_outbox.enqueue_size('OS', '', 'OneSize', 'One Size')" >/dev/null
# The four messages go in one request: the guide's sample exactly.
step sizes_Update "Sizetables" <<'XML'
      <sizes>
        <size>
          <id>S</id>
          <description>Small</description>
          <sizetable>
            <id>SML</id>
            <description>Small Medium Large</description>
          </sizetable>
        </size>
        <size>
          <id>M</id>
          <description>Medium</description>
          <sizetable>
            <id>SML</id>
            <description>Small Medium Large</description>
          </sizetable>
        </size>
        <size>
          <id>L</id>
          <description>Large</description>
          <sizetable>
            <id>SML</id>
            <description>Small Medium Large</description>
          </sizetable>
        </size>
        <size>
          <id>OS</id>
          <description/>
          <sizetable>
            <id>OneSize</id>
            <description>One Size</description>
          </sizetable>
        </size>
      </sizes>
XML
# Centra's notices are the request's: each message keeps the one that names its size.
assert_eq "size:SML/S|Added new size: S: Small to: Small Medium Large!
size:SML/M|Added new size: M: Medium to: Small Medium Large!
size:SML/L|Added new size: L: Large to: Small Medium Large!
size:OneSize/OS|Added new size: OS:  to: One Size!" "$(q "$DB" "SELECT entity_key || '|' || array_to_string(notices, '|')
    FROM centra_outbox.messages WHERE operation = 'sizes_Update' ORDER BY id")" \
    "Sizetables: each message keeps Centra's 'Added new size' notice about its own size"

q "$DB" "INSERT INTO centra_outbox.products (product_id, status, sku, description, folder, brand_id,
             brand_name, collection_id, collection_name, variations)
         VALUES ('T001', 'active', 'TURTLE001', 'Turtleneck sweater', 'Sweaters / Turtleneck',
             'Example', 'Example Brand', 'XMAS', 'X-Mas',
             '[{\"id\": \"T001_RED\", \"description\": \"Red\", \"sku\": \"RED\", \"status\": \"active\",
                \"sizetable\": \"SML\", \"sizes\": [{\"id\": \"S\", \"sku\": \"01\", \"ean\": \"1234567890123\"},
                {\"id\": \"M\", \"sku\": \"02\", \"ean\": \"1234567890124\"},
                {\"id\": \"L\", \"sku\": \"03\", \"ean\": \"1234567890125\"}]},
               {\"id\": \"T001_BLUE\", \"description\": \"Blue\", \"sku\": \"BLUE\", \"status\": \"inactive\",
                \"sizetable\": \"SML\", \"sizes\": [{\"id\": \"S\", \"sku\": \"01\", \"ean\": \"2234567890123\"},
                {\"id\": \"M\", \"sku\": \"02\", \"ean\": \"2234567890124\"},
                {\"id\": \"L\", \"sku\": \"03\", \"ean\": \"2234567890125\"}]}]')" >/dev/null
step products_Update "Product Data: A Sweater" <<'XML'
      <products>
        <product>
          <id>T001</id>
          <status>active</status>
          <sku>TURTLE001</sku>
          <description>Turtleneck sweater</description>
          <folder>
            <description>Sweaters / Turtleneck</description>
          </folder>
          <brand>
            <id>Example</id>
            <description>Example Brand</description>
          </brand>
          <collection>
            <id>XMAS</id>
            <description>X-Mas</description>
          </collection>
          <variations>
            <variation>
              <id>T001_RED</id>
              <stockid>T001_RED</stockid>
              <description>Red</description>
              <sku>RED</sku>
              <status>active</status>
              <sizetable>
                <id>SML</id>
              </sizetable>
              <sizes>
                <size>
                  <id>S</id>
                  <sku>01</sku>
                  <ean>1234567890123</ean>
                </size>
                <size>
                  <id>M</id>
                  <sku>02</sku>
                  <ean>1234567890124</ean>
                </size>
                <size>
                  <id>L</id>
                  <sku>03</sku>
                  <ean>1234567890125</ean>
                </size>
              </sizes>
            </variation>
            <variation>
              <id>T001_BLUE</id>
              <stockid>T001_BLUE</stockid>
              <description>Blue</description>
              <sku>BLUE</sku>
              <status>inactive</status>
              <sizetable>
                <id>SML</id>
              </sizetable>
              <sizes>
                <size>
                  <id>S</id>
                  <sku>01</sku>
                  <ean>2234567890123</ean>
                </size>
                <size>
                  <id>M</id>
                  <sku>02</sku>
                  <ean>2234567890124</ean>
                </size>
                <size>
                  <id>L</id>
                  <sku>03</sku>
                  <ean>2234567890125</ean>
                </size>
              </sizes>
            </variation>
          </variations>
        </product>
      </products>
XML

q "$DB" "INSERT INTO centra_outbox.products (product_id, status, description, folder, brand_id,
             brand_name, collection_id, collection_name, variations)
         VALUES ('PWC', 'active', 'Plain wood chair', 'Furniture / Chairs', 'Example', 'Example Brand',
             'XMAS', 'X-Mas', '[{\"id\": \"PWC\", \"description\": \"Plain\", \"status\": \"active\",
             \"sizetable\": \"OneSize\", \"sizes\": [{\"id\": \"OS\"}]}]')" >/dev/null
step products_Update "Product Data: A Chair" <<'XML'
      <products>
        <product>
          <id>PWC</id>
          <status>active</status>
          <description>Plain wood chair</description>
          <folder>
            <description>Furniture / Chairs</description>
          </folder>
          <brand>
            <id>Example</id>
            <description>Example Brand</description>
          </brand>
          <collection>
            <id>XMAS</id>
            <description>X-Mas</description>
          </collection>
          <variations>
            <variation>
              <id>PWC</id>
              <stockid>PWC</stockid>
              <description>Plain</description>
              <status>active</status>
              <sizetable>
                <id>OneSize</id>
              </sizetable>
              <sizes>
                <size>
                  <id>OS</id>
                </size>
              </sizes>
            </variation>
          </variations>
        </product>
      </products>
XML

# ============================================================================
# Product stock: warehouses, stock update
# ============================================================================
q "$DB" "SELECT centra_outbox.enqueue_warehouse('MainWarehouse', 'Main Warehouse'),
                centra_outbox.enqueue_warehouse('OtherWarehouse', 'Other Warehouse')" >/dev/null
step warehouses_Update "Product Stock: Warehouses" <<'XML'
      <warehouses>
        <warehouse>
          <id>MainWarehouse</id>
          <description>Main Warehouse</description>
        </warehouse>
        <warehouse>
          <id>OtherWarehouse</id>
          <description>Other Warehouse</description>
        </warehouse>
      </warehouses>
XML

q "$DB" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id, qty)
         VALUES ('PWC', 'PWC', 'OS', 'MainWarehouse', 1), ('PWC', 'PWC', 'OS', 'OtherWarehouse', 2)" >/dev/null
# Differs from the guide by design: a stock row is one size in one warehouse
# (entity_key stock:P/V/S/W, so that rows coalesce per warehouse), so the
# guide's one <product> with two <warehouse> elements arrives as two
# <product> items, one per warehouse, in the same request.
step products_Update "Product Stock: Stock Update (one <product> per warehouse row)" <<'XML'
      <products>
        <product>
          <id>PWC</id>
          <variations>
            <variation>
              <id>PWC</id>
              <stockid>PWC</stockid>
              <sizes>
                <size>
                  <id>OS</id>
                  <warehouseitems>
                    <warehouse>
                      <id>MainWarehouse</id>
                      <qty>1</qty>
                    </warehouse>
                  </warehouseitems>
                </size>
              </sizes>
            </variation>
          </variations>
        </product>
        <product>
          <id>PWC</id>
          <variations>
            <variation>
              <id>PWC</id>
              <stockid>PWC</stockid>
              <sizes>
                <size>
                  <id>OS</id>
                  <warehouseitems>
                    <warehouse>
                      <id>OtherWarehouse</id>
                      <qty>2</qty>
                    </warehouse>
                  </warehouseitems>
                </size>
              </sizes>
            </variation>
          </variations>
        </product>
      </products>
XML

# Coalescing end to end: three rows for one size and warehouse before an
# export; only the last is sent.
q "$DB" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id, qty)
         VALUES ('PWC', 'PWC', 'OS', 'MainWarehouse', 7)" >/dev/null
q "$DB" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id, qty)
         VALUES ('PWC', 'PWC', 'OS', 'MainWarehouse', 5)" >/dev/null
q "$DB" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id, qty)
         VALUES ('PWC', 'PWC', 'OS', 'MainWarehouse', 3)" >/dev/null
coalesce_mark=$mark
WANT=sent,superseded step products_Update "Coalescing: three stock rows of one key, one export" <<'XML'
<products><product><id>PWC</id><variations><variation><id>PWC</id><stockid>PWC</stockid><sizes><size><id>OS</id><warehouseitems><warehouse><id>MainWarehouse</id><qty>3</qty></warehouse></warehouseitems></size></sizes></variation></variations></product></products>
XML
assert_eq "superseded:+1|superseded:+1|sent:1" "$(q "$DB" "SELECT string_agg(status || ':' || coalesce(
        '+' || (superseded_by - id), attempts::text), '|' ORDER BY id)
    FROM centra_outbox.messages WHERE id > $coalesce_mark")" \
    "Coalescing: each is superseded by the next row's message; the last is sent once"

# ============================================================================
# Pricelists and prices
# ============================================================================
q "$DB" "SELECT centra_outbox.enqueue_pricelist('EUR-Retail', 1, 'retail', 'EUR', 'Euro'),
                centra_outbox.enqueue_pricelist('USD-Wholesale', 2, 'wholesale', 'USD', 'US Dollar')" >/dev/null
# Differs from the guide by design: enqueue_pricelist creates the pricelist
# without <items>; prices come from centra_outbox.prices (next step).
step pricelists_Update "Pricelists: the two pricelists (the guide's, without <items>)" <<'XML'
      <pricelists>
        <pricelist>
          <id>EUR-Retail</id>
          <store>1</store>
          <type>retail</type>
          <currency>EUR</currency>
          <description>Euro</description>
        </pricelist>
        <pricelist>
          <id>USD-Wholesale</id>
          <store>2</store>
          <type>wholesale</type>
          <currency>USD</currency>
          <description>US Dollar</description>
        </pricelist>
      </pricelists>
XML
q "$DB" "INSERT INTO centra_outbox.prices (pricelist_id, product_id, variation_id, price, priceb,
             altered_price, altered_priceb)
         VALUES ('EUR-Retail', 'T001', 'T001_RED', 123, NULL, NULL, NULL),
                ('EUR-Retail', 'T001', 'T001_BLUE', 234, NULL, NULL, NULL),
                ('EUR-Retail', 'PWC', NULL, 1000, NULL, NULL, NULL),
                ('USD-Wholesale', 'T001', 'T001_RED', 45, 123, 50, 150),
                ('USD-Wholesale', 'T001', 'T001_BLUE', 67, 234, 80, 250),
                ('USD-Wholesale', 'PWC', NULL, 700, 1000, NULL, NULL)" >/dev/null
# Differs from the guide by design: one price row is one <pricelist> item
# ({id, items: {product}}) of entity_key pricelist:<list>/<product>.  Two
# variations of one product share a key, so the second waits for the first:
# the guide's one request arrives as two, each variation its own item.
step pricelists_Update "Pricelists: the prices (one <pricelist> item per price row)" <<'XML'
<pricelists><pricelist><id>EUR-Retail</id><items><product><id>T001</id><variation><id>T001_RED</id><price>123</price></variation></product></items></pricelist><pricelist><id>EUR-Retail</id><items><product><id>PWC</id><price>1000</price></product></items></pricelist><pricelist><id>USD-Wholesale</id><items><product><id>T001</id><variation><id>T001_RED</id><price>45</price><priceb>123</priceb><alteredprice>50</alteredprice><alteredpriceb>150</alteredpriceb></variation></product></items></pricelist><pricelist><id>USD-Wholesale</id><items><product><id>PWC</id><price>700</price><priceb>1000</priceb></product></items></pricelist></pricelists>
--
<pricelists><pricelist><id>EUR-Retail</id><items><product><id>T001</id><variation><id>T001_BLUE</id><price>234</price></variation></product></items></pricelist><pricelist><id>USD-Wholesale</id><items><product><id>T001</id><variation><id>T001_BLUE</id><price>67</price><priceb>234</priceb><alteredprice>80</alteredprice><alteredpriceb>250</alteredpriceb></variation></product></items></pricelist></pricelists>
XML

# ============================================================================
# Markets, payment terms, shipping terms, the account
# ============================================================================
q "$DB" "SELECT centra_outbox.enqueue_market('Retail-Global', 1, 'retail', 'Global'),
                centra_outbox.enqueue_market('Retail-Sweden', 1, 'retail', 'Sweden'),
                centra_outbox.enqueue_market('Wholesale-Market', 2, 'wholesale', 'Global')" >/dev/null
step markets_Update "Markets" <<'XML'
      <markets>
        <market>
          <id>Retail-Global</id>
          <store>1</store>
          <type>retail</type>
          <description>Global</description>
        </market>
        <market>
          <id>Retail-Sweden</id>
          <store>1</store>
          <type>retail</type>
          <description>Sweden</description>
        </market>
        <market>
          <id>Wholesale-Market</id>
          <store>2</store>
          <type>wholesale</type>
          <description>Global</description>
        </market>
      </markets>
XML

q "$DB" "SELECT centra_outbox.enqueue_payment_terms('30NET', '30 Days',
             'Optional text describing this paymentterm', 30)" >/dev/null
step paymentterms_Update "Wholesale Accounts: Payment Terms" <<'XML'
      <paymentterms>
        <paymentterms>
          <id>30NET</id>
          <name>30 Days</name>
          <description>Optional text describing this paymentterm</description>
          <duedays>30</duedays>
        </paymentterms>
      </paymentterms>
XML

q "$DB" "SELECT centra_outbox.enqueue_shipping_terms('DDU', 'Delivered Duty Unpaid',
             'Optional text describing this shippingterm')" >/dev/null
step shippingterms_Update "Wholesale Accounts: Shipping Terms" <<'XML'
      <shippingterms>
        <shippingterms>
          <id>DDU</id>
          <name>Delivered Duty Unpaid</name>
          <description>Optional text describing this shippingterm</description>
        </shippingterms>
      </shippingterms>
XML

# jsonb addresses in any key order: the function writes Centra's order.
q "$DB" "SELECT centra_outbox.enqueue_account('12345', 'Company Name', 'active', 'Wholesale-Market',
             'USD-Wholesale', '30NET', 'DDU',
             '{\"url\": \"www.example.com\", \"company\": \"Example\", \"attn\": \"Person name\",
               \"address1\": \"Street 1\", \"address2\": \"Suite 123\", \"city\": \"City\",
               \"state\": \"State\", \"zipcode\": \"12345\", \"country\": \"US\",
               \"email\": \"info@example.com\", \"telephone\": \"123 456 789\"}',
             '{\"company\": \"Example Warehouse\", \"attn\": \"Person name\", \"address1\": \"Street 1\",
               \"address2\": \"Suite 123\", \"city\": \"City\", \"state\": \"State\", \"zipcode\": \"12345\",
               \"country\": \"FR\", \"email\": \"info@example.com\", \"telephone\": \"123 456 789\"}',
             '{\"vat\": \"SE12345678901\", \"company\": \"Example Billing\", \"attn\": \"Person name\",
               \"address1\": \"Street 1\", \"address2\": \"Suite 123\", \"city\": \"City\", \"state\": \"\",
               \"zipcode\": \"12345\", \"country\": \"SE\", \"email\": \"info@example.com\",
               \"telephone\": \"123 456 789\"}',
             '[{\"email\": \"first.last@example.com\", \"id\": \"12345_buyer1\", \"store\": 2,
                \"status\": \"active\", \"firstname\": \"Frist\", \"lastname\": \"Last\"}]')" >/dev/null
# The guide's <state></state> is the same XML as the <state/> sent for ''.
step accounts_Update "Wholesale Accounts: Account Data (with a buyer)" <<'XML'
      <accounts>
        <account>
          <id>12345</id>
          <type>wholesale</type>
          <status>active</status>
          <description>Company Name</description>
          <market>
            <id>Wholesale-Market</id>
          </market>
          <pricelist>
            <id>USD-Wholesale</id>
          </pricelist>
          <paymentterms>
            <id>30NET</id>
          </paymentterms>
          <shippingterms>
            <id>DDU</id>
          </shippingterms>
          <accountaddress>
            <company>Example</company>
            <attn>Person name</attn>
            <address1>Street 1</address1>
            <address2>Suite 123</address2>
            <city>City</city>
            <state>State</state>
            <zipcode>12345</zipcode>
            <country>US</country>
            <email>info@example.com</email>
            <telephone>123 456 789</telephone>
            <url>www.example.com</url>
          </accountaddress>
          <shippingaddress>
            <company>Example Warehouse</company>
            <attn>Person name</attn>
            <address1>Street 1</address1>
            <address2>Suite 123</address2>
            <city>City</city>
            <state>State</state>
            <zipcode>12345</zipcode>
            <country>FR</country>
            <email>info@example.com</email>
            <telephone>123 456 789</telephone>
          </shippingaddress>
          <invoiceaddress>
            <company>Example Billing</company>
            <attn>Person name</attn>
            <address1>Street 1</address1>
            <address2>Suite 123</address2>
            <city>City</city>
            <state></state>
            <zipcode>12345</zipcode>
            <country>SE</country>
            <email>info@example.com</email>
            <telephone>123 456 789</telephone>
            <vat>SE12345678901</vat>
          </invoiceaddress>
          <buyers>
            <buyer>
              <id>12345_buyer1</id>
              <store>2</store>
              <status>active</status>
              <firstname>Frist</firstname>
              <lastname>Last</lastname>
              <email>first.last@example.com</email>
            </buyer>
          </buyers>
        </account>
      </accounts>
XML

# ============================================================================
# Orders: the guide's order events, in the database and in Centra
# ============================================================================
cb load "$guide_dir/dtc_order_event.xml" "$guide_dir/wholesale_order_event.xml"
assert_eq "0|25:wholesale,30:retail" "$RC|$(q "$DB" "SELECT string_agg(order_id || ':' || type, ',' ORDER BY order_id)
    FROM centra.orders")" "cb load puts the guide's orders 30 (retail) and 25 (wholesale) in centra.orders"
for f in dtc_order_event.xml wholesale_order_event.xml; do
    out=$(curl -s --data-binary "@$guide_dir/$f" "$SIM_BASE/_sim/events?ids=free")
    assert_contains "$out" '"appended":1' "centra-sim takes the event of $f"
done

# --- Direct-to-consumer: lock, ship with capture, refund ---------------------
q "$DB" "INSERT INTO centra_outbox.order_status_updates (order_id, locked) VALUES ('30', true)" >/dev/null
step orders_Update "Direct-to-consumer orders: Lock Order" <<'XML'
      <orders>
        <order>
          <id>30</id>
          <type>retail</type>
          <store>1</store>
          <locked>yes</locked>
        </order>
      </orders>
XML

q "$DB" "INSERT INTO centra_outbox.shipment_updates (order_id, shipment_id, action, carrier, service,
             tracking, capture, order_status)
         VALUES ('30', '8', 'ship', 'UPS', 'STANDARD', '1Z123123123123', true, 'completed')" >/dev/null
step orders_Update "Direct-to-Consumer orders: Order Shipped (capture)" <<'XML'
      <orders>
        <order>
          <id>30</id>
          <type>retail</type>
          <store>1</store>
          <status>completed</status>
          <shipments>
            <shipment>
              <id>8</id>
              <shipped>yes</shipped>
              <capture>yes</capture>
              <carrierinformation>
                <carrier>UPS</carrier>
                <service>STANDARD</service>
                <tracking>1Z123123123123</tracking>
              </carrierinformation>
            </shipment>
          </shipments>
        </order>
      </orders>
XML

# Round trip: each orders_Update queued an order event; import brings the
# order's new state back into centra.orders.
cb import --once
assert_eq 0 "$RC" "import --once after the updates exits 0"
assert_eq "completed|t|8|t|t|UPS|1Z123123123123" "$(q "$DB" "SELECT o.status, o.locked, s.shipment_id, s.shipped, s.paid,
    s.carrier, s.tracking FROM centra.orders o JOIN centra.shipments s USING (order_id) WHERE o.order_id = '30'")" \
    "the event Centra queued shows order 30 completed, locked, shipment 8 shipped, paid (captured), UPS tracking"
sim_state
assert_eq 0 "$(state queue_length)" "import acknowledged every event (the queue is empty)"

# Differs from the guide: its refund names shipment 30-1, which its own order
# event (shipment 8) does not have; Centra (and centra-sim) refund only a
# shipped shipment of the order, so the refund names shipment 8.  Appendix 1
# is the shipment's, status confirmed the default.  Each size also names its
# orderitem, which the guide's sample leaves out: without it Centra refunds the
# first line of that size, whichever the ERP named (docs/outbox.md).
q "$DB" "INSERT INTO centra_outbox.refunds (order_id, refund_id, shipment_id, lines)
         VALUES ('30', '12', '8', '[{\"orderitem\": \"81\", \"qty\": 1}]')" >/dev/null
step orders_Update "Direct-to-Consumer orders: Create Return (Refund), of shipment 8" <<'XML'
      <orders>
        <order>
          <id>30</id>
          <type>retail</type>
          <store>1</store>
          <shipments>
            <shipment>
              <id>8</id>
              <appendix>1</appendix>
              <refunds>
                <refund>
                  <id>12</id>
                  <status>confirmed</status>
                  <products>
                    <product>
                      <id>T001</id>
                      <variation>
                        <id>T001_RED</id>
                      </variation>
                      <sizes>
                        <size>
                          <id>S</id>
                          <qty>1</qty>
                          <orderitem>
                            <id>81</id>
                          </orderitem>
                        </size>
                      </sizes>
                    </product>
                  </products>
                </refund>
              </refunds>
            </shipment>
          </shipments>
        </order>
      </orders>
XML

# --- Wholesale: confirm and lock, cancel an item, two shipments, shipped -----
q "$DB" "INSERT INTO centra_outbox.order_status_updates (order_id, status, locked)
         VALUES ('25', 'confirmed', true)" >/dev/null
step orders_Update "Wholesale orders: Confirm And Lock Order" <<'XML'
      <orders>
        <order>
          <id>25</id>
          <type>wholesale</type>
          <store>2</store>
          <status>confirmed</status>
          <locked>yes</locked>
        </order>
      </orders>
XML

q "$DB" "INSERT INTO centra_outbox.item_cancellations (order_id, orderitem_id, qty) VALUES ('25', '71', 1)" >/dev/null
step orders_Update "Wholesale orders: Cancel Item" <<'XML'
      <orders>
        <order>
          <id>25</id>
          <type>wholesale</type>
          <store>2</store>
          <cancelled>
            <product>
              <id>T001</id>
              <variation>
                <id>T001_RED</id>
              </variation>
              <sizes>
                <size>
                  <id>L</id>
                  <qty>1</qty>
                  <orderitem>
                    <id>71</id>
                  </orderitem>
                  <supplierorderitems/>
                </size>
              </sizes>
            </product>
          </cancelled>
        </order>
      </orders>
XML

q "$DB" "INSERT INTO centra_outbox.shipment_updates (order_id, shipment_id, action, appendix, lines,
             shipping_subtotal)
         VALUES ('25', 'shipment-25-1', 'create', 1, '[{\"orderitem\": \"68\", \"qty\": 1},
             {\"orderitem\": \"69\", \"qty\": 1}, {\"orderitem\": \"67\", \"qty\": 2}]', 123)" >/dev/null
step orders_Update "Wholesale orders: Shipment 1" <<'XML'
      <orders>
        <order>
          <id>25</id>
          <type>wholesale</type>
          <store>2</store>
          <shipments>
            <shipment>
              <id>shipment-25-1</id>
              <shipped>no</shipped>
              <goodtogo>yes</goodtogo>
              <appendix>1</appendix>
              <products>
                <product>
                  <id>T001</id>
                  <variation>
                    <id>T001_BLUE</id>
                  </variation>
                  <sizes>
                    <size>
                      <id>S</id>
                      <qty>1</qty>
                      <orderitem>
                        <id>68</id>
                      </orderitem>
                    </size>
                    <size>
                      <id>M</id>
                      <qty>1</qty>
                      <orderitem>
                        <id>69</id>
                      </orderitem>
                    </size>
                  </sizes>
                </product>
                <product>
                  <id>PWC</id>
                  <variation>
                    <id>PWC</id>
                  </variation>
                  <sizes>
                    <size>
                      <id>OS</id>
                      <qty>2</qty>
                      <orderitem>
                        <id>67</id>
                      </orderitem>
                    </size>
                  </sizes>
                </product>
              </products>
              <shipping>
                <subtotal>123</subtotal>
              </shipping>
            </shipment>
          </shipments>
        </order>
      </orders>
XML

q "$DB" "INSERT INTO centra_outbox.shipment_updates (order_id, shipment_id, action, appendix, lines,
             shipping_subtotal)
         VALUES ('25', 'shipment-25-2', 'create', 2, '[{\"orderitem\": \"69\", \"qty\": 1},
             {\"orderitem\": \"70\", \"qty\": 3}, {\"orderitem\": \"71\", \"qty\": 3}]', 0)" >/dev/null
step orders_Update "Wholesale orders: Shipment 2" <<'XML'
      <orders>
        <order>
          <id>25</id>
          <type>wholesale</type>
          <store>2</store>
          <shipments>
            <shipment>
              <id>shipment-25-2</id>
              <shipped>no</shipped>
              <goodtogo>yes</goodtogo>
              <appendix>2</appendix>
              <products>
                <product>
                  <id>T001</id>
                  <variation>
                    <id>T001_BLUE</id>
                  </variation>
                  <sizes>
                    <size>
                      <id>M</id>
                      <qty>1</qty>
                      <orderitem>
                        <id>69</id>
                      </orderitem>
                    </size>
                  </sizes>
                </product>
                <product>
                  <id>T001</id>
                  <variation>
                    <id>T001_RED</id>
                  </variation>
                  <sizes>
                    <size>
                      <id>M</id>
                      <qty>3</qty>
                      <orderitem>
                        <id>70</id>
                      </orderitem>
                    </size>
                    <size>
                      <id>L</id>
                      <qty>3</qty>
                      <orderitem>
                        <id>71</id>
                      </orderitem>
                    </size>
                  </sizes>
                </product>
              </products>
              <shipping>
                <subtotal>0</subtotal>
              </shipping>
            </shipment>
          </shipments>
        </order>
      </orders>
XML

q "$DB" "INSERT INTO centra_outbox.shipment_updates (order_id, shipment_id, action, carrier, service, tracking)
         VALUES ('25', 'shipment-25-1', 'ship', 'DHL', 'EXPRESS', '876543210'),
                ('25', 'shipment-25-2', 'ship', 'DHL', 'EXPRESS', '987654321')" >/dev/null
# Differs from the guide by design: one row per shipment action, so the
# guide's one <order> with two <shipment> elements is two messages of key
# order:25, sent one after the other (the second waits for the first).
step orders_Update "Wholesale orders: Shipped (one message per shipment)" <<'XML'
<orders><order><id>25</id><type>wholesale</type><store>2</store><shipments><shipment><id>shipment-25-1</id><shipped>yes</shipped><carrierinformation><carrier>DHL</carrier><service>EXPRESS</service><tracking>876543210</tracking></carrierinformation></shipment></shipments></order></orders>
--
<orders><order><id>25</id><type>wholesale</type><store>2</store><shipments><shipment><id>shipment-25-2</id><shipped>yes</shipped><carrierinformation><carrier>DHL</carrier><service>EXPRESS</service><tracking>987654321</tracking></carrierinformation></shipment></shipments></order></orders>
XML
assert_eq "export|success|0|2|0|2" "$(q "$DB" "SELECT command, outcome, exit_code, messages_sent,
    messages_failed, batches FROM centra.runs ORDER BY run_id DESC LIMIT 1")" \
    "the last export run is recorded: 2 messages in 2 requests"
# What Centra now holds comes back in the events the updates queued.
cb import --once
assert_eq 0 "$RC" "import --once after the wholesale steps exits 0"
assert_eq "confirmed|t|3" "$(q "$DB" "SELECT o.status, o.locked, l.qty FROM centra.orders o
    JOIN centra.order_lines l USING (order_id) WHERE o.order_id = '25' AND l.orderitem_id = '71'")" \
    "order 25 comes back confirmed, locked, line 71 lowered from 4 to 3 by the cancellation"
assert_eq "shipment-25-1|1|t|DHL|876543210,shipment-25-2|2|t|DHL|987654321" \
    "$(q "$DB" "SELECT string_agg(concat_ws('|', shipment_id, appendix, shipped, carrier, tracking), ','
        ORDER BY shipment_id) FROM centra.shipments WHERE order_id = '25'")" \
    "with both shipments shipped, with their DHL tracking"
assert_eq "12|8|confirmed" "$(q "$DB" "SELECT refund_id, shipment_id, status FROM centra.refunds WHERE order_id = '30'")" \
    "order 30 comes back with refund 12 of shipment 8"
assert_eq 0 "$(q "$DB" "SELECT count(*) FROM centra_outbox.messages WHERE status NOT IN ('sent', 'superseded')")" \
    "the whole cookbook left nothing pending or failed in the outbox"

finish
