#!/usr/bin/env bash
# tests/integration/test_idmap.sh
#     "centra-bridge idmap import|export" against the throwaway cluster:
#     import (counts, source, values stored verbatim), re-import unchanged,
#     the round trip export -> import into a fresh database -> export, bad
#     rows (all named, nothing written), --dry-run, a Centra id that moved to
#     another external id, swapped ids, header aliases, stdin, a missing
#     file, export filters and usage errors.
source "$(dirname "$0")/lib.sh"

# migrated_db: a new migrated database; sets DB and exports DATABASE_URL.
migrated_db() {
    DB=$(new_db)
    cb_databases+=("$DB")
    export DATABASE_URL
    DATABASE_URL=$(db_url "$DB")
    if ! "$CB_BIN" -q migrate >"$cb_tmp/migrate.err" 2>&1; then
        cb_report 1 "migrate a fresh database" "$(cat "$cb_tmp/migrate.err")"
    fi
}

# strip_updated_at: CSV on stdin without its updated_at (last) column, normalised.
strip_updated_at() {
    python3 -c '
import csv, sys
w = csv.writer(sys.stdout, lineterminator="\n")
for row in csv.reader(sys.stdin):
    w.writerow(row[:-1])'
}

# A file as Centra's admin might export it: BOM, CRLF, admin names, mixed case;
# an empty line and one of spaces and a tab (an edited file), which are skipped.
file1=$cb_tmp/idmap1.csv
printf '\xEF\xBB\xBFType,Centra ID,External ID,Name\r\n' >"$file1"
cat >>"$file1" <<'EOF'
Product,101,P-1,"Shirt, blue"

Variant,201,V-1,"The ""best"" one"
  	
Price list,301,PL-SEK,Sverige Å ö 😀
Customer,401,"'; DROP TABLE x; --",
market,501,M1,"two
lines"
warehouse,601,W "quoted",
EOF

# ============================================================================
# 1. Import, then import again
# ============================================================================
migrated_db
DB1=$DB
run_cb idmap import "$file1"
assert_eq "0|6 rows: 6 added, 0 changed, 0 unchanged, 0 replaced" "$RC|$OUT" \
    "a file with BOM, CRLF, quotes, admin type names and blank lines imports: 6 added"
assert_eq "6|6" "$(q "$DB" "SELECT count(*), count(*) FILTER (WHERE source = 'import')
    FROM centra.id_map")" "six mappings, all with source import"
assert_eq "product|P-1|101|Shirt, blue
variation|V-1|201|The \"best\" one
pricelist|PL-SEK|301|Sverige Å ö 😀
customer|'; DROP TABLE x; --|401|
market|M1|501|two
lines
warehouse|W \"quoted\"|601|" \
    "$(q "$DB" "SELECT kind, erp_id, centra_id, name FROM centra.id_map ORDER BY centra_id")" \
    "kinds, ids and names are stored verbatim (commas, quotes, UTF-8, newlines, SQL-looking text)"
assert_eq "1" "$(q "$DB" "SELECT count(*) FROM pg_tables WHERE schemaname = 'centra'
    AND tablename = 'id_map'")" "the SQL-looking id did nothing"

run_cb idmap import "$file1"
assert_eq "0|6 rows: 0 added, 0 changed, 6 unchanged, 0 replaced" "$RC|$OUT" \
    "importing the same file again changes nothing"

# ============================================================================
# 2. Round trip: export -> import into a fresh database -> export
# ============================================================================
# An event-learned mapping without centra_id or name travels too.
q "$DB1" "INSERT INTO centra.id_map (kind, erp_id, source) VALUES ('order', 'O-1', 'event')" \
    >/dev/null
run_cb idmap export
assert_eq 0 "$RC" "export exits 0"
export1=$OUT
assert_eq "type,centra_id,external_id,name,source,updated_at" "$(head -n 1 <<<"$export1")" \
    "the export starts with its header"
assert_contains "$export1" $'market,501,M1,"two\nlines",import,' \
    "a name with a newline is quoted"
assert_contains "$export1" 'variation,201,V-1,"The ""best"" one",import,' \
    "quotes inside a name are doubled"
assert_contains "$export1" "order,,O-1,,event," "NULL centra_id and name are empty fields"
assert_eq "customer market order pricelist product variation warehouse" \
    "$(python3 -c 'import csv,sys; print(" ".join(r[0] for r in list(csv.reader(sys.stdin))[1:]))' \
        <<<"$export1")" "rows are ordered by type"

printf '%s\n' "$export1" >"$cb_tmp/export1.csv"
migrated_db
DB2=$DB
run_cb idmap import "$cb_tmp/export1.csv"
assert_eq "0|7 rows: 7 added, 0 changed, 0 unchanged, 0 replaced" "$RC|$OUT" \
    "the export imports into a fresh database"
run_cb idmap export
export2=$OUT
assert_eq "$(strip_updated_at <<<"$export1" | sed 's/,event$/,import/')" \
    "$(strip_updated_at <<<"$export2")" \
    "exporting the second database gives the same table (source now import)"
printf '%s\n' "$export2" >"$cb_tmp/export2.csv"
run_cb idmap import "$cb_tmp/export2.csv"
assert_eq "0|7 rows: 0 added, 0 changed, 7 unchanged, 0 replaced" "$RC|$OUT" \
    "importing its own export changes nothing"

# ============================================================================
# 3. Bad rows: all named, nothing written
# ============================================================================
DB=$DB1
export DATABASE_URL
DATABASE_URL=$(db_url "$DB1")
before=$(q "$DB" "SELECT count(*), max(updated_at) FROM centra.id_map")
bad=$cb_tmp/bad.csv
printf 'type,centra_id,external_id,name\n' >"$bad"
printf 'product,1x,A,\n' >>"$bad"                 # 2: not a number
printf 'widget,2,B,\n' >>"$bad"                   # 3: unknown type
printf 'product,3,,\n' >>"$bad"                   # 4: empty external id
printf 'product,900,NEW-OK,fine\n' >>"$bad"       # 5: good
printf 'product,-1,D,\n' >>"$bad"                 # 6: negative
printf 'product,4\n' >>"$bad"                     # 7: too few fields
printf 'product,5,E\x01,\n' >>"$bad"              # 8: control character
printf 'product,6,F\xff,\n' >>"$bad"              # 9: not UTF-8
printf 'product,7,%0256d,\n' 0 >>"$bad"           # 10: 256 characters
printf 'product,8,G,\n' >>"$bad"                  # 11: good alone ...
printf 'product,9,G,\n' >>"$bad"                  # 12: ... but G gets two centra_ids
printf 'variation,10,H,\n' >>"$bad"               # 13: good alone ...
printf 'variation,10,I,\n' >>"$bad"               # 14: ... but 10 gets two external ids
printf 'product,0,J,\n' >>"$bad"                  # 15: zero
run_cb idmap import "$bad"
assert_eq 65 "$RC" "a file with bad rows exits 65"
assert_contains "$ERR" "11 bad rows in \"$bad\"; nothing was imported" \
    "the error counts the bad rows"
for expect in 'line 2, column "centra_id": "1x" is not a positive integer' \
    'line 3, column "type": unknown type "widget"' \
    'line 4, column "external_id": empty' \
    'line 6, column "centra_id": "-1" is not a positive integer' \
    'line 7: 2 fields where the header has 4' \
    'line 8, column "external_id": contains a control character' \
    'line 9, column "external_id": not valid UTF-8' \
    'line 10, column "external_id": longer than 255 characters' \
    'line 12, column "centra_id": product "G" has another centra_id on line 11' \
    'line 14, column "external_id": variation centra_id 10 has another external id on line 13' \
    'line 15, column "centra_id": "0" is not a positive integer' \
    'Accepted types: "order", "product", "variation"'; do
    assert_contains "$ERR" "$expect" "the error names: $expect"
done
assert_eq "2 3 4 6 7 8 9 10 12 14 15" "$(grep -o 'detail: line [0-9]*' <<<"$ERR" |
    awk '{print $3}' | paste -sd ' ')" "the bad rows are named in line order"
assert_not_contains "$ERR" "line 5" "the good line 5 is not named"
assert_not_contains "$ERR" "line 11," "the first row of a conflict is not named as bad"
assert_eq "$before" "$(q "$DB" "SELECT count(*), max(updated_at) FROM centra.id_map")" \
    "nothing was written, not even the good rows"

{
    echo type,centra_id,external_id
    for i in $(seq 1 25); do echo "product,x$i,A$i"; done
} >"$bad"
run_cb idmap import "$bad"
assert_contains "$RC|$ERR" "65|" "25 bad rows exit 65"
assert_eq "20|1" "$(grep -c 'detail: line' <<<"$ERR")|$(grep -c 'detail: ... and 5 more.' <<<"$ERR")" \
    "the first 20 bad rows are named, then how many more"

# Messages that say what is wrong (found in review).
printf 'type,centra_id,external_id,name\nproduct,,EMX,\nproduct,777,EMX,\nproduct,99999999999999999999,X,\nproduct,1004,SHIRT-04,Bor\xe5s\nproduct,000000000000000000000000042,LZ,\n' >"$bad"
run_cb idmap import "$bad"
assert_contains "$RC|$ERR" "65|" "rows with an empty and a given centra_id for one id exit 65"
for expect in 'line 3, column "centra_id": product "EMX" has centra_id 777 here and none on line 2' \
    'line 4, column "centra_id": "99999999999999999999" is too large for a centra_id' \
    'line 5, column "name": not valid UTF-8' \
    'hint: The file must be UTF-8: "iconv -f LATIN1 -t UTF-8" converts a Latin-1 file'; do
    assert_contains "$ERR" "$expect" "the error says: $expect"
done
assert_not_contains "$ERR" "line 6" "leading zeros are no part of the number: 00…042 is 42"
printf 'type;centra_id;external_id\nproduct;1;A\n' >"$bad"
run_cb idmap import "$bad"
assert_contains "$ERR" "this header has semicolons" "a header separated by semicolons: the hint says so"
printf 'type,centra_id,external_id\nproduct,"17"x,Q\n' >"$bad"
run_cb idmap import "$bad"
assert_contains "$RC|$ERR" "65|" "a character after a closing quote exits 65"
assert_contains "$ERR" 'hint: Write a double quote inside a quoted field twice ("")' \
    "with a hint on quoting"

run_cb idmap import "$cb_tmp/nonexistent.csv"
assert_eq 66 "$RC" "a missing file exits 66"
assert_contains "$ERR" "could not open \"$cb_tmp/nonexistent.csv\": No such file or directory" \
    "and says so"
printf 'type,centra_id,external_id\n"product,1,A\n' >"$bad"
run_cb idmap import "$bad"
assert_eq "65" "$RC" "an unterminated quote exits 65"
assert_contains "$ERR" "\"$bad\": unterminated quoted field starting on line 2" \
    "naming the line of the opening quote"
printf 'type,external_id,name\nproduct,A,\n' >"$bad"
run_cb idmap import "$bad"
assert_eq "65" "$RC" "a header without centra_id exits 65"
assert_contains "$ERR" "the header of \"$bad\" has no column \"centra_id\"" "and names the column"
printf 'type,Kind,centra_id,external_id\nproduct,product,1,A\n' >"$bad"
run_cb idmap import "$bad"
assert_contains "$RC|$ERR" "65|" "a header naming a column twice exits 65"
assert_contains "$ERR" "names column \"type\" twice (as \"type\" and \"Kind\")" "and says which"
printf ' type ,Kind ,centra_id,external_id\nproduct,product,1,A\n' >"$bad"
run_cb idmap import "$bad"
assert_contains "$ERR" "names column \"type\" twice (as \"type\" and \"Kind\")" \
    "header names are quoted without the spaces around them"
printf 'kind , centra id ,external_id\nwidget,1,A\n' >"$bad"
run_cb idmap import "$bad"
assert_contains "$RC|$ERR" "65|" "a row with an unknown type exits 65"
assert_contains "$ERR" "line 2, column \"kind\": " "naming the column as its header has it, trimmed"
: >"$bad"
run_cb idmap import "$bad"
assert_contains "$RC|$ERR" "65|" "an empty file exits 65"
assert_contains "$ERR" "is empty: a header line is expected" "and says a header is expected"

# ============================================================================
# 4. --dry-run, a Centra id that moved, swapped ids, empty centra_id, stdin
# ============================================================================
moved=$cb_tmp/moved.csv
printf 'External ID,Extra,Kind,Internal ID\nP-2,x,product,101\nP-3,y,product,102\n' >"$moved"
run_cb idmap import --dry-run "$moved"
assert_eq "0|2 rows: 2 added, 0 changed, 0 unchanged, 1 replaced (dry run: nothing written)" \
    "$RC|$OUT" "--dry-run reports the changes (columns by header name, any order)"
assert_eq "P-1|101|" "$(q "$DB" "SELECT string_agg(erp_id || '|' || centra_id, ',') || '|'
    FROM centra.id_map WHERE kind = 'product'")" "--dry-run writes nothing"
# glibc kept the "+" of the global options' parse: --dry-run after the file was refused as an
# argument (found in a CLI audit).
run_cb idmap import "$moved" --dry-run
assert_eq "0|2 rows: 2 added, 0 changed, 0 unchanged, 1 replaced (dry run: nothing written)" \
    "$RC|$OUT" "--dry-run after the file, as idmap --help allows"
assert_eq "P-1|101|" "$(q "$DB" "SELECT string_agg(erp_id || '|' || centra_id, ',') || '|'
    FROM centra.id_map WHERE kind = 'product'")" "--dry-run after the file writes nothing either"
run_cb idmap import "$moved"
assert_eq "0|2 rows: 2 added, 0 changed, 0 unchanged, 1 replaced" "$RC|$OUT" \
    "centra_id 101 moves from P-1 to P-2: one mapping replaced"
assert_eq "P-2|101|import,P-3|102|import" "$(q "$DB" "SELECT string_agg(erp_id || '|' ||
    centra_id || '|' || source, ',' ORDER BY erp_id) FROM centra.id_map WHERE kind = 'product'")" \
    "P-1 is gone, P-2 holds 101"

printf 'type,centra_id,external_id\nproduct,102,P-2\nproduct,101,P-3\n' |
    "$CB_BIN" idmap import - >"$cb_tmp/out" 2>"$cb_tmp/err"
assert_eq "0|2 rows: 0 added, 2 changed, 0 unchanged, 0 replaced" "$?|$(cat "$cb_tmp/out")" \
    "two external ids swap their Centra ids (read from stdin \"-\")"
assert_eq "P-2|102,P-3|101" "$(q "$DB" "SELECT string_agg(erp_id || '|' || centra_id, ','
    ORDER BY erp_id) FROM centra.id_map WHERE kind = 'product'")" "the swap is stored"

q "$DB" "UPDATE centra.id_map SET name = 'Old name' WHERE kind = 'product' AND erp_id = 'P-2'" \
    >/dev/null
printf 'type,centra_id,external_id,name\nproduct,,P-2,\nproduct,,P-9,\nproduct,103,P-2,\n' \
    >"$moved"
run_cb idmap import "$moved"
assert_eq 65 "$RC" "an empty and a given centra_id for one external id conflict"
printf 'type,centra_id,external_id,name\nproduct,,P-2,\nproduct,,P-9,\nproduct,,P-9,\n' >"$moved"
run_cb idmap import "$moved"
assert_eq "0|3 rows: 1 added, 0 changed, 1 unchanged, 0 replaced; 1 repeated" "$RC|$OUT" \
    "an empty centra_id is accepted; a repeated row counts once"
assert_eq "P-2|102|Old name|import,P-3|101||import,P-9|||import" "$(q "$DB" "SELECT string_agg(erp_id || '|' ||
    coalesce(centra_id::text, '') || '|' || coalesce(name, '') || '|' || source, ','
    ORDER BY erp_id) FROM centra.id_map WHERE kind = 'product'")" \
    "an empty centra_id or name keeps the current one"

# ============================================================================
# 5. Export filters and usage errors
# ============================================================================
run_cb idmap export --kind Products --kind variant --source import
assert_eq "0|type,centra_id,external_id,name,source
product,102,P-2,Old name,import
product,101,P-3,,import
product,,P-9,,import
variation,201,V-1,\"The \"\"best\"\" one\",import" \
    "$RC|$(strip_updated_at <<<"$OUT")" "--kind (admin names too) and --source filter the export"
run_cb idmap export --source event
assert_eq "0|type,centra_id,external_id,name,source
order,,O-1,,event" "$RC|$(strip_updated_at <<<"$OUT")" "--source event"

run_cb idmap
assert_eq 64 "$RC" "idmap without a subcommand is a usage error"
run_cb idmap frob
assert_contains "$RC|$ERR" "64|" "an unknown subcommand exits 64"
assert_contains "$ERR" 'unknown subcommand "frob": say import or export' "and says so"
run_cb idmap import
assert_contains "$RC|$ERR" '64|' "import without a file exits 64"
run_cb idmap import a.csv b.csv
assert_contains "$RC|$ERR" 'unexpected argument "b.csv"' "import takes one file"
run_cb idmap export --kind widget
assert_contains "$RC|$ERR" '64|' "export --kind of an unknown type exits 64"
assert_contains "$ERR" 'unknown --kind "widget"' "naming the type"
run_cb idmap export --source nope
assert_eq "64|" "$RC|$OUT" "export --source of an unknown source exits 64, exporting nothing"
assert_contains "$ERR" 'unknown --source "nope"' "naming it"
run_cb idmap export --source Event
assert_eq "0|order,,O-1,,event" "$RC|$(strip_updated_at <<<"$OUT" | tail -n 1)" "--source is read in any case, as --kind is"
run_cb idmap --help
assert_contains "$RC|$OUT" "0|Usage: centra-bridge [OPTION]... idmap import [--dry-run] FILE.csv|-" \
    "idmap --help prints the usage"
run_cb idmap import --help
assert_contains "$RC|$OUT" "0|Usage:" "idmap import --help too"

# ============================================================================
# 6. Events after an import: Centra's word, and where the pair came from
# ============================================================================
migrated_db
printf 'type,centra_id,external_id\norder,99,30\norder,30,OTHER\nproduct,7,T001\n' >"$cb_tmp/before.csv"
run_cb idmap import "$cb_tmp/before.csv"
assert_eq 0 "$RC" "(a file gives order 30 the number 99, and number 30 to order OTHER)"
run_cb load "$CB_SOURCE_DIR/tests/fixtures/guide/dtc_order_event.xml"
assert_eq "order|30|30|event product|T001|7|import" \
    "$(q "$DB" "SELECT string_agg(concat_ws('|', kind, erp_id, centra_id, source), ' ' ORDER BY kind, erp_id)
        FROM centra.id_map WHERE kind IN ('order', 'product') AND erp_id IN ('30', 'OTHER', 'T001')")" \
    "the guide's order 30 (number 30): its pair is the event's, source event; OTHER lost number 30; the product's pair, which the event does not change, stays the file's"

finish
