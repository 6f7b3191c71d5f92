-- migrations/0001_initial.sql
--     The schemas "centra" (staging: written only by centra-bridge) and
--     "centra_outbox" (the ERP's write side): every staging table DESIGN.md
--     names, and the outbox queue centra_outbox.messages.  The typed outbox
--     tables the ERP inserts into, with their triggers, come with the exporter
--     in a later migration.
--
-- Conventions, for the DBA reading this:
-- - Centra's identifiers are opaque text (order, product, shipment ids...):
--   the ID conversion table lets them be any string.  Event ids are numbers.
-- - Money and rates are numeric, never float; quantities are integer.
-- - Centra's "yes"/"no" and "true"/"false" are boolean; an empty element is NULL.
-- - Each column's comment names the XML element it comes from, so a column
--   can be traced to Centra's API documentation.
-- - Staging tables have no CHECK constraints on Centra's values: the bridge
--   stores what Centra sends, and new values must never block the import.
-- - An order's child rows (lines, shipments, refunds, ...) are replaced as a
--   whole each time a newer event of the order is applied.
--
-- This file is immutable once released: changes go in a new migration.

-- Schema centra itself is created by migrate's bootstrap, which keeps
-- centra.schema_migrations in it before any migration runs.
COMMENT ON SCHEMA centra IS
    'Centra data imported by centra-bridge from the SOAP event queue. Written only by '
    'centra-bridge; the ERP and DBAs read it with plain SQL.';

-- A DBA may have created the schema beforehand (owned by the migrating user).
DO $outbox$
BEGIN
    IF to_regnamespace('centra_outbox') IS NULL THEN
        CREATE SCHEMA centra_outbox;
    END IF;
END
$outbox$;
COMMENT ON SCHEMA centra_outbox IS
    'What the ERP sends to Centra. The ERP inserts rows; centra-bridge delivers them as SOAP '
    '*_Update calls and records Centra''s answer on each message.';

-- ---------------------------------------------------------------------------
-- runs
-- ---------------------------------------------------------------------------

CREATE TABLE centra.runs (
    run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    command text NOT NULL,
    log_id text,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    outcome text NOT NULL DEFAULT 'running'
        CONSTRAINT runs_outcome_valid CHECK (outcome IN ('running', 'success', 'partial', 'failed')),
    exit_code integer,
    error text,
    host text,
    pid integer,
    bridge_version text,
    batches integer NOT NULL DEFAULT 0,
    events_received integer NOT NULL DEFAULT 0,
    events_applied integer NOT NULL DEFAULT 0,
    events_stale integer NOT NULL DEFAULT 0,
    events_unhandled integer NOT NULL DEFAULT 0,
    events_duplicate integer NOT NULL DEFAULT 0,
    events_quarantined integer NOT NULL DEFAULT 0,
    events_acknowledged integer NOT NULL DEFAULT 0,
    messages_sent integer NOT NULL DEFAULT 0,
    messages_failed integer NOT NULL DEFAULT 0,
    messages_retried integer NOT NULL DEFAULT 0
);
CREATE INDEX runs_started_at_idx ON centra.runs (started_at);
CREATE INDEX runs_command_outcome_idx ON centra.runs (command, outcome, finished_at);

COMMENT ON TABLE centra.runs IS
    'One row per run of a centra-bridge command that touches Centra (import, export, sync, '
    'load, run): when it started and finished, what it did and how it ended.';
COMMENT ON COLUMN centra.runs.run_id IS 'Run number.';
COMMENT ON COLUMN centra.runs.command IS 'Command that ran, e.g. import, export, sync, load, run.';
COMMENT ON COLUMN centra.runs.log_id IS
    'The run id printed as run=... on every log line of this run, to find its log.';
COMMENT ON COLUMN centra.runs.started_at IS 'When the run started.';
COMMENT ON COLUMN centra.runs.finished_at IS
    'When the run ended; NULL while it runs (or if the process died: see outcome).';
COMMENT ON COLUMN centra.runs.outcome IS
    'running; success; partial (finished, but something was quarantined or failed '
    'permanently: exit code 1); failed (stopped by an error).';
COMMENT ON COLUMN centra.runs.exit_code IS 'Process exit code (sysexits); NULL while running.';
COMMENT ON COLUMN centra.runs.error IS 'Error message when the run failed.';
COMMENT ON COLUMN centra.runs.host IS 'Host name of the machine that ran it.';
COMMENT ON COLUMN centra.runs.pid IS 'Process id of the run.';
COMMENT ON COLUMN centra.runs.bridge_version IS 'centra-bridge version that ran it.';
COMMENT ON COLUMN centra.runs.batches IS 'events_Get responses (or saved files) processed.';
COMMENT ON COLUMN centra.runs.events_received IS 'Events received from Centra or read from files.';
COMMENT ON COLUMN centra.runs.events_applied IS 'Events applied to the staging tables.';
COMMENT ON COLUMN centra.runs.events_stale IS
    'Events older than the state already stored for their object, kept but not applied.';
COMMENT ON COLUMN centra.runs.events_unhandled IS
    'Events of types without a typed mapping, kept raw in centra.events and centra.entities.';
COMMENT ON COLUMN centra.runs.events_duplicate IS
    'Events received again that were already stored (re-delivery), skipped.';
COMMENT ON COLUMN centra.runs.events_quarantined IS
    'Events that could not be parsed or mapped, stored with their raw bytes and the reason.';
COMMENT ON COLUMN centra.runs.events_acknowledged IS
    'Events acknowledged to Centra with events_Done.';
COMMENT ON COLUMN centra.runs.messages_sent IS 'Outbox messages Centra accepted.';
COMMENT ON COLUMN centra.runs.messages_failed IS 'Outbox messages that failed permanently.';
COMMENT ON COLUMN centra.runs.messages_retried IS
    'Outbox send attempts that failed transiently and will be retried.';

-- ---------------------------------------------------------------------------
-- events
-- ---------------------------------------------------------------------------

CREATE TABLE centra.events (
    event_id bigint PRIMARY KEY,
    type text,
    entry text,
    mission text,
    event_date timestamptz,
    status text NOT NULL
        CONSTRAINT events_status_valid
        CHECK (status IN ('applied', 'stale', 'unhandled', 'quarantined')),
    error text,
    payload xml,
    raw bytea,
    received_at timestamptz NOT NULL DEFAULT now(),
    done_at timestamptz,
    run_id bigint REFERENCES centra.runs (run_id) ON DELETE SET NULL,
    source text NOT NULL DEFAULT 'centra'
);
CREATE INDEX events_type_entry_idx ON centra.events (type, entry);
CREATE INDEX events_received_at_idx ON centra.events (received_at);
CREATE INDEX events_quarantined_idx ON centra.events (event_id) WHERE status = 'quarantined';
CREATE INDEX events_not_done_idx ON centra.events (event_id)
    WHERE done_at IS NULL AND source = 'centra';
CREATE INDEX events_run_id_idx ON centra.events (run_id);

COMMENT ON TABLE centra.events IS
    'Every event received from Centra''s queue, one row each, kept even for types the bridge '
    'does not model. An event is acknowledged to Centra (events_Done) only after its row is '
    'committed.';
COMMENT ON COLUMN centra.events.event_id IS 'Centra''s event id (<event><id>).';
COMMENT ON COLUMN centra.events.type IS
    'Event type (<event><type>): order, customer, account, invoice, market, pricelist, ... '
    'NULL only for a quarantined event whose type could not be read.';
COMMENT ON COLUMN centra.events.entry IS
    'Id of the object the event is about (<event><entry>); for orders the order id.';
COMMENT ON COLUMN centra.events.mission IS 'What happened to it (<event><mission>): update or delete.';
COMMENT ON COLUMN centra.events.event_date IS
    'When Centra created the event (<event><date>), which Centra may send with or without a '
    'time zone.';
COMMENT ON COLUMN centra.events.status IS
    'applied: written to the staging tables; stale: older than the stored state of its object, '
    'kept but not applied; unhandled: a type without a typed mapping, kept in payload and '
    'centra.entities; quarantined: could not be parsed or mapped, see error and raw.';
COMMENT ON COLUMN centra.events.error IS
    'Why the event was quarantined, with the parser''s line and column where known.';
COMMENT ON COLUMN centra.events.payload IS
    'The event''s <data> element as an XML document, with Centra''s namespace '
    '(http://www.centra.com/webservices/) declared as default whatever prefix or flavor the '
    'response used, so xpath() works, e.g. xpath(''/c:data/c:order/c:status/text()'', '
    'payload, ARRAY[ARRAY[''c'', ''http://www.centra.com/webservices/'']]). NULL when '
    'quarantined.';
COMMENT ON COLUMN centra.events.raw IS
    'The event''s bytes exactly as received, kept for quarantined events (NULL otherwise).';
COMMENT ON COLUMN centra.events.received_at IS 'When centra-bridge stored the event.';
COMMENT ON COLUMN centra.events.done_at IS
    'When Centra confirmed events_Done for it; NULL until then, and always NULL for events '
    'loaded from files.';
COMMENT ON COLUMN centra.events.run_id IS 'Run that stored the event (centra.runs).';
COMMENT ON COLUMN centra.events.source IS
    'Where it came from: centra (the live queue) or file:PATH (centra-bridge load).';

-- ---------------------------------------------------------------------------
-- orders
-- ---------------------------------------------------------------------------

CREATE TABLE centra.orders (
    order_id text PRIMARY KEY,
    order_number text,
    type text,
    store integer,
    status text,
    locked boolean,
    internal boolean,
    currency text,
    currency_rate numeric,
    base_currency text,
    order_total numeric,
    created_at timestamptz,
    preferred_shipping_date date,
    customer_id text,
    customer_name text,
    account_id text,
    account_name text,
    buyer_id text,
    buyer_name text,
    buyer_first_name text,
    buyer_last_name text,
    buyer_email text,
    sales_rep_id text,
    sales_rep_email text,
    sales_rep_name text,
    sales_rep_percent numeric,
    sales_rep_master_id text,
    sales_rep_master_percent numeric,
    master_sales_rep_id text,
    master_sales_rep_email text,
    master_sales_rep_name text,
    master_sales_rep_percent numeric,
    market_id text,
    market_name text,
    pricelist_id text,
    pricelist_name text,
    payment_terms_id text,
    payment_terms_name text,
    shipping_terms_id text,
    shipping_terms_name text,
    delivery_window_id text,
    delivery_window_name text,
    delivery_window_type text,
    delivery_window_at_once boolean,
    delivery_window_start date,
    delivery_window_stop date,
    collection_id text,
    collection_name text,
    primary_warehouse_id text,
    primary_warehouse_name text,
    shipping_subtotal numeric,
    shipping_description text,
    shipping_key text,
    shipping_id text,
    handling_subtotal numeric,
    handling_description text,
    handling_key text,
    handling_id text,
    voucher_subtotal numeric,
    voucher_description text,
    voucher_key text,
    voucher_id text,
    payment_name text,
    payment_type text,
    payment_total numeric,
    payment_status text,
    payment_method text,
    carrier text,
    service text,
    carrier_account text,
    carrier_tax_id text,
    tracking text,
    packages integer,
    ship_address_id text,
    ship_address_description text,
    ship_company text,
    ship_attn text,
    ship_first_name text,
    ship_last_name text,
    ship_address1 text,
    ship_address2 text,
    ship_city text,
    ship_state text,
    ship_zipcode text,
    ship_country text,
    ship_email text,
    ship_telephone text,
    ship_fax text,
    ship_vat text,
    ship_url text,
    ship_company_registration_id text,
    bill_address_id text,
    bill_address_description text,
    bill_company text,
    bill_attn text,
    bill_first_name text,
    bill_last_name text,
    bill_address1 text,
    bill_address2 text,
    bill_city text,
    bill_state text,
    bill_zipcode text,
    bill_country text,
    bill_email text,
    bill_telephone text,
    bill_fax text,
    bill_vat text,
    bill_url text,
    bill_company_registration_id text,
    internal_information text,
    buyer_message text,
    po_number text,
    ec_vat_no text,
    last_event_id bigint NOT NULL,
    last_event_date timestamptz,
    imported_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_order_number_idx ON centra.orders (order_number);
CREATE INDEX orders_status_idx ON centra.orders (status);
CREATE INDEX orders_created_at_idx ON centra.orders (created_at);
CREATE INDEX orders_customer_id_idx ON centra.orders (customer_id);
CREATE INDEX orders_account_id_idx ON centra.orders (account_id);
CREATE INDEX orders_market_id_idx ON centra.orders (market_id);
CREATE INDEX orders_updated_at_idx ON centra.orders (updated_at);

COMMENT ON TABLE centra.orders IS
    'The latest state of every order received from Centra, one row per order (<order> in an '
    'order event). Only a newer event than last_event_id changes it; the order''s lines, '
    'shipments, refunds and payments are replaced with it.';
COMMENT ON COLUMN centra.orders.order_id IS
    'Order id (<order><id>): Centra''s order number, or the id you gave the order through the '
    'ID conversion table. Use it in order updates.';
COMMENT ON COLUMN centra.orders.order_number IS
    'Centra''s order number (<order><ordernumber>), shown in Centra''s admin.';
COMMENT ON COLUMN centra.orders.type IS 'retail (direct to consumer) or wholesale (<order><type>).';
COMMENT ON COLUMN centra.orders.store IS 'Centra store id (<order><store>).';
COMMENT ON COLUMN centra.orders.status IS
    'Order status (<order><status>): pending, confirmed, processing, completed, archived, '
    'cancelled.';
COMMENT ON COLUMN centra.orders.locked IS
    'Whether the order is locked against edits in Centra''s admin (<order><locked>).';
COMMENT ON COLUMN centra.orders.internal IS 'Whether it is an internal order (<order><internal>).';
COMMENT ON COLUMN centra.orders.currency IS 'Currency of the amounts, e.g. EUR (<order><currency>).';
COMMENT ON COLUMN centra.orders.currency_rate IS
    'Rate from currency to base_currency when ordered (<order><currencyrate>).';
COMMENT ON COLUMN centra.orders.base_currency IS 'The store''s base currency (<order><basecurrency>).';
COMMENT ON COLUMN centra.orders.order_total IS 'Order total in currency (<order><ordertotal>).';
COMMENT ON COLUMN centra.orders.created_at IS 'When the order was placed (<order><created>).';
COMMENT ON COLUMN centra.orders.preferred_shipping_date IS
    'Shipping date the buyer asked for (<order><preferred_shipping_date>).';
COMMENT ON COLUMN centra.orders.customer_id IS 'Retail customer id (<order><customer><id>).';
COMMENT ON COLUMN centra.orders.customer_name IS 'Retail customer name (<order><customer><description>).';
COMMENT ON COLUMN centra.orders.account_id IS 'Wholesale account id (<order><account><id>).';
COMMENT ON COLUMN centra.orders.account_name IS 'Wholesale account name (<order><account><description>).';
COMMENT ON COLUMN centra.orders.buyer_id IS 'Wholesale buyer id (<order><buyer><id>).';
COMMENT ON COLUMN centra.orders.buyer_name IS 'Wholesale buyer description (<order><buyer><description>).';
COMMENT ON COLUMN centra.orders.buyer_first_name IS 'Buyer first name (<order><buyer><firstname>).';
COMMENT ON COLUMN centra.orders.buyer_last_name IS 'Buyer last name (<order><buyer><lastname>).';
COMMENT ON COLUMN centra.orders.buyer_email IS 'Buyer e-mail (<order><buyer><email>).';
COMMENT ON COLUMN centra.orders.sales_rep_id IS 'Sales representative id (<order><salesrep><id>).';
COMMENT ON COLUMN centra.orders.sales_rep_email IS 'Sales representative e-mail (<order><salesrep><email>).';
COMMENT ON COLUMN centra.orders.sales_rep_name IS 'Sales representative name (<order><salesrep><name>).';
COMMENT ON COLUMN centra.orders.sales_rep_percent IS
    'Sales representative commission in percent (<order><salesrep><percent>).';
COMMENT ON COLUMN centra.orders.sales_rep_master_id IS
    'The sales representative''s master (<order><salesrep><mastersalesrep><salesrep><id>).';
COMMENT ON COLUMN centra.orders.sales_rep_master_percent IS
    'The master''s commission in percent '
    '(<order><salesrep><mastersalesrep><salesrep><percent>). Deeper levels of the master '
    'chain are in centra.events.payload.';
COMMENT ON COLUMN centra.orders.master_sales_rep_id IS
    'Master sales representative id (<order><mastersalesrep><salesrep><id>).';
COMMENT ON COLUMN centra.orders.master_sales_rep_email IS
    'Master sales representative e-mail (<order><mastersalesrep><salesrep><email>).';
COMMENT ON COLUMN centra.orders.master_sales_rep_name IS
    'Master sales representative name (<order><mastersalesrep><salesrep><name>).';
COMMENT ON COLUMN centra.orders.master_sales_rep_percent IS
    'Master sales representative commission in percent '
    '(<order><mastersalesrep><salesrep><percent>).';
COMMENT ON COLUMN centra.orders.market_id IS 'Market id (<order><market><id>).';
COMMENT ON COLUMN centra.orders.market_name IS 'Market name (<order><market><description>).';
COMMENT ON COLUMN centra.orders.pricelist_id IS 'Pricelist id (<order><pricelist><id>).';
COMMENT ON COLUMN centra.orders.pricelist_name IS 'Pricelist name (<order><pricelist><description>).';
COMMENT ON COLUMN centra.orders.payment_terms_id IS 'Payment terms id (<order><paymentterms><id>).';
COMMENT ON COLUMN centra.orders.payment_terms_name IS
    'Payment terms name (<order><paymentterms><description>).';
COMMENT ON COLUMN centra.orders.shipping_terms_id IS 'Shipping terms id (<order><shippingterms><id>).';
COMMENT ON COLUMN centra.orders.shipping_terms_name IS
    'Shipping terms name (<order><shippingterms><description>).';
COMMENT ON COLUMN centra.orders.delivery_window_id IS 'Delivery window id (<order><deliverywindow><id>).';
COMMENT ON COLUMN centra.orders.delivery_window_name IS
    'Delivery window name (<order><deliverywindow><description>).';
COMMENT ON COLUMN centra.orders.delivery_window_type IS
    'Delivery window type (<order><deliverywindow><type>).';
COMMENT ON COLUMN centra.orders.delivery_window_at_once IS
    'Whether the delivery window ships at once (<order><deliverywindow><atonce>).';
COMMENT ON COLUMN centra.orders.delivery_window_start IS
    'Delivery window start (<order><deliverywindow><start>).';
COMMENT ON COLUMN centra.orders.delivery_window_stop IS
    'Delivery window end (<order><deliverywindow><stop>).';
COMMENT ON COLUMN centra.orders.collection_id IS 'Collection id (<order><collection><id>).';
COMMENT ON COLUMN centra.orders.collection_name IS 'Collection name (<order><collection><description>).';
COMMENT ON COLUMN centra.orders.primary_warehouse_id IS
    'Primary warehouse id (<order><primary_warehouse><warehouse><id>).';
COMMENT ON COLUMN centra.orders.primary_warehouse_name IS
    'Primary warehouse name (<order><primary_warehouse><warehouse><description>).';
COMMENT ON COLUMN centra.orders.shipping_subtotal IS 'Shipping cost (<order><shipping><subtotal>).';
COMMENT ON COLUMN centra.orders.shipping_description IS
    'Shipping cost description, e.g. the destination (<order><shipping><description>).';
COMMENT ON COLUMN centra.orders.shipping_key IS 'Shipping cost key (<order><shipping><key>).';
COMMENT ON COLUMN centra.orders.shipping_id IS 'Shipping cost id (<order><shipping><id>).';
COMMENT ON COLUMN centra.orders.handling_subtotal IS 'Handling cost (<order><handling><subtotal>).';
COMMENT ON COLUMN centra.orders.handling_description IS
    'Handling cost description (<order><handling><description>).';
COMMENT ON COLUMN centra.orders.handling_key IS 'Handling cost key (<order><handling><key>).';
COMMENT ON COLUMN centra.orders.handling_id IS 'Handling cost id (<order><handling><id>).';
COMMENT ON COLUMN centra.orders.voucher_subtotal IS 'Voucher amount (<order><voucher><subtotal>).';
COMMENT ON COLUMN centra.orders.voucher_description IS
    'Voucher description (<order><voucher><description>).';
COMMENT ON COLUMN centra.orders.voucher_key IS 'Voucher key (<order><voucher><key>).';
COMMENT ON COLUMN centra.orders.voucher_id IS 'Voucher id (<order><voucher><id>).';
COMMENT ON COLUMN centra.orders.payment_name IS
    'Payment plugin, e.g. dibs-window (<order><payments><name>); transactions are in '
    'centra.payments.';
COMMENT ON COLUMN centra.orders.payment_type IS
    'Payment type, e.g. cc or inv (<order><payments><type>).';
COMMENT ON COLUMN centra.orders.payment_total IS 'Amount paid (<order><payments><total>).';
COMMENT ON COLUMN centra.orders.payment_status IS
    'Payment status, e.g. incomplete (<order><payments><status>).';
COMMENT ON COLUMN centra.orders.payment_method IS 'Payment method (<order><payments><method>).';
COMMENT ON COLUMN centra.orders.carrier IS 'Carrier (<order><carrierinformation><carrier>).';
COMMENT ON COLUMN centra.orders.service IS 'Carrier service (<order><carrierinformation><service>).';
COMMENT ON COLUMN centra.orders.carrier_account IS
    'Carrier account (<order><carrierinformation><account>).';
COMMENT ON COLUMN centra.orders.carrier_tax_id IS
    'Carrier tax id (<order><carrierinformation><taxid>).';
COMMENT ON COLUMN centra.orders.tracking IS
    'Tracking number (<order><carrierinformation><tracking>); per shipment in '
    'centra.shipments.';
COMMENT ON COLUMN centra.orders.packages IS
    'Number of packages (<order><carrierinformation><packages>).';
COMMENT ON COLUMN centra.orders.ship_address_id IS 'Shipping address id (<order><shippingaddress><id>).';
COMMENT ON COLUMN centra.orders.ship_address_description IS
    'Shipping address description (<order><shippingaddress><description>).';
COMMENT ON COLUMN centra.orders.ship_company IS 'Ship-to company (<order><shippingaddress><company>).';
COMMENT ON COLUMN centra.orders.ship_attn IS 'Ship-to attention line (<order><shippingaddress><attn>).';
COMMENT ON COLUMN centra.orders.ship_first_name IS
    'Ship-to first name (<order><shippingaddress><firstname>).';
COMMENT ON COLUMN centra.orders.ship_last_name IS
    'Ship-to last name (<order><shippingaddress><lastname>).';
COMMENT ON COLUMN centra.orders.ship_address1 IS
    'Ship-to street address (<order><shippingaddress><address1>).';
COMMENT ON COLUMN centra.orders.ship_address2 IS
    'Ship-to address, second line (<order><shippingaddress><address2>).';
COMMENT ON COLUMN centra.orders.ship_city IS 'Ship-to city (<order><shippingaddress><city>).';
COMMENT ON COLUMN centra.orders.ship_state IS 'Ship-to state (<order><shippingaddress><state>).';
COMMENT ON COLUMN centra.orders.ship_zipcode IS 'Ship-to postal code (<order><shippingaddress><zipcode>).';
COMMENT ON COLUMN centra.orders.ship_country IS
    'Ship-to country, ISO 3166 alpha-2 such as SE (<order><shippingaddress><country>).';
COMMENT ON COLUMN centra.orders.ship_email IS 'Ship-to e-mail (<order><shippingaddress><email>).';
COMMENT ON COLUMN centra.orders.ship_telephone IS
    'Ship-to telephone (<order><shippingaddress><telephone>).';
COMMENT ON COLUMN centra.orders.ship_fax IS 'Ship-to fax (<order><shippingaddress><fax>).';
COMMENT ON COLUMN centra.orders.ship_vat IS 'Ship-to VAT number (<order><shippingaddress><vat>).';
COMMENT ON COLUMN centra.orders.ship_url IS 'Ship-to web address (<order><shippingaddress><url>).';
COMMENT ON COLUMN centra.orders.ship_company_registration_id IS
    'Ship-to company registration id (<order><shippingaddress><companyregistrationid>).';
COMMENT ON COLUMN centra.orders.bill_address_id IS 'Billing address id (<order><billingaddress><id>).';
COMMENT ON COLUMN centra.orders.bill_address_description IS
    'Billing address description (<order><billingaddress><description>).';
COMMENT ON COLUMN centra.orders.bill_company IS 'Bill-to company (<order><billingaddress><company>).';
COMMENT ON COLUMN centra.orders.bill_attn IS 'Bill-to attention line (<order><billingaddress><attn>).';
COMMENT ON COLUMN centra.orders.bill_first_name IS
    'Bill-to first name (<order><billingaddress><firstname>).';
COMMENT ON COLUMN centra.orders.bill_last_name IS
    'Bill-to last name (<order><billingaddress><lastname>).';
COMMENT ON COLUMN centra.orders.bill_address1 IS
    'Bill-to street address (<order><billingaddress><address1>).';
COMMENT ON COLUMN centra.orders.bill_address2 IS
    'Bill-to address, second line (<order><billingaddress><address2>).';
COMMENT ON COLUMN centra.orders.bill_city IS 'Bill-to city (<order><billingaddress><city>).';
COMMENT ON COLUMN centra.orders.bill_state IS 'Bill-to state (<order><billingaddress><state>).';
COMMENT ON COLUMN centra.orders.bill_zipcode IS 'Bill-to postal code (<order><billingaddress><zipcode>).';
COMMENT ON COLUMN centra.orders.bill_country IS
    'Bill-to country, ISO 3166 alpha-2 (<order><billingaddress><country>).';
COMMENT ON COLUMN centra.orders.bill_email IS 'Bill-to e-mail (<order><billingaddress><email>).';
COMMENT ON COLUMN centra.orders.bill_telephone IS
    'Bill-to telephone (<order><billingaddress><telephone>).';
COMMENT ON COLUMN centra.orders.bill_fax IS 'Bill-to fax (<order><billingaddress><fax>).';
COMMENT ON COLUMN centra.orders.bill_vat IS 'Bill-to VAT number (<order><billingaddress><vat>).';
COMMENT ON COLUMN centra.orders.bill_url IS 'Bill-to web address (<order><billingaddress><url>).';
COMMENT ON COLUMN centra.orders.bill_company_registration_id IS
    'Bill-to company registration id (<order><billingaddress><companyregistrationid>).';
COMMENT ON COLUMN centra.orders.internal_information IS
    'Internal note, not shown to the buyer (<order><internalinformation>).';
COMMENT ON COLUMN centra.orders.buyer_message IS
    'Message or special instructions from the buyer (<order><other>).';
COMMENT ON COLUMN centra.orders.po_number IS 'Buyer''s purchase order number (<order><ponumber>).';
COMMENT ON COLUMN centra.orders.ec_vat_no IS 'EU VAT number for intra-community trade (<order><ecvatno>).';
COMMENT ON COLUMN centra.orders.last_event_id IS
    'Id of the newest event applied to this order (centra.events); an event with a lower id '
    'is stored as stale and never overwrites the order.';
COMMENT ON COLUMN centra.orders.last_event_date IS 'Date of that event (<event><date>).';
COMMENT ON COLUMN centra.orders.imported_at IS 'When the order was first imported.';
COMMENT ON COLUMN centra.orders.updated_at IS 'When the order was last changed by an event.';

CREATE TABLE centra.order_additionals (
    order_id text NOT NULL REFERENCES centra.orders (order_id) ON DELETE CASCADE,
    position integer NOT NULL,
    key text,
    value text,
    PRIMARY KEY (order_id, position)
);
CREATE INDEX order_additionals_key_idx ON centra.order_additionals (key);

COMMENT ON TABLE centra.order_additionals IS
    'Extra key/value data of an order (<order><additionals><additional>), e.g. the delivery '
    'options of a shipping widget (shipwallet_deliverytime, shipwallet_doorcode, ...).';
COMMENT ON COLUMN centra.order_additionals.order_id IS 'The order (centra.orders).';
COMMENT ON COLUMN centra.order_additionals.position IS 'Position in the event, from 1.';
COMMENT ON COLUMN centra.order_additionals.key IS 'Key (<additional><key>).';
COMMENT ON COLUMN centra.order_additionals.value IS 'Value (<additional><value>).';

CREATE TABLE centra.payments (
    order_id text NOT NULL REFERENCES centra.orders (order_id) ON DELETE CASCADE,
    payment_no integer NOT NULL,
    type text,
    paid text,
    value numeric,
    created_at timestamptz,
    transaction_id text,
    document text,
    PRIMARY KEY (order_id, payment_no)
);
CREATE INDEX payments_transaction_id_idx ON centra.payments (transaction_id);

COMMENT ON TABLE centra.payments IS
    'Payment transactions of an order (<order><payments><payment>), such as an authorization '
    'or a capture. The order''s payment summary is in centra.orders.payment_*.';
COMMENT ON COLUMN centra.payments.order_id IS 'The order (centra.orders).';
COMMENT ON COLUMN centra.payments.payment_no IS 'Position in the event, from 1.';
COMMENT ON COLUMN centra.payments.type IS 'Transaction type, e.g. auth or capture (<payment><type>).';
COMMENT ON COLUMN centra.payments.paid IS 'Paid indicator as Centra sends it (<payment><paid>).';
COMMENT ON COLUMN centra.payments.value IS 'Amount of the transaction (<payment><value>).';
COMMENT ON COLUMN centra.payments.created_at IS 'When it happened (<payment><created>).';
COMMENT ON COLUMN centra.payments.transaction_id IS
    'Payment provider''s transaction reference (<payment><transaction>).';
COMMENT ON COLUMN centra.payments.document IS 'Related document (<payment><document>).';

-- ---------------------------------------------------------------------------
-- order lines and what hangs off them
-- ---------------------------------------------------------------------------

CREATE TABLE centra.order_lines (
    order_id text NOT NULL REFERENCES centra.orders (order_id) ON DELETE CASCADE,
    orderitem_id text NOT NULL,
    line_no integer NOT NULL,
    product_id text,
    variation_id text,
    size_id text,
    sku text,
    product_sku text,
    variation_sku text,
    size_sku text,
    product_name text,
    variation_name text,
    size_name text,
    orderitem_description text,
    brand_id text,
    brand_name text,
    product_type text,
    qty integer,
    product_qty integer,
    price numeric,
    orig_price numeric,
    discount numeric,
    tax numeric,
    subtotal numeric,
    product_subtotal numeric,
    preorder boolean,
    comment text,
    bundle_role text NOT NULL DEFAULT 'none'
        CONSTRAINT order_lines_bundle_role_valid CHECK (bundle_role IN ('none', 'bundle', 'part')),
    bundle_product_id text,
    PRIMARY KEY (order_id, orderitem_id)
);
CREATE INDEX order_lines_product_idx ON centra.order_lines (product_id, variation_id, size_id);
CREATE INDEX order_lines_sku_idx ON centra.order_lines (sku);

COMMENT ON TABLE centra.order_lines IS
    'Order lines: one row per <size> of each <product> of an order. The same product, variant '
    'and size can appear on several lines; orderitem_id tells them apart and is what every '
    'order update must use. Virtual bundle lines (bundle_role = bundle) are not picked: see '
    'the view centra.pick_lines.';
COMMENT ON COLUMN centra.order_lines.order_id IS 'The order (centra.orders).';
COMMENT ON COLUMN centra.order_lines.orderitem_id IS
    'Centra''s order line id (<size><orderitem><id>), unique within the order.';
COMMENT ON COLUMN centra.order_lines.line_no IS 'Position of the line in the order, from 1.';
COMMENT ON COLUMN centra.order_lines.product_id IS
    'Product id (<product><id>).';
COMMENT ON COLUMN centra.order_lines.variation_id IS
    'Variant id (<product><variation><id>).';
COMMENT ON COLUMN centra.order_lines.size_id IS
    'Size id (<size><id>), e.g. S or OS.';
COMMENT ON COLUMN centra.order_lines.sku IS
    'Full SKU: product SKU, variant SKU (when the event carries one) and size SKU '
    'concatenated, as Centra builds it; NULL when the event has no SKUs.';
COMMENT ON COLUMN centra.order_lines.product_sku IS
    'Product SKU (<product><sku>).';
COMMENT ON COLUMN centra.order_lines.variation_sku IS
    'Variant SKU (<product><variation><sku>), when the event carries it.';
COMMENT ON COLUMN centra.order_lines.size_sku IS
    'Size SKU (<size><sku>).';
COMMENT ON COLUMN centra.order_lines.product_name IS
    'Product name (<product><description>).';
COMMENT ON COLUMN centra.order_lines.variation_name IS
    'Variant name, e.g. Red (<product><variation><description>).';
COMMENT ON COLUMN centra.order_lines.size_name IS
    'Size name, e.g. Small (<size><description>).';
COMMENT ON COLUMN centra.order_lines.orderitem_description IS
    'Order line description (<size><orderitem><description>).';
COMMENT ON COLUMN centra.order_lines.brand_id IS
    'Brand id (<product><brand><id>).';
COMMENT ON COLUMN centra.order_lines.brand_name IS
    'Brand name (<product><brand><description>).';
COMMENT ON COLUMN centra.order_lines.product_type IS
    'Product type (<product><type>).';
COMMENT ON COLUMN centra.order_lines.qty IS
    'Quantity ordered on this line (<size><qty>).';
COMMENT ON COLUMN centra.order_lines.product_qty IS
    'Quantity of the product over all its sizes (<product><qty>).';
COMMENT ON COLUMN centra.order_lines.price IS
    'Unit price paid (<product><price>).';
COMMENT ON COLUMN centra.order_lines.orig_price IS
    'Unit price before discount (<product><origprice>).';
COMMENT ON COLUMN centra.order_lines.discount IS
    'Discount (<product><discount>).';
COMMENT ON COLUMN centra.order_lines.tax IS
    'Tax rate in percent, e.g. 25.000 (<product><tax>).';
COMMENT ON COLUMN centra.order_lines.subtotal IS
    'Amount of this line: price times qty. Centra gives amounts per product only (see '
    'product_subtotal).';
COMMENT ON COLUMN centra.order_lines.product_subtotal IS
    'Amount of the product over all its sizes as Centra states it (<product><subtotal>); '
    'use it for money, as it includes discounts.';
COMMENT ON COLUMN centra.order_lines.preorder IS
    'Whether it is a preorder (<size><preorder>).';
COMMENT ON COLUMN centra.order_lines.comment IS
    'Comment on the product (<product><comment>).';
COMMENT ON COLUMN centra.order_lines.bundle_role IS
    'none: an ordinary product; bundle: a virtual bundle product, not picked '
    '(<bundleinfo><isbundle>true); part: a product that is part of a bundle, picked '
    '(<bundleinfo><isbundle>false with <partof>).';
COMMENT ON COLUMN centra.order_lines.bundle_product_id IS
    'For a part, the product id of its bundle (<bundleinfo><partof><product><id>).';

CREATE TABLE centra.order_line_warehouses (
    order_id text NOT NULL,
    orderitem_id text NOT NULL,
    warehouse_id text NOT NULL,
    qty integer,
    PRIMARY KEY (order_id, orderitem_id, warehouse_id),
    FOREIGN KEY (order_id, orderitem_id)
        REFERENCES centra.order_lines (order_id, orderitem_id) ON DELETE CASCADE
);
CREATE INDEX order_line_warehouses_warehouse_idx ON centra.order_line_warehouses (warehouse_id);

COMMENT ON TABLE centra.order_line_warehouses IS
    'Which warehouses an order line is allocated from (<size><warehouseitems><warehouse>).';
COMMENT ON COLUMN centra.order_line_warehouses.order_id IS 'The order (centra.orders).';
COMMENT ON COLUMN centra.order_line_warehouses.orderitem_id IS 'The line (centra.order_lines).';
COMMENT ON COLUMN centra.order_line_warehouses.warehouse_id IS 'Warehouse id (<warehouse><id>).';
COMMENT ON COLUMN centra.order_line_warehouses.qty IS
    'Quantity allocated from that warehouse (<warehouse><qty>).';

CREATE TABLE centra.order_line_supplier_orders (
    order_id text NOT NULL,
    orderitem_id text NOT NULL,
    position integer NOT NULL,
    supplier_order_id text,
    qty integer,
    eta date,
    PRIMARY KEY (order_id, orderitem_id, position),
    FOREIGN KEY (order_id, orderitem_id)
        REFERENCES centra.order_lines (order_id, orderitem_id) ON DELETE CASCADE
);

COMMENT ON TABLE centra.order_line_supplier_orders IS
    'Supplier orders an order line waits for (<size><supplierorderitems><supplierorder>), e.g. '
    'for preorders.';
COMMENT ON COLUMN centra.order_line_supplier_orders.order_id IS 'The order (centra.orders).';
COMMENT ON COLUMN centra.order_line_supplier_orders.orderitem_id IS 'The line (centra.order_lines).';
COMMENT ON COLUMN centra.order_line_supplier_orders.position IS 'Position in the event, from 1.';
COMMENT ON COLUMN centra.order_line_supplier_orders.supplier_order_id IS
    'Supplier order id (<supplierorder><id>).';
COMMENT ON COLUMN centra.order_line_supplier_orders.qty IS
    'Quantity expected from it (<supplierorder><qty>).';
COMMENT ON COLUMN centra.order_line_supplier_orders.eta IS
    'Expected arrival (<supplierorder><eta>).';

CREATE TABLE centra.order_bundles (
    order_id text NOT NULL,
    part_orderitem_id text NOT NULL,
    bundle_product_id text NOT NULL,
    bundle_orderitem_id text,
    PRIMARY KEY (order_id, part_orderitem_id),
    FOREIGN KEY (order_id, part_orderitem_id)
        REFERENCES centra.order_lines (order_id, orderitem_id) ON DELETE CASCADE
);
CREATE INDEX order_bundles_bundle_idx ON centra.order_bundles (order_id, bundle_product_id);

COMMENT ON TABLE centra.order_bundles IS
    'Which part lines belong to which bundle of an order: one row per part line. Pick the '
    'parts; the bundle line itself is virtual.';
COMMENT ON COLUMN centra.order_bundles.order_id IS 'The order (centra.orders).';
COMMENT ON COLUMN centra.order_bundles.part_orderitem_id IS
    'The part''s order line (centra.order_lines).';
COMMENT ON COLUMN centra.order_bundles.bundle_product_id IS
    'Product id of the bundle it is part of (<bundleinfo><partof><product><id>).';
COMMENT ON COLUMN centra.order_bundles.bundle_orderitem_id IS
    'The bundle''s own order line, when the order has exactly one line of that bundle '
    'product; NULL when it is ambiguous.';

CREATE TABLE centra.cancelled_lines (
    order_id text NOT NULL REFERENCES centra.orders (order_id) ON DELETE CASCADE,
    line_no integer NOT NULL,
    orderitem_id text,
    product_id text,
    variation_id text,
    size_id text,
    sku text,
    product_sku text,
    variation_sku text,
    size_sku text,
    product_name text,
    variation_name text,
    size_name text,
    orderitem_description text,
    brand_id text,
    brand_name text,
    product_type text,
    qty integer,
    product_qty integer,
    price numeric,
    orig_price numeric,
    discount numeric,
    tax numeric,
    subtotal numeric,
    product_subtotal numeric,
    preorder boolean,
    comment text,
    bundle_role text NOT NULL DEFAULT 'none'
        CONSTRAINT cancelled_lines_bundle_role_valid CHECK (bundle_role IN ('none', 'bundle', 'part')),
    bundle_product_id text,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX cancelled_lines_orderitem_idx ON centra.cancelled_lines (order_id, orderitem_id);

COMMENT ON TABLE centra.cancelled_lines IS
    'Cancelled quantities of an order (<order><cancelled>, the same product/size tree as the '
    'order lines): one row per cancelled <size>.';
COMMENT ON COLUMN centra.cancelled_lines.order_id IS 'The order (centra.orders).';
COMMENT ON COLUMN centra.cancelled_lines.line_no IS 'Position in the event, from 1.';
COMMENT ON COLUMN centra.cancelled_lines.orderitem_id IS
    'The order line cancelled from (<size><orderitem><id>).';
COMMENT ON COLUMN centra.cancelled_lines.qty IS
    'Quantity cancelled (<size><qty>).';
COMMENT ON COLUMN centra.cancelled_lines.subtotal IS
    'Cancelled amount: price times qty (see product_subtotal).';

-- ---------------------------------------------------------------------------
-- shipments
-- ---------------------------------------------------------------------------

CREATE TABLE centra.shipments (
    order_id text NOT NULL REFERENCES centra.orders (order_id) ON DELETE CASCADE,
    shipment_id text NOT NULL,
    appendix integer,
    paid boolean,
    shipped boolean,
    good_to_go boolean,
    capture boolean,
    shipment_total numeric,
    paid_total numeric,
    currency text,
    currency_rate numeric,
    base_currency text,
    created_at timestamptz,
    carrier text,
    service text,
    carrier_account text,
    carrier_tax_id text,
    tracking text,
    packages integer,
    ship_address_id text,
    ship_address_description text,
    ship_company text,
    ship_attn text,
    ship_first_name text,
    ship_last_name text,
    ship_address1 text,
    ship_address2 text,
    ship_city text,
    ship_state text,
    ship_zipcode text,
    ship_country text,
    ship_email text,
    ship_telephone text,
    ship_fax text,
    ship_vat text,
    ship_url text,
    ship_company_registration_id text,
    shipping_subtotal numeric,
    shipping_description text,
    shipping_key text,
    shipping_id text,
    handling_subtotal numeric,
    handling_description text,
    handling_key text,
    handling_id text,
    voucher_subtotal numeric,
    voucher_description text,
    voucher_key text,
    voucher_id text,
    PRIMARY KEY (order_id, shipment_id)
);
CREATE INDEX shipments_shipment_id_idx ON centra.shipments (shipment_id);
CREATE INDEX shipments_tracking_idx ON centra.shipments (tracking);

COMMENT ON TABLE centra.shipments IS
    'Shipments of an order (<order><shipments><shipment>), created by Centra (e.g. '
    'automatically for direct-to-consumer orders) or by the ERP through the outbox.';
COMMENT ON COLUMN centra.shipments.order_id IS 'The order (centra.orders).';
COMMENT ON COLUMN centra.shipments.shipment_id IS
    'Shipment id (<shipment><id>), chosen by whoever created it; opaque text.';
COMMENT ON COLUMN centra.shipments.appendix IS
    'Sequence number of the shipment within the order: 1, 2, ... (<shipment><appendix>).';
COMMENT ON COLUMN centra.shipments.paid IS 'Whether it is paid (<shipment><paid>).';
COMMENT ON COLUMN centra.shipments.shipped IS 'Whether it has shipped (<shipment><shipped>).';
COMMENT ON COLUMN centra.shipments.good_to_go IS
    'Whether it may be packed and shipped (<shipment><goodtogo>).';
COMMENT ON COLUMN centra.shipments.capture IS 'Capture flag (<shipment><capture>).';
COMMENT ON COLUMN centra.shipments.shipment_total IS 'Total of the shipment (<shipment><shipmenttotal>).';
COMMENT ON COLUMN centra.shipments.paid_total IS 'Amount paid on it (<shipment><paidtotal>).';
COMMENT ON COLUMN centra.shipments.currency IS 'Currency (<shipment><currency>).';
COMMENT ON COLUMN centra.shipments.currency_rate IS
    'Rate to the base currency (<shipment><currencyrate>).';
COMMENT ON COLUMN centra.shipments.base_currency IS 'Base currency (<shipment><basecurrency>).';
COMMENT ON COLUMN centra.shipments.created_at IS 'When it was created (<shipment><created>).';
COMMENT ON COLUMN centra.shipments.carrier IS 'Carrier (<shipment><carrierinformation><carrier>).';
COMMENT ON COLUMN centra.shipments.service IS
    'Carrier service (<shipment><carrierinformation><service>).';
COMMENT ON COLUMN centra.shipments.carrier_account IS
    'Carrier account (<shipment><carrierinformation><account>).';
COMMENT ON COLUMN centra.shipments.carrier_tax_id IS
    'Carrier tax id (<shipment><carrierinformation><taxid>).';
COMMENT ON COLUMN centra.shipments.tracking IS
    'Tracking number (<shipment><carrierinformation><tracking>).';
COMMENT ON COLUMN centra.shipments.packages IS
    'Number of packages (<shipment><carrierinformation><packages>).';
COMMENT ON COLUMN centra.shipments.ship_address_id IS 'Address id (<shipment><shippingaddress><id>).';
COMMENT ON COLUMN centra.shipments.ship_address_description IS
    'Address description (<shipment><shippingaddress><description>).';
COMMENT ON COLUMN centra.shipments.ship_company IS 'Company (<shipment><shippingaddress><company>).';
COMMENT ON COLUMN centra.shipments.ship_attn IS 'Attention line (<shipment><shippingaddress><attn>).';
COMMENT ON COLUMN centra.shipments.ship_first_name IS
    'First name (<shipment><shippingaddress><firstname>).';
COMMENT ON COLUMN centra.shipments.ship_last_name IS
    'Last name (<shipment><shippingaddress><lastname>).';
COMMENT ON COLUMN centra.shipments.ship_address1 IS
    'Street address (<shipment><shippingaddress><address1>).';
COMMENT ON COLUMN centra.shipments.ship_address2 IS
    'Address, second line (<shipment><shippingaddress><address2>).';
COMMENT ON COLUMN centra.shipments.ship_city IS 'City (<shipment><shippingaddress><city>).';
COMMENT ON COLUMN centra.shipments.ship_state IS 'State (<shipment><shippingaddress><state>).';
COMMENT ON COLUMN centra.shipments.ship_zipcode IS
    'Postal code (<shipment><shippingaddress><zipcode>).';
COMMENT ON COLUMN centra.shipments.ship_country IS
    'Country, ISO 3166 alpha-2 (<shipment><shippingaddress><country>).';
COMMENT ON COLUMN centra.shipments.ship_email IS 'E-mail (<shipment><shippingaddress><email>).';
COMMENT ON COLUMN centra.shipments.ship_telephone IS
    'Telephone (<shipment><shippingaddress><telephone>).';
COMMENT ON COLUMN centra.shipments.ship_fax IS 'Fax (<shipment><shippingaddress><fax>).';
COMMENT ON COLUMN centra.shipments.ship_vat IS 'VAT number (<shipment><shippingaddress><vat>).';
COMMENT ON COLUMN centra.shipments.ship_url IS 'Web address (<shipment><shippingaddress><url>).';
COMMENT ON COLUMN centra.shipments.ship_company_registration_id IS
    'Company registration id (<shipment><shippingaddress><companyregistrationid>).';
COMMENT ON COLUMN centra.shipments.shipping_subtotal IS
    'Shipping cost of the shipment (<shipment><shipping><subtotal>).';
COMMENT ON COLUMN centra.shipments.shipping_description IS
    'Shipping cost description (<shipment><shipping><description>).';
COMMENT ON COLUMN centra.shipments.shipping_key IS 'Shipping cost key (<shipment><shipping><key>).';
COMMENT ON COLUMN centra.shipments.shipping_id IS 'Shipping cost id (<shipment><shipping><id>).';
COMMENT ON COLUMN centra.shipments.handling_subtotal IS
    'Handling cost of the shipment (<shipment><handling><subtotal>).';
COMMENT ON COLUMN centra.shipments.handling_description IS
    'Handling cost description (<shipment><handling><description>).';
COMMENT ON COLUMN centra.shipments.handling_key IS 'Handling cost key (<shipment><handling><key>).';
COMMENT ON COLUMN centra.shipments.handling_id IS 'Handling cost id (<shipment><handling><id>).';
COMMENT ON COLUMN centra.shipments.voucher_subtotal IS
    'Voucher amount on the shipment (<shipment><voucher><subtotal>).';
COMMENT ON COLUMN centra.shipments.voucher_description IS
    'Voucher description (<shipment><voucher><description>).';
COMMENT ON COLUMN centra.shipments.voucher_key IS 'Voucher key (<shipment><voucher><key>).';
COMMENT ON COLUMN centra.shipments.voucher_id IS 'Voucher id (<shipment><voucher><id>).';

CREATE TABLE centra.shipment_lines (
    order_id text NOT NULL,
    shipment_id text NOT NULL,
    line_no integer NOT NULL,
    orderitem_id text,
    product_id text,
    variation_id text,
    size_id text,
    sku text,
    product_sku text,
    variation_sku text,
    size_sku text,
    product_name text,
    variation_name text,
    size_name text,
    orderitem_description text,
    brand_id text,
    brand_name text,
    product_type text,
    qty integer,
    product_qty integer,
    price numeric,
    orig_price numeric,
    discount numeric,
    tax numeric,
    subtotal numeric,
    product_subtotal numeric,
    preorder boolean,
    comment text,
    bundle_role text NOT NULL DEFAULT 'none'
        CONSTRAINT shipment_lines_bundle_role_valid CHECK (bundle_role IN ('none', 'bundle', 'part')),
    bundle_product_id text,
    PRIMARY KEY (order_id, shipment_id, line_no),
    FOREIGN KEY (order_id, shipment_id)
        REFERENCES centra.shipments (order_id, shipment_id) ON DELETE CASCADE
);
CREATE INDEX shipment_lines_orderitem_idx ON centra.shipment_lines (order_id, orderitem_id);

COMMENT ON TABLE centra.shipment_lines IS
    'What a shipment contains (<shipment><products>): one row per <size>, pointing at the order '
    'line by orderitem_id.';
COMMENT ON COLUMN centra.shipment_lines.order_id IS 'The order (centra.orders).';
COMMENT ON COLUMN centra.shipment_lines.shipment_id IS 'The shipment (centra.shipments).';
COMMENT ON COLUMN centra.shipment_lines.line_no IS 'Position in the shipment, from 1.';
COMMENT ON COLUMN centra.shipment_lines.orderitem_id IS
    'The order line shipped (<size><orderitem><id>; centra.order_lines).';
COMMENT ON COLUMN centra.shipment_lines.qty IS
    'Quantity in this shipment (<size><qty>).';
COMMENT ON COLUMN centra.shipment_lines.subtotal IS
    'Amount of this line: price times qty (see product_subtotal).';

-- ---------------------------------------------------------------------------
-- refunds
-- ---------------------------------------------------------------------------

CREATE TABLE centra.refunds (
    order_id text NOT NULL,
    refund_id text NOT NULL,
    shipment_id text NOT NULL,
    status text,
    type text,
    comment text,
    shipping_subtotal numeric,
    shipping_description text,
    shipping_key text,
    shipping_id text,
    handling_subtotal numeric,
    handling_description text,
    handling_key text,
    handling_id text,
    voucher_subtotal numeric,
    voucher_description text,
    voucher_key text,
    voucher_id text,
    return_fee_subtotal numeric,
    return_fee_description text,
    return_fee_key text,
    return_fee_id text,
    PRIMARY KEY (order_id, refund_id),
    FOREIGN KEY (order_id, shipment_id)
        REFERENCES centra.shipments (order_id, shipment_id) ON DELETE CASCADE
);
CREATE INDEX refunds_refund_id_idx ON centra.refunds (refund_id);
CREATE INDEX refunds_shipment_idx ON centra.refunds (order_id, shipment_id);

COMMENT ON TABLE centra.refunds IS
    'Returns and refunds of an order, each belonging to a shipment '
    '(<shipment><refunds><refund>). Their lines are in centra.refund_lines.';
COMMENT ON COLUMN centra.refunds.order_id IS 'The order (centra.orders).';
COMMENT ON COLUMN centra.refunds.refund_id IS
    'Refund id (<refund><id>); Centra requires it to be globally unique.';
COMMENT ON COLUMN centra.refunds.shipment_id IS 'The shipment returned from (centra.shipments).';
COMMENT ON COLUMN centra.refunds.status IS 'Refund status, e.g. confirmed (<refund><status>).';
COMMENT ON COLUMN centra.refunds.type IS 'Refund type (<refund><type>).';
COMMENT ON COLUMN centra.refunds.comment IS 'Comment (<refund><comment>).';
COMMENT ON COLUMN centra.refunds.shipping_subtotal IS
    'Shipping cost refunded (<refund><shipping><subtotal>).';
COMMENT ON COLUMN centra.refunds.shipping_description IS
    'Shipping refund description (<refund><shipping><description>).';
COMMENT ON COLUMN centra.refunds.shipping_key IS 'Shipping refund key (<refund><shipping><key>).';
COMMENT ON COLUMN centra.refunds.shipping_id IS 'Shipping refund id (<refund><shipping><id>).';
COMMENT ON COLUMN centra.refunds.handling_subtotal IS
    'Handling cost refunded (<refund><handling><subtotal>).';
COMMENT ON COLUMN centra.refunds.handling_description IS
    'Handling refund description (<refund><handling><description>).';
COMMENT ON COLUMN centra.refunds.handling_key IS 'Handling refund key (<refund><handling><key>).';
COMMENT ON COLUMN centra.refunds.handling_id IS 'Handling refund id (<refund><handling><id>).';
COMMENT ON COLUMN centra.refunds.voucher_subtotal IS
    'Voucher amount of the refund (<refund><voucher><subtotal>).';
COMMENT ON COLUMN centra.refunds.voucher_description IS
    'Voucher description (<refund><voucher><description>).';
COMMENT ON COLUMN centra.refunds.voucher_key IS 'Voucher key (<refund><voucher><key>).';
COMMENT ON COLUMN centra.refunds.voucher_id IS 'Voucher id (<refund><voucher><id>).';
COMMENT ON COLUMN centra.refunds.return_fee_subtotal IS
    'Return fee charged (<refund><returnfee><subtotal>).';
COMMENT ON COLUMN centra.refunds.return_fee_description IS
    'Return fee description (<refund><returnfee><description>).';
COMMENT ON COLUMN centra.refunds.return_fee_key IS 'Return fee key (<refund><returnfee><key>).';
COMMENT ON COLUMN centra.refunds.return_fee_id IS 'Return fee id (<refund><returnfee><id>).';

CREATE TABLE centra.refund_lines (
    order_id text NOT NULL,
    refund_id text NOT NULL,
    line_no integer NOT NULL,
    orderitem_id text,
    product_id text,
    variation_id text,
    size_id text,
    sku text,
    product_sku text,
    variation_sku text,
    size_sku text,
    product_name text,
    variation_name text,
    size_name text,
    orderitem_description text,
    brand_id text,
    brand_name text,
    product_type text,
    qty integer,
    product_qty integer,
    price numeric,
    orig_price numeric,
    discount numeric,
    tax numeric,
    subtotal numeric,
    product_subtotal numeric,
    preorder boolean,
    comment text,
    bundle_role text NOT NULL DEFAULT 'none'
        CONSTRAINT refund_lines_bundle_role_valid CHECK (bundle_role IN ('none', 'bundle', 'part')),
    bundle_product_id text,
    PRIMARY KEY (order_id, refund_id, line_no),
    FOREIGN KEY (order_id, refund_id)
        REFERENCES centra.refunds (order_id, refund_id) ON DELETE CASCADE
);
CREATE INDEX refund_lines_orderitem_idx ON centra.refund_lines (order_id, orderitem_id);

COMMENT ON TABLE centra.refund_lines IS
    'What a refund returns (<refund><products>): one row per <size>.';
COMMENT ON COLUMN centra.refund_lines.order_id IS 'The order (centra.orders).';
COMMENT ON COLUMN centra.refund_lines.refund_id IS 'The refund (centra.refunds).';
COMMENT ON COLUMN centra.refund_lines.line_no IS 'Position in the refund, from 1.';
COMMENT ON COLUMN centra.refund_lines.orderitem_id IS
    'The order line returned (<size><orderitem><id>), when Centra sends it.';
COMMENT ON COLUMN centra.refund_lines.qty IS
    'Quantity returned (<size><qty>).';
COMMENT ON COLUMN centra.refund_lines.subtotal IS
    'Refunded amount of the line: price times qty (see product_subtotal).';

-- The line tables describe a <size> of a <product> like order_lines does: their
-- shared columns take order_lines' comments (qty and subtotal, whose meaning
-- differs per table, are commented above).
DO $line_comments$
DECLARE
    t text;
    c record;
BEGIN
    FOREACH t IN ARRAY ARRAY['cancelled_lines', 'shipment_lines', 'refund_lines'] LOOP
        FOR c IN
            SELECT a.attname, col_description(a.attrelid, a.attnum) AS description
            FROM pg_attribute a
            JOIN pg_attribute b ON b.attrelid = format('centra.%I', t)::regclass
                               AND b.attname = a.attname AND NOT b.attisdropped
            WHERE a.attrelid = 'centra.order_lines'::regclass AND a.attnum > 0
              AND NOT a.attisdropped
              AND a.attname NOT IN ('order_id', 'orderitem_id', 'line_no', 'qty', 'subtotal')
        LOOP
            EXECUTE format('COMMENT ON COLUMN centra.%I.%I IS %L', t, c.attname, c.description);
        END LOOP;
    END LOOP;
END
$line_comments$;

-- ---------------------------------------------------------------------------
-- entities and the ID conversion table
-- ---------------------------------------------------------------------------

CREATE TABLE centra.entities (
    type text NOT NULL,
    entry text NOT NULL,
    payload xml,
    deleted boolean NOT NULL DEFAULT false,
    last_event_id bigint NOT NULL,
    last_event_date timestamptz,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (type, entry)
);
CREATE INDEX entities_updated_at_idx ON centra.entities (updated_at);

COMMENT ON TABLE centra.entities IS
    'The latest state of every object other than orders that Centra sent an event for '
    '(customers, accounts, invoices, markets, pricelists, ...), one row per type and id, as '
    'XML. Query it with xpath(); see centra.events.payload for the namespace.';
COMMENT ON COLUMN centra.entities.type IS 'Event type of the object (<event><type>), e.g. customer.';
COMMENT ON COLUMN centra.entities.entry IS 'Id of the object (<event><entry>).';
COMMENT ON COLUMN centra.entities.payload IS
    'The object as of the newest event: its <data> element, as in centra.events.payload. Kept '
    'as last sent when the object is deleted.';
COMMENT ON COLUMN centra.entities.deleted IS
    'True once an event with <mission>delete</mission> was applied; a later update clears it.';
COMMENT ON COLUMN centra.entities.last_event_id IS
    'Id of the newest event applied (centra.events); older events never overwrite it.';
COMMENT ON COLUMN centra.entities.last_event_date IS 'Date of that event (<event><date>).';
COMMENT ON COLUMN centra.entities.first_seen_at IS 'When the object was first received.';
COMMENT ON COLUMN centra.entities.updated_at IS 'When it was last changed by an event.';

CREATE TABLE centra.id_map (
    kind text NOT NULL,
    erp_id text NOT NULL,
    centra_id bigint,
    name text,
    source text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, erp_id)
);
CREATE UNIQUE INDEX id_map_centra_id_key ON centra.id_map (kind, centra_id)
    WHERE centra_id IS NOT NULL;

COMMENT ON TABLE centra.id_map IS
    'Mirror of Centra''s ID conversion table: which Centra id stands behind each id the ERP '
    'uses, per kind of object. Learned from events (every id seen, with the Centra id where '
    'the event reveals it) and from "centra-bridge idmap import" of the table exported from '
    'Centra''s admin. Join on erp_id to use your own ids.';
COMMENT ON COLUMN centra.id_map.kind IS
    'Kind of object: order, product, variation, market, pricelist, warehouse, customer, '
    'account, buyer, ... (not sizes: a size id is unique only within its sizetable).';
COMMENT ON COLUMN centra.id_map.erp_id IS
    'The id used in the API (<id>): yours for data you created, Centra''s for data created in '
    'Centra.';
COMMENT ON COLUMN centra.id_map.centra_id IS
    'Centra''s internal numeric id (for orders, the order number); NULL while unknown.';
COMMENT ON COLUMN centra.id_map.name IS 'Name or description last seen with the id, if any.';
COMMENT ON COLUMN centra.id_map.source IS
    'Where the mapping was learned: event (an imported event) or import (idmap import).';
COMMENT ON COLUMN centra.id_map.updated_at IS 'When the row was last changed.';

-- ---------------------------------------------------------------------------
-- centra_outbox.messages
-- ---------------------------------------------------------------------------

CREATE TABLE centra_outbox.messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation text NOT NULL
        CONSTRAINT messages_operation_is_an_update_operation CHECK (operation IN (
            'accounts_Update', 'customers_Update', 'deliverywindows_Update', 'invoices_Update',
            'markets_Update', 'orders_Update', 'paymentterms_Update',
            'pricealterationdates_Update', 'pricelists_Update', 'products_Update',
            'salesreps_Update', 'shippingterms_Update', 'sizes_Update', 'warehouses_Update')),
    entity_key text NOT NULL
        CONSTRAINT messages_entity_key_not_empty CHECK (entity_key <> ''),
    payload json NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CONSTRAINT messages_status_valid CHECK (status IN (
            'pending', 'sending', 'sent', 'failed', 'cancelled', 'superseded')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    last_error text,
    errors text[],
    notices text[],
    request_xml text,
    locked_by text,
    locked_until timestamptz,
    superseded_by bigint REFERENCES centra_outbox.messages (id) ON DELETE SET NULL,
    source_table text,
    source_id bigint
);
CREATE INDEX messages_ready_idx ON centra_outbox.messages (next_attempt_at, id)
    WHERE status IN ('pending', 'sending');
CREATE INDEX messages_entity_key_idx ON centra_outbox.messages (entity_key, id)
    WHERE status IN ('pending', 'sending', 'failed');
CREATE INDEX messages_status_idx ON centra_outbox.messages (status);
CREATE INDEX messages_created_at_idx ON centra_outbox.messages (created_at);
CREATE INDEX messages_superseded_by_idx ON centra_outbox.messages (superseded_by)
    WHERE superseded_by IS NOT NULL;

COMMENT ON TABLE centra_outbox.messages IS
    'The queue of SOAP updates to send to Centra, in id order per entity_key. Rows come from '
    'the typed outbox tables'' triggers or are inserted directly by the ERP. centra-bridge '
    'export claims pending rows (FOR UPDATE SKIP LOCKED), sends them and records Centra''s '
    'answer. A failed message blocks later messages of its entity_key until it is retried or '
    'cancelled.';
COMMENT ON COLUMN centra_outbox.messages.id IS 'Message number; also the order of sending per entity_key.';
COMMENT ON COLUMN centra_outbox.messages.operation IS
    'SOAP operation to call, one of the API''s 14 *_Update operations, e.g. orders_Update.';
COMMENT ON COLUMN centra_outbox.messages.entity_key IS
    'What the message is about, e.g. order:30 or stock:T001/T001_RED/S/MainWarehouse. Messages '
    'with the same key are delivered one after another in id order.';
COMMENT ON COLUMN centra_outbox.messages.payload IS
    'The item to send, as JSON: object keys become XML elements in the order written, arrays '
    'become repeated elements, strings and numbers become escaped text, null an empty '
    'element. The exporter wraps it in the operation''s list element and adds the login.';
COMMENT ON COLUMN centra_outbox.messages.status IS
    'pending: waiting to be sent; sending: claimed by an exporter; sent: Centra accepted it; '
    'failed: Centra refused it or retries ran out (blocks its entity_key); cancelled: by '
    '"centra-bridge outbox cancel"; superseded: replaced by a newer stock update for the same '
    'SKU and warehouse before it was sent.';
COMMENT ON COLUMN centra_outbox.messages.attempts IS 'Send attempts so far.';
COMMENT ON COLUMN centra_outbox.messages.next_attempt_at IS
    'Not sent before this time (backoff after a transient failure).';
COMMENT ON COLUMN centra_outbox.messages.created_at IS 'When the message was enqueued.';
COMMENT ON COLUMN centra_outbox.messages.updated_at IS 'When its status last changed.';
COMMENT ON COLUMN centra_outbox.messages.sent_at IS 'When Centra accepted it.';
COMMENT ON COLUMN centra_outbox.messages.last_error IS
    'Why the last attempt failed: Centra''s errors, a SOAP fault or a transport error.';
COMMENT ON COLUMN centra_outbox.messages.errors IS
    'Centra''s <errors> messages from the last answer.';
COMMENT ON COLUMN centra_outbox.messages.notices IS
    'Centra''s <notices> messages from the last answer, e.g. "Added new size: ...".';
COMMENT ON COLUMN centra_outbox.messages.request_xml IS
    'The SOAP request last sent for this message, with the password masked, for audit.';
COMMENT ON COLUMN centra_outbox.messages.locked_by IS
    'Exporter (host:pid) holding the message while sending.';
COMMENT ON COLUMN centra_outbox.messages.locked_until IS
    'End of that exporter''s lease; after it another exporter may take the message over.';
COMMENT ON COLUMN centra_outbox.messages.superseded_by IS
    'For a superseded message, the newer message that replaced it.';
COMMENT ON COLUMN centra_outbox.messages.source_table IS
    'Typed outbox table the message came from (e.g. stock_updates); NULL if inserted directly.';
COMMENT ON COLUMN centra_outbox.messages.source_id IS 'Row id in that table.';
