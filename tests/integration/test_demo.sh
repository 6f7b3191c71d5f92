#!/usr/bin/env bash
# tests/integration/test_demo.sh
#     "centra-bridge demo" on a clean tree: it creates its own cluster and
#     centra-sim (no shared cluster needed), completes with a summary and
#     example queries, ignores the caller's CENTRA_*, DATABASE_URL and PG*
#     settings and --config (even invalid ones), and leaves nothing behind; with --keep both stay up and the
#     printed instructions connect to them and then remove them.
source "$(dirname "$0")/lib.sh"

# As root the demo's cluster runs as "postgres", which must pass through
# the test's private directory to reach a --dir inside it.
[[ $(id -u) -eq 0 ]] && chmod 711 "$cb_tmp"

# demo ARG...: run the demo (at most 180 s), with the global options in the array
# globals before it; sets RC, OUT, ERR.
globals=()
demo() {
    timeout -k 5 180 "$CB_BIN" "${globals[@]}" demo "$@" </dev/null >"$cb_tmp/out" 2>"$cb_tmp/err"
    RC=$?
    OUT=$(cat "$cb_tmp/out")
    ERR=$(cat "$cb_tmp/err")
}

# sim_answers URL: whether a centra-sim answers its admin API at the SOAP URL's host.
sim_answers() {
    [[ $1 =~ ^(http://[^/]+)/ ]] && curl -sf -m 5 "${BASH_REMATCH[1]}/_sim/state" |
        grep -q '"queue_length"'
}

# --- a whole demo, with a hostile environment --------------------------------
# PGSSLMODE=require would fail the demo's own connection (its cluster has no SSL);
# CENTRA_DB_RETRIES=-1 and the missing --config file would stop any other command (78).
globals=(--config "$cb_tmp/missing.conf")
CENTRA_URL=http://127.0.0.1:1/nowhere CENTRA_PASSWORD=wrong PGHOST=/nonexistent PGPORT=1 \
    PGSSLMODE=require CENTRA_DB_RETRIES=-1 \
    DATABASE_URL=postgresql://nobody@127.0.0.1:1/nothing demo --orders 20
globals=()
assert_eq 0 "$RC" \
    "demo --orders 20 exits 0 (the caller's CENTRA_*, DATABASE_URL, PG*, --config ignored)"
[[ $RC -eq 0 ]] || echo "$OUT"$'\n'"$ERR" | sed 's/^/# /'
dir=$(sed -n 's/^centra-bridge demo: PostgreSQL and centra-sim in \(.*\) (the logs too)$/\1/p' <<<"$OUT")
sim_url=$(sed -n 's/^ *CENTRA_URL=//p' <<<"$OUT")
[[ -n $dir && -n $sim_url ]]
cb_report $? "the demo names its directory and centra-sim's URL" "$OUT"
for step in 1 2 3 4 5 6 7; do
    assert_contains "$OUT" "[$step/7] " "step $step of 7 is shown"
done
assert_contains "$OUT" "running centra-bridge migrate ... done" "migrate runs as a command"
assert_contains "$OUT" "running centra-bridge sync ... done" "sync runs as a command"
[[ $OUT =~ orders:\ +([0-9]+)\ \( && ${BASH_REMATCH[1]} -gt 0 ]]
cb_report $? "the summary shows imported orders" "$OUT"
[[ $OUT =~ outbox\ messages:\ +[1-9][0-9]*\ sent ]]
cb_report $? "the summary shows sent outbox messages" "$OUT"
assert_contains "$OUT" "shipment_updates: create shipment demo-" "an order is shipped"
assert_contains "$OUT" "confirm and lock wholesale order" "a wholesale order is confirmed"
assert_contains "$OUT" "centra-sim received 2 orders_Update and 1 products_Update requests" \
    "centra-sim received the exported rows"
assert_contains "$OUT" "FROM centra_outbox.messages ORDER BY id;" "an example query is printed"
[[ $OUT =~ \|\ UPS\ +\|\ 1ZDEMO[0-9]+ ]]
cb_report $? "its result shows the demo's shipment back from Centra with tracking" "$OUT"
[[ $OUT =~ \([0-9]+\ rows\) ]]
cb_report $? "example results end with a row count" "$OUT"
[[ $OUT != *$'\e'* && $OUT != *$'\r'* ]]
cb_report $? "no control characters when stdout is not a terminal"
[[ $(wc -l <<<"$OUT") -le 90 && $(awk '{ if (length > 100) n++ } END { print n + 0 }' \
    <<<"$OUT") -eq 0 ]]
cb_report $? "the output fits a screen: at most 90 lines of at most 100 columns" \
    "$(wc -l <<<"$OUT") lines"
assert_not_contains "$OUT$ERR" "wrong" "the caller's password is never shown"

# Nothing is left behind.
[[ -n $dir && ! -e $dir ]]
cb_report $? "the demo directory is removed" "$dir"
! pgrep -f -- "-D $dir/pg/data" >/dev/null
cb_report $? "no PostgreSQL server runs on the demo directory"
! sim_answers "$sim_url"
cb_report $? "centra-sim is gone" "$sim_url"

# --- --keep --dir: both stay up; the printed instructions work ---------------
keep=$cb_tmp/keep
demo --orders 20 --keep --dir "$keep"
assert_eq 0 "$RC" "demo --keep --dir exits 0"
[[ $RC -eq 0 ]] || echo "$OUT"$'\n'"$ERR" | sed 's/^/# /'
db_url=$(sed -n 's/^  psql "\(.*\)"$/\1/p' <<<"$OUT")
socket_cmd=$(sed -n 's/^  \(psql -h .*\)$/\1/p' <<<"$OUT")
keep_url=$(sed -n 's/^  export CENTRA_URL=//p' <<<"$OUT")
assert_contains "$OUT" "export CENTRA_USERNAME=centra-sim CENTRA_PASSWORD=centra-sim CENTRA_TIMEZONE=Etc/GMT-1" \
    "--keep prints how to point centra-bridge at centra-sim, in the simulator's time zone"
assert_eq "t" "$(psql -X -At -d "$db_url" -c "SELECT e.event_date = o.created_at FROM centra.events e
    JOIN centra.orders o ON o.order_id = e.entry WHERE e.event_id = 1" 2>&1)" \
    "the demo reads the simulator's dates in its zone: the first event is dated when its order was created"
n=$(psql -X -At -d "$db_url" -c "SELECT count(*) FROM centra.orders" 2>&1)
[[ $n =~ ^[1-9][0-9]*$ ]]
cb_report $? "the kept cluster answers psql at the printed URL, with the orders" "$db_url: $n"
n=$(env -u PGHOST -u PGPORT $socket_cmd -X -At -c "SELECT count(*) FROM centra_outbox.messages" 2>&1)
[[ $n =~ ^[1-9][0-9]*$ ]]
cb_report $? "and at the printed socket" "$socket_cmd: $n"
sim_answers "$keep_url"
cb_report $? "the kept centra-sim answers at the printed URL" "$keep_url"
[[ -f $keep/3-migrate.log && -f $keep/pg/server.log ]]
cb_report $? "the logs are in --dir" "$(ls "$keep")"
stop=$(sed -n '/^Stop both and remove everything:$/,$ s/^  //p' <<<"$OUT")
[[ $(wc -l <<<"$stop") -eq 3 ]]
cb_report $? "three commands stop both and remove the directory" "$stop"
while IFS= read -r cmd; do
    bash -c "$cmd" >/dev/null 2>&1
    cb_report $? "the printed command works: $cmd"
done <<<"$stop"
[[ ! -e $keep ]]
cb_report $? "then the directory is gone"
! pgrep -f -- "-D $keep/pg/data" >/dev/null
cb_report $? "and the server is stopped"
! sim_answers "$keep_url"
cb_report $? "and centra-sim is gone"

# --- usage -----------------------------------------------------------------------
run_cb demo --bogus
assert_eq 64 "$RC" "an unknown option exits 64"
assert_contains "$ERR" "--bogus" "and names the option"
mkdir -p "$cb_tmp/full" && touch "$cb_tmp/full/x"
run_cb demo --dir "$cb_tmp/full"
assert_eq "64|yes" "$RC|$([[ -e $cb_tmp/full/x ]] && echo yes)" \
    "a --dir that is not empty is refused and left alone"
run_cb demo --orders 0
assert_eq 64 "$RC" "--orders 0 is refused"
run_cb demo --help
assert_contains "$RC $OUT" "0 Usage: centra-bridge demo" "demo --help shows the usage"
assert_contains "$OUT" "Exit status:" "and the exit status"

finish
