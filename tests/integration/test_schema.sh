#!/usr/bin/env bash
# tests/integration/test_schema.sh
#     Migrate a fresh database, then run the pgTAP files of tests/sql with
#     pg_prove: the contract tables and columns, their comments, keys,
#     constraints and role privileges.
source "$(dirname "$0")/lib.sh"

db=$(new_db)
DATABASE_URL=$(db_url "$db") run_cb migrate
assert_eq 0 "$RC" "migrate succeeds"
q "$db" "CREATE EXTENSION IF NOT EXISTS pgtap" >/dev/null
cb_report $? "pgTAP is installed in the test database"
pg_prove --dbname "$db" --verbose --failures "$CB_SOURCE_DIR"/tests/sql/*.sql >"$cb_tmp/prove" 2>&1
rc=$?
sed 's/^/    /' "$cb_tmp/prove"
cb_report $rc "the pgTAP schema tests pass"
finish
