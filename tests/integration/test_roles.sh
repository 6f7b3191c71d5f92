#!/usr/bin/env bash
# tests/integration/test_roles.sh
#     Roles are cluster-wide, so this test starts a cluster of its own in which
#     the roles do not exist yet: a user without CREATEROLE migrates (roles
#     skipped with a notice), a user with CREATEROLE migrates (roles created),
#     the first user migrates again (grants made), and login members of the
#     roles can do what they should and nothing more.
source "$(dirname "$0")/lib.sh"

cluster=$CB_BUILD_DIR/tests/pgcluster-roles
"$CB_SOURCE_DIR/tests/integration/pgcluster.sh" start "$cluster" "$CB_BUILD_DIR/tests/freeport" \
    >/dev/null || exit 1
trap '"$CB_SOURCE_DIR/tests/integration/pgcluster.sh" stop "$cluster"; cb_cleanup' EXIT
# shellcheck disable=SC1091
source "$cluster/env"

for sql in "CREATE ROLE app LOGIN" "CREATE DATABASE appdb OWNER app" \
    "CREATE ROLE creator LOGIN CREATEROLE" "CREATE DATABASE creatordb OWNER creator"; do
    q postgres "$sql" >/dev/null || exit 1
done

# --- a user who may not create roles ---------------------------------------------
DATABASE_URL="postgresql://app@$PGHOST:$PGPORT/appdb" run_cb migrate
assert_eq 0 "$RC" "migrate as a user without CREATEROLE succeeds"
assert_contains "$ERR" "database: skipping creation of roles centra_bridge, centra_erp, centra_reader: user \"app\" may not create roles" \
    "and skips the roles with a notice"
assert_contains "$ERR" "hint: Run \"centra-bridge migrate\" once as a user with CREATEROLE" \
    "saying how to get them"
assert_eq "0" "$(q postgres "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'centra\_%'")" \
    "no role was created"
assert_eq "app" "$(q appdb "SELECT tableowner FROM pg_tables WHERE schemaname = 'centra'
    AND tablename = 'orders'")" "the tables belong to the migrating user"

q appdb "REVOKE UPDATE ON centra.events FROM app" >/dev/null
DATABASE_URL="postgresql://app@$PGHOST:$PGPORT/appdb" run_cb check
assert_contains "$OUT" "Missing: centra.events (UPDATE)." \
    "check without the roles: a privilege the owner lost is named"
assert_contains "$OUT" "The role centra_bridge does not exist: run \"centra-bridge migrate\" once as a user with CREATEROLE" \
    "with the way to get the role"
q appdb "GRANT UPDATE ON centra.events TO app" >/dev/null

# --- a user who may ------------------------------------------------------------------
DATABASE_URL="postgresql://creator@$PGHOST:$PGPORT/creatordb" run_cb migrate
assert_eq 0 "$RC" "migrate as a user with CREATEROLE succeeds"
assert_not_contains "$ERR" "skipping creation of roles" "without skipping the roles"
assert_eq "centra_bridge|false centra_erp|false centra_reader|false" \
    "$(q postgres "SELECT string_agg(rolname || '|' || rolcanlogin, ' ' ORDER BY rolname)
        FROM pg_roles WHERE rolname LIKE 'centra\_%'")" "the three roles exist, as groups"
assert_contains "$(q postgres "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles
        WHERE rolname = 'centra_erp'")" "enqueues outbox messages" "and are documented"

# --- the first user again: now the grants are made --------------------------------------
DATABASE_URL="postgresql://app@$PGHOST:$PGPORT/appdb" run_cb migrate
assert_eq 0 "$RC" "migrate again as the user without CREATEROLE succeeds"
assert_not_contains "$ERR" "skipping creation of roles" "and no longer skips"
assert_eq "t|f|t|f|f" "$(q appdb "SELECT has_table_privilege('centra_erp', 'centra.orders', 'SELECT'),
    has_table_privilege('centra_erp', 'centra.orders', 'INSERT'),
    has_column_privilege('centra_erp', 'centra_outbox.messages', 'payload', 'INSERT'),
    has_column_privilege('centra_erp', 'centra_outbox.messages', 'status', 'INSERT'),
    has_table_privilege('centra_erp', 'centra_outbox.messages', 'UPDATE')")" \
    "centra_erp may read staging and enqueue, not write staging, set a status or change messages"

# --- login members of the roles --------------------------------------------------------------
q postgres "CREATE ROLE erp LOGIN IN ROLE centra_erp; CREATE ROLE dba LOGIN IN ROLE centra_reader;
            CREATE ROLE bridge LOGIN IN ROLE centra_bridge;" >/dev/null
as() { # USER SQL
    psql -X -q -A -t -v ON_ERROR_STOP=1 -U "$1" -d creatordb -c "$2" 2>&1
}
out=$(as erp "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
              VALUES ('orders_Update', 'order:1', '{\"id\": \"1\"}') RETURNING status")
assert_eq "pending" "$out" "a member of centra_erp can enqueue a message"
out=$(as erp "UPDATE centra_outbox.messages SET status = 'sent'")
assert_contains "$out" "permission denied for table messages" "but cannot change it"
out=$(as erp "DELETE FROM centra.orders")
assert_contains "$out" "permission denied for table orders" "nor delete staging rows"
out=$(as dba "SELECT count(*) FROM centra_outbox.messages")
assert_eq "1" "$out" "a member of centra_reader can read"
out=$(as dba "INSERT INTO centra.id_map (kind, erp_id, source) VALUES ('product', 'p', 'x')")
assert_contains "$out" "permission denied for table id_map" "but not write"
out=$(as bridge "UPDATE centra_outbox.messages SET status = 'sending' RETURNING status")
assert_eq "sending" "$out" "a member of centra_bridge can work the queue"
out=$(as bridge "DELETE FROM centra.schema_migrations")
assert_contains "$out" "permission denied for table schema_migrations" \
    "but cannot rewrite the migration history"

# --- the typed outbox tables: the ERP gives the input columns, not id, created_at, message_id ---
DATABASE_URL="postgresql://creator@$PGHOST:$PGPORT/creatordb" run_cb load \
    "$CB_SOURCE_DIR/tests/fixtures/guide/dtc_order_event.xml" \
    "$CB_SOURCE_DIR/tests/fixtures/guide/wholesale_order_event.xml"
assert_eq 0 "$RC" "(the guide's orders 30 and 25 are loaded)"
out=$(as erp "INSERT INTO centra_outbox.stock_updates (id, product_id, variation_id, size_id,
                  warehouse_id, qty) OVERRIDING SYSTEM VALUE VALUES (1000000, 'P', 'P', 'S', 'W', 1)")
assert_contains "$out" "permission denied for table stock_updates" \
    "centra_erp cannot give a typed row's id (OVERRIDING SYSTEM VALUE)"
out=$(as erp "INSERT INTO centra_outbox.item_cancellations (order_id, orderitem_id, qty, created_at)
              VALUES ('25', '71', 1, '2000-01-01')")
assert_contains "$out" "permission denied for table item_cancellations" \
    "nor its created_at"
out=$(as erp "INSERT INTO centra_outbox.prices (pricelist_id, product_id, price, message_id)
              VALUES ('L', 'P', 1, 1)")
assert_contains "$out" "permission denied for table prices" "nor its message_id"
bad=''
for stmt in \
    "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id, qty)
     VALUES ('PWC', 'PWC', 'OS', 'MainWarehouse', 1)" \
    "INSERT INTO centra_outbox.order_status_updates (order_id, status, locked)
     VALUES ('25', 'confirmed', true)" \
    "INSERT INTO centra_outbox.shipment_updates (order_id, shipment_id, action, appendix, good_to_go,
         lines, shipping_subtotal, order_status)
     VALUES ('25', 'shipment-25-1', 'create', 1, true, '[{\"orderitem\": \"68\", \"qty\": 1}]', 12,
             'processing')" \
    "INSERT INTO centra_outbox.shipment_updates (order_id, shipment_id, action, carrier, service,
         tracking, capture)
     VALUES ('30', '8', 'ship', 'UPS', 'STANDARD', '1Z1', true)" \
    "INSERT INTO centra_outbox.item_cancellations (order_id, orderitem_id, qty) VALUES ('25', '71', 1)" \
    "INSERT INTO centra_outbox.refunds (order_id, refund_id, shipment_id, appendix, status, lines)
     VALUES ('30', 'r-erp-1', '8', 1, 'confirmed', '[{\"orderitem\": \"81\", \"qty\": 1}]')" \
    "INSERT INTO centra_outbox.products (product_id, status, sku, description, folder, brand_id,
         brand_name, collection_id, collection_name, variations)
     VALUES ('PWC', 'active', '01', 'Chair', 'Furniture', 'B', 'Brand', 'C', 'Coll',
             '[{\"id\": \"PWC\", \"sizes\": [{\"id\": \"OS\"}]}]')" \
    "INSERT INTO centra_outbox.prices (pricelist_id, product_id, variation_id, price, priceb,
         altered_price, altered_priceb)
     VALUES ('USD-Wholesale', 'T001', 'T001_RED', 45, 123, 50, 150)"; do
    out=$(as erp "$stmt RETURNING message_id IS NOT NULL")
    [[ $out == t ]] || bad+="${stmt%%(*}: $out"$'\n'
done
assert_eq "" "$bad" "centra_erp inserts rows of every typed outbox table, each input column given"
assert_eq "t" "$(q creatordb "SELECT count(DISTINCT id) = count(*) AND max(id) < 1000
    FROM centra_outbox.stock_updates")" "(the ids stay the table's own)"
# A database migrated before keeps INSERT on whole typed tables until migrate takes it back.
q creatordb "GRANT INSERT ON centra_outbox.stock_updates TO centra_erp" >/dev/null
DATABASE_URL="postgresql://creator@$PGHOST:$PGPORT/creatordb" run_cb migrate
assert_eq "0|f|f|t" "$RC|$(q creatordb "SELECT has_column_privilege('centra_erp',
        'centra_outbox.stock_updates', 'id', 'INSERT'),
    has_column_privilege('centra_erp', 'centra_outbox.stock_updates', 'created_at', 'INSERT'),
    has_column_privilege('centra_erp', 'centra_outbox.stock_updates', 'qty', 'INSERT')")" \
    "migrate takes back INSERT on a whole typed table granted by an earlier version"

# --- every table of both schemas, from information_schema (issue 7) --------------------------
# tables SCHEMA [EXCEPT]: the base tables of SCHEMA, one a line.
tables() {
    q creatordb "SELECT table_schema || '.' || table_name FROM information_schema.tables
        WHERE table_schema = '$1' AND table_type = 'BASE TABLE' AND table_name <> '${2:-}'
        ORDER BY 1"
}
# upd TABLE: an UPDATE of TABLE that changes nothing (its first plain column set to itself).
upd() {
    local c
    c=$(q creatordb "SELECT column_name FROM information_schema.columns WHERE
        table_schema || '.' || table_name = '$1' AND is_identity = 'NO'
        AND is_generated = 'NEVER' ORDER BY ordinal_position LIMIT 1")
    echo "UPDATE $1 SET $c = $c"
}
staging=$(tables centra)
outbox_typed=$(tables centra_outbox messages | grep -vx centra_outbox.keys)
assert_eq 1 "$(($(wc -l <<<"$staging") >= 15 && $(wc -l <<<"$outbox_typed") >= 5))" \
    "information_schema lists the staging tables and the typed outbox tables"
# denied USER SQL: the statement fails for lack of privilege (the first line of the error).
denied() {
    local out
    out=$(as "$1" "$2")
    [[ $out == *"permission denied for table"* ]] && echo denied || echo "allowed: ${out%%$'\n'*}"
}
bad=''
for t in $staging $outbox_typed centra_outbox.messages centra_outbox.keys; do
    for stmt in "INSERT INTO $t DEFAULT VALUES" "$(upd "$t")" "DELETE FROM $t" \
        "TRUNCATE $t"; do
        r=$(denied dba "$stmt")
        [[ $r == denied ]] || bad+="dba: $stmt: $r"$'\n'
    done
    r=$(as dba "SELECT count(*) >= 0 FROM $t")
    [[ $r == t ]] || bad+="dba: cannot read $t: $r"$'\n'
done
assert_eq "" "$bad" "centra_reader can read every table of both schemas and INSERT, UPDATE, DELETE, TRUNCATE none ($(wc -w <<<"$staging $outbox_typed") tables + messages and keys)"
bad=''
for t in $staging centra_outbox.messages centra_outbox.keys; do
    for stmt in "$(upd "$t")" "DELETE FROM $t" "TRUNCATE $t"; do
        r=$(denied erp "$stmt")
        [[ $r == denied ]] || bad+="erp: $stmt: $r"$'\n'
    done
done
for t in $staging centra_outbox.keys; do
    r=$(denied erp "INSERT INTO $t DEFAULT VALUES")
    [[ $r == denied ]] || bad+="erp: INSERT INTO $t: $r"$'\n'
    r=$(as erp "SELECT count(*) >= 0 FROM $t")
    [[ $r == t ]] || bad+="erp: cannot read $t: $r"$'\n'
done
assert_eq "" "$bad" "centra_erp reads every staging table and centra_outbox.keys, cannot INSERT, UPDATE, DELETE or TRUNCATE any (the outbox triggers write keys), nor UPDATE, DELETE or TRUNCATE messages"
# Every typed outbox table: the privilege check passes (what refuses an empty row is a
# constraint or the table's trigger, never "permission denied"); no UPDATE or DELETE.
bad=''
for t in $outbox_typed; do
    [[ $(q creatordb "SELECT has_any_column_privilege('centra_erp', '$t', 'INSERT')") == t ]] ||
        bad+="erp: no INSERT privilege on $t"$'\n'
    r=$(denied erp "INSERT INTO $t DEFAULT VALUES")
    [[ $r == denied ]] && bad+="erp: INSERT INTO $t: permission denied"$'\n'
    for stmt in "$(upd "$t")" "DELETE FROM $t"; do
        r=$(denied erp "$stmt")
        [[ $r == denied ]] || bad+="erp: $stmt: $r"$'\n'
    done
done
assert_eq "" "$bad" "centra_erp may INSERT into every typed outbox table ($(wc -w <<<"$outbox_typed")) and not UPDATE or DELETE them"
out=$(as erp "INSERT INTO centra_outbox.stock_updates DEFAULT VALUES")
assert_not_contains "$out" "permission denied" "(an empty stock_updates row is refused by its rules, not by privileges: ${out%%$'\n'*})"

# --- the functions: only centra_erp enqueues, also after a restore without privileges -------
# (pg_restore --no-privileges, or into a cluster whose roles did not exist yet, leaves
# EXECUTE to PUBLIC; found in review.)  migrate takes it back.
fns=$(q creatordb "SELECT string_agg(p.oid::regprocedure::text, ' ' ORDER BY p.proname)
    FROM pg_proc p WHERE p.pronamespace = 'centra_outbox'::regnamespace
    AND (p.proname LIKE 'enqueue\_%' OR p.proname = 'put')")
# who_executes: for each function, the roles of the three that may execute it.
who_executes() {
    q creatordb "SELECT string_agg(DISTINCT r, ',' ORDER BY r) FROM unnest(string_to_array('$fns', ' ')) f,
        unnest(ARRAY['centra_bridge', 'centra_erp', 'centra_reader']) r
        WHERE has_function_privilege(r, f, 'EXECUTE') AND f NOT LIKE '%.put(%'"
    q creatordb "SELECT count(*) FROM unnest(ARRAY['centra_bridge', 'centra_erp', 'centra_reader']) r
        WHERE has_function_privilege(r, 'centra_outbox.put(text, text, json, text, bigint)', 'EXECUTE')"
}
assert_eq "10" "$(wc -w <<<"$fns")" "nine enqueue functions and put ($fns)"
assert_eq "centra_erp"$'\n'"0" "$(who_executes)" "only centra_erp may execute the enqueue functions, nobody put"
assert_contains "$(as dba "SELECT centra_outbox.enqueue_warehouse('W1', 'by a reader')")" \
    "permission denied for function enqueue_warehouse" "a member of centra_reader cannot enqueue"
q creatordb "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA centra_outbox TO PUBLIC" >/dev/null
assert_eq "centra_bridge,centra_erp,centra_reader"$'\n'"3" "$(who_executes)" \
    "(a restore without privileges: PUBLIC may execute them all)"
DATABASE_URL="postgresql://creator@$PGHOST:$PGPORT/creatordb" run_cb migrate
assert_eq "0|centra_erp"$'\n'"0" "$RC|$(who_executes)" "migrate takes EXECUTE back from PUBLIC"
assert_contains "$(as dba "SELECT centra_outbox.enqueue_warehouse('W1', 'by a reader')")" \
    "permission denied for function enqueue_warehouse" "and the reader cannot enqueue again"
# A trigger function runs as its owner too: on a temporary table of the reader's own it would
# enqueue for it, past every grant (found in review).  Nobody but the owner may use them.
trigger_fns=$(q creatordb "SELECT string_agg(p.oid::regprocedure::text, ' ' ORDER BY p.proname)
    FROM pg_proc p WHERE p.pronamespace = 'centra_outbox'::regnamespace
    AND p.prorettype = 'trigger'::regtype AND p.prosecdef")
assert_eq "" "$(q creatordb "SELECT string_agg(f || ' by ' || r, ', ')
    FROM unnest(string_to_array('$trigger_fns', ' ')) f,
         unnest(ARRAY['centra_bridge', 'centra_erp', 'centra_reader']) r
    WHERE has_function_privilege(r, f, 'EXECUTE')")" \
    "no role of the three may execute the SECURITY DEFINER trigger functions ($(wc -w <<<"$trigger_fns"))"
assert_contains "$(as dba "CREATE TEMP TABLE s (LIKE centra_outbox.stock_updates);
        CREATE TRIGGER s BEFORE INSERT ON s FOR EACH ROW
        EXECUTE FUNCTION centra_outbox.stock_updates_enqueue()")" \
    "permission denied for function centra_outbox.stock_updates_enqueue" \
    "so a reader cannot put one on a table of its own to enqueue"
out=$(as erp "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id,
              warehouse_id, qty) VALUES ('RT', 'RT', 'S', 'W', 1) RETURNING message_id IS NOT NULL")
assert_eq "t" "$out" "while the ERP's inserts still fire them"

# --- who may run migrate ----------------------------------------------------------------
q postgres "REVOKE CREATE ON DATABASE creatordb FROM creator, PUBLIC" >/dev/null
assert_eq "f" "$(q postgres "SELECT has_database_privilege('creator', 'creatordb', 'CREATE')")" \
    "(the owner no longer has CREATE on its database)"
DATABASE_URL="postgresql://creator@$PGHOST:$PGPORT/creatordb" run_cb migrate
assert_eq 0 "$RC" "once bootstrapped, the owner migrates without CREATE on the database"
DATABASE_URL="postgresql://bridge@$PGHOST:$PGPORT/creatordb" run_cb migrate
assert_eq 78 "$RC" "a user who does not own the schemas cannot migrate (78)"
assert_contains "$ERR" "hint: Run \"centra-bridge migrate\" as the owner of the schemas centra and centra_outbox" \
    "and is told who can"

# --- check: the user the program runs as has what the commands need ----------------------
# (Without CENTRA_URL check fails its configuration line anyway: only the schema lines count.)
DATABASE_URL="postgresql://bridge@$PGHOST:$PGPORT/creatordb" run_cb check
assert_contains "$OUT" "ok    schema" "check as a member of centra_bridge: the schema line is ok"
assert_not_contains "$OUT" "lacks privileges" "with no privilege missing"
DATABASE_URL="postgresql://dba@$PGHOST:$PGPORT/creatordb" run_cb check
assert_eq 78 "$RC" "check as a member of centra_reader exits 78"
assert_contains "$OUT" "FAIL  schema          the user dba lacks privileges on tables the commands read and write" \
    "saying the user lacks privileges"
assert_contains "$OUT" "Missing: centra.cancelled_lines (INSERT, DELETE), " "naming some"
assert_contains "$OUT" "GRANT centra_bridge TO dba" "and the grant that gives them"
DATABASE_URL="postgresql://erp@$PGHOST:$PGPORT/creatordb" run_cb check
assert_contains "$OUT" "FAIL  schema          the user erp lacks privileges" \
    "check as a member of centra_erp fails the same way"
q creatordb "REVOKE UPDATE ON centra.events FROM centra_bridge" >/dev/null
DATABASE_URL="postgresql://bridge@$PGHOST:$PGPORT/creatordb" run_cb check
assert_contains "$OUT" "Missing: centra.events (UPDATE)." \
    "a privilege taken from centra_bridge is named"
assert_contains "$OUT" "The user is in centra_bridge, which lacks them: run \"centra-bridge migrate\"" \
    "with the advice to migrate, which grants it again"
DATABASE_URL="postgresql://creator@$PGHOST:$PGPORT/creatordb" run_cb migrate
DATABASE_URL="postgresql://bridge@$PGHOST:$PGPORT/creatordb" run_cb check
assert_not_contains "$OUT" "lacks privileges" "after migrate, check finds nothing missing"
q creatordb "CREATE TABLE centra.orders_backup AS SELECT * FROM centra.orders" >/dev/null
DATABASE_URL="postgresql://bridge@$PGHOST:$PGPORT/creatordb" run_cb check
assert_not_contains "$OUT" "lacks privileges" \
    "a DBA's own table in the schema, not granted to centra_bridge, is none of check's business"
q postgres "CREATE ROLE noinherit LOGIN NOINHERIT IN ROLE centra_bridge" >/dev/null
q creatordb "GRANT USAGE ON SCHEMA centra, centra_outbox TO noinherit;
    GRANT SELECT ON centra.schema_migrations TO noinherit" >/dev/null
DATABASE_URL="postgresql://noinherit@$PGHOST:$PGPORT/creatordb" run_cb check
assert_contains "$OUT" "does not inherit its privileges (NOINHERIT): ALTER ROLE noinherit INHERIT." \
    "a member of centra_bridge that does not inherit is told so"

finish
