#!/usr/bin/env bash
# tests/integration/test_export.sh
#     "centra-bridge export" and "centra-bridge outbox" end to end against
#     centra-sim and the throwaway cluster: the exact XML Centra receives,
#     batching, a refused batch split until the bad message stands alone,
#     order per entity_key (a failed message blocks its key only, retry and
#     cancel unblock it), two exporters at once and --jobs, a claim's reads after a
#     burst the statistics do not know of, transient failures with
#     retries and backoff, a refused login, a crash mid-send and the lease
#     (renewed through a request retried for longer than it),
#     --follow woken by NOTIFY and stopped by SIGTERM, usage errors.
source "$(dirname "$0")/simlib.sh"

# sim_lists OP: the list element (<markets>...</markets> etc.) of every
# OP request centra-sim received, one request per line, oldest first.
sim_lists() {
    curl -s "$SIM_BASE/_sim/requests?op=$1" | python3 -c '
import json, re, sys
for r in json.load(sys.stdin):
    m = re.search(r"<login>.*?</login>(.*)</" + sys.argv[1] + r">", r["body"], re.S)
    print(m.group(1).strip() if m else "NO LIST: " + r["body"][:200])' "$1"
}

# enqueue DB OPERATION KEY PAYLOAD: insert one message, print its id.
enqueue() {
    q "$1" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
        VALUES ('$2', '$3', '$4') RETURNING id"
}

# market N [KEY]: a markets_Update payload for market MN.
market() {
    printf '{"id":"M%s","store":"1","type":"retail","description":"Market %s"}' "$1" "$1"
}

# ============================================================================
# 1. One message: the exact XML, the answer recorded
# ============================================================================
start_sim --orders 10 || finish
fresh_db
id=$(enqueue "$DB" markets_Update market:SE \
    '{"id":"SE","store":"1","type":"retail","description":"Sweden & <Norway> \"Å\"","extra":null,"flags":[1,2.50],"nested":{"a":true}}')
cb export --once
assert_eq 0 "$RC" "export --once of one message exits 0"
assert_eq '<markets><market><id>SE</id><store>1</store><type>retail</type><description>Sweden &amp; &lt;Norway&gt; &quot;Å&quot;</description><extra/><flags>1</flags><flags>2.50</flags><nested><a>true</a></nested></market></markets>' \
    "$(sim_lists markets_Update)" \
    "Centra receives the payload as elements in key order, escaped, arrays repeated, null empty"
assert_eq "sent|1|t|||" "$(q "$DB" "SELECT status, attempts, sent_at IS NOT NULL, last_error, errors,
    locked_by FROM centra_outbox.messages WHERE id = $id")" \
    "the message is sent: attempts 1, sent_at set, no error, no lock"
req=$(q "$DB" "SELECT request_xml FROM centra_outbox.messages WHERE id = $id")
assert_contains "$req" "<markets><market><id>SE</id>" "the request is kept on the message"
assert_contains "$req" "<password>********</password>" "with the password masked"
assert_not_contains "$req" "centra-sim</password>" "the password itself is not in it"
assert_eq "export|success|0|1|0|1" "$(q "$DB" "SELECT command, outcome, exit_code, messages_sent,
    messages_failed, batches FROM centra.runs ORDER BY run_id DESC LIMIT 1")" \
    "the run is recorded: 1 message sent in 1 request"
cb export --once
assert_eq "0|1" "$RC|$(sim_lists markets_Update | wc -l)" "a second export sends nothing again"

# A size notice is kept on the message.
id=$(enqueue "$DB" sizes_Update size:XS/TST \
    '{"id":"XS","description":"Extra small","sizetable":{"id":"TST","description":"Test sizes"}}')
cb export --once
assert_eq "0|sent" "$RC|$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $id")" \
    "a sizes_Update is sent"
assert_contains "$(q "$DB" "SELECT array_to_string(notices, '|') FROM centra_outbox.messages WHERE id = $id")" \
    "Added new size" "Centra's notice is kept on the message"

# ============================================================================
# 2. Batching and splitting a refused batch
# ============================================================================
fresh_db
q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
    SELECT 'markets_Update', 'market:M' || g,
           json_build_object('id', 'M' || g, 'store', '1', 'type', 'retail', 'description', 'Market ' || g)
    FROM generate_series(1, 250) g" >/dev/null
before=$(sim_lists markets_Update | wc -l)
CENTRA_EXPORT_BATCH_SIZE=100 cb export --once
assert_eq "0|250|3" "$RC|$(q "$DB" "SELECT count(*) FROM centra_outbox.messages WHERE status = 'sent'")|$(($(sim_lists markets_Update | wc -l) - before))" \
    "250 messages go in 3 requests of at most 100"

fresh_db
# Ten stock updates for products of the simulator's catalog, one of them for a product that does not exist.
bad=0
for i in $(seq 1 10); do
    product=$([[ $i -eq 7 ]] && echo NOPE || echo T001)
    m=$(enqueue "$DB" products_Update "stock:$i" \
        "{\"id\":\"$product\",\"variations\":{\"variation\":{\"id\":\"T001_RED\",\"sizes\":{\"size\":{\"id\":\"S\",\"warehouseitems\":{\"warehouse\":{\"id\":\"MainWarehouse\",\"qty\":\"$i\"}}}}}}}")
    [[ $i -eq 7 ]] && bad=$m
done
before=$(sim_lists products_Update | wc -l)
cb export --once
assert_eq 1 "$RC" "a batch with one refused message: export exits 1"
assert_eq "9|failed" "$(q "$DB" "SELECT count(*) FILTER (WHERE status = 'sent'),
    (SELECT status FROM centra_outbox.messages WHERE id = $bad) FROM centra_outbox.messages")" \
    "the 9 good messages are sent, the bad one alone failed"
assert_contains "$(q "$DB" "SELECT array_to_string(errors, '|') || ' / ' || last_error FROM centra_outbox.messages WHERE id = $bad")" \
    "NOPE" "Centra's error is kept in errors and last_error"
requests=$(($(sim_lists products_Update | wc -l) - before))
[[ $requests -ge 3 && $requests -le 9 ]]
cb_report $? "splitting found it in $requests requests (1 refused batch, then halves)"
assert_contains "$ERR" "1 message failed" "the run says a message failed"
assert_eq "partial|1|9|1" "$(q "$DB" "SELECT outcome, exit_code, messages_sent, messages_failed
    FROM centra.runs ORDER BY run_id DESC LIMIT 1")" "the run is recorded as partial"

# Centra's notices are the request's: each message keeps those that name one
# of its ids, and those that name no message of the request (found in review:
# every message of a batch kept all of them, 10,000 strings for 100 new warehouses).
fresh_db
for w in WH-N1 WH-N2 WH-N10; do
    q "$DB" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id, qty)
        VALUES ('T001', 'T001_RED', 'S', '$w', 1)" >/dev/null
done
q "$DB" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id, qty)
    VALUES ('T001', 'T001_RED', 'M', 'MainWarehouse', 2)" >/dev/null
cb export --once
assert_eq "0|WH-N1:Created new warehouse: WH-N1
WH-N2:Created new warehouse: WH-N2
WH-N10:Created new warehouse: WH-N10
MainWarehouse:" "$RC|$(q "$DB" "SELECT split_part(entity_key, '/', 4) || ':' || coalesce(array_to_string(notices, '|'), '')
    FROM centra_outbox.messages ORDER BY id")" \
    "one request; each message keeps the notice that names its warehouse (WH-N1 not WH-N10's), the fourth none"
fresh_db
for w in WH-Q1 WH-Q2; do # keys that name no id: each notice is about the whole request
    enqueue "$DB" products_Update "erp-batch-$w" "{\"id\":\"T001\",\"variations\":{\"variation\":{\"id\":\"T001_RED\",\"sizes\":{\"size\":{\"id\":\"S\",\"warehouseitems\":{\"warehouse\":{\"id\":\"$w\",\"qty\":\"1\"}}}}}}}" >/dev/null
done
cb export --once
assert_eq "0|2" "$RC|$(q "$DB" "SELECT count(*) FROM centra_outbox.messages WHERE notices =
    '{\"Created new warehouse: WH-Q1\",\"Created new warehouse: WH-Q2\"}'")" \
    "notices that name no message of the request are kept by every message of it"

# A refusal's notices are kept with its errors (found in review: they were
# dropped when success was false).
fresh_db
curl -s -X POST "$SIM_BASE/_sim/faults?kind=refuse&count=100&op=markets_Update" >/dev/null
id=$(enqueue "$DB" markets_Update m:1 "$(market 1)")
cb export --once
assert_eq "1|failed|markets_Update refused (simulated)|Nothing was applied" "$RC|$(q "$DB" "SELECT status,
    array_to_string(errors, '|'), array_to_string(notices, '|') FROM centra_outbox.messages WHERE id = $id")" \
    "a refused message keeps Centra's errors and its notices"
curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null

# SIGTERM while a refused batch is split: the run stops after the request in
# flight, not after the halves (found in review: 198 s to stop), and the
# batch's messages go back to pending, Centra having applied none of them.
fresh_db
curl -s -X POST "$SIM_BASE/_sim/faults?kind=refuse&count=100&op=markets_Update" >/dev/null
curl -s -X POST "$SIM_BASE/_sim/faults?kind=delay&count=100&ms=700&op=markets_Update" >/dev/null
for i in $(seq 1 16); do enqueue "$DB" markets_Update "m:$i" "$(market "$i")" >/dev/null; done
CENTRA_EXPORT_BATCH_SIZE=16 "$CB_BIN" export --once >/dev/null 2>"$cb_tmp/bisect.err" &
pid=$!
bg_pids+=("$pid")
sleep 1 # the first request (700 ms) refused; the first half in flight
kill -TERM "$pid"
wait_for 3 "! kill -0 $pid 2>/dev/null"
cb_report $? "export stops within 3 s of SIGTERM in the middle of splitting a refused batch"
wait "$pid"
assert_eq "0|16" "$?|$(q "$DB" "SELECT count(*) FROM centra_outbox.messages WHERE status IN ('pending', 'failed')
    AND locked_by IS NULL")" "exit 0, and the 16 messages are pending or failed, none held"
assert_contains "$(cat "$cb_tmp/bisect.err")" "stopping (signal 15) before sending it in halves" \
    "saying it stopped before the halves"
curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null

# Errors in an answer that says success: applied, sent, and each message of
# the request keeps them (found in review: they were dropped).
fresh_db
curl -s -X POST "$SIM_BASE/_sim/faults?kind=accepted_errors&op=markets_Update" >/dev/null
id=$(enqueue "$DB" markets_Update m:1 "$(market 1)")
id2=$(enqueue "$DB" markets_Update m:2 "$(market 2)")
cb export --once
assert_eq "0|sent|markets_Update: simulated error in an accepted request|sent|markets_Update: simulated error in an accepted request" \
    "$RC|$(q "$DB" "SELECT string_agg(status || '|' || array_to_string(errors, '|'), '|' ORDER BY id)
    FROM centra_outbox.messages WHERE id IN ($id, $id2)")" \
    "errors Centra gives with success are kept on every message of the request, which is sent"
assert_contains "$ERR" "Centra accepted 2 messages (from $id) but gave 1 error with them" \
    "and the log says so"

# ============================================================================
# 3. Order per entity_key; a failed message blocks its key only
# ============================================================================
fresh_db
bad=$(enqueue "$DB" products_Update key:A '{"id":"NOPE","variations":{"variation":{"id":"X","sizes":{"size":{"id":"S","warehouseitems":{"warehouse":{"id":"MainWarehouse","qty":"1"}}}}}}}')
after=$(enqueue "$DB" markets_Update key:A "$(market 1)")
other=$(enqueue "$DB" markets_Update key:B "$(market 2)")
cb export --once
assert_eq "1|failed|pending|sent" "$RC|$(q "$DB" "SELECT string_agg(status, '|' ORDER BY id) FROM centra_outbox.messages")" \
    "key A: the failed message holds back the next; key B flows"
cb outbox list --blocked
assert_eq 0 "$RC" "outbox list --blocked exits 0"
grep -Eq "^ +$bad +\| products_Update +\| key:A +\|" <<<"$OUT"
cb_report $? "it lists the blocking message" "$OUT"
assert_contains "$OUT" "(1 row)" "and only it"
[[ $(grep -E "^ +$bad " <<<"$OUT" | awk -F'|' '{gsub(/ /, "", $6); print $6}') == 1 ]]
cb_report $? "with 1 message waiting behind it" "$OUT"
# Its error on one line: line breaks become a space, spaces that are the point stay.
q "$DB" "UPDATE centra_outbox.messages SET last_error = E'Product  PWC does not exist\n\tsecond line'
    WHERE id = $bad" >/dev/null
cb outbox list --blocked
assert_contains "$OUT" "| Product  PWC does not exist second line" \
    "last_error on one line, its two spaces kept (they say the id begins with a space)"
cb outbox list
grep -Eq "^ +$after +\| markets_Update +\| key:A +\| pending " <<<"$OUT"
cb_report $? "outbox list shows the waiting message" "$OUT"
long_key=key:$(printf 'k%.0s' $(seq 1 1900))
long=$(enqueue "$DB" markets_Update "$long_key" "$(market 3)")
cb outbox list
assert_contains "$OUT" "| key:$(printf 'k%.0s' $(seq 1 73))... |" \
    "a key of 1900 characters is shown cut to 80, so rows stay readable"
q "$DB" "DELETE FROM centra_outbox.messages WHERE id = $long" >/dev/null
cb outbox cancel "$after"
assert_eq "0|message $after cancelled" "$RC|$OUT" "outbox cancel of a pending message"
cb outbox cancel "$other"
assert_eq 64 "$RC" "a sent message cannot be cancelled (64)"
assert_contains "$ERR" "is sent: it cannot be cancelled" "and says why"
cb outbox cancel 999999
assert_contains "$RC $ERR" "64" "cancel of an unknown id exits 64"
assert_contains "$ERR" "there is no outbox message 999999" "and says so"
cb outbox retry 18446744073709551617
assert_eq '64|centra-bridge: error: invalid message id "18446744073709551617"' "$RC|$(head -n 1 <<<"$ERR")" \
    "an id beyond bigint is an invalid id (not read as 9223372036854775807)"
cb outbox retry "$other"
assert_eq 64 "$RC" "retry of a message that is not failed exits 64"
after2=$(enqueue "$DB" markets_Update key:A "$(market 3)")
q "$DB" "UPDATE centra_outbox.messages SET payload = '{\"id\":\"T001\",\"variations\":{\"variation\":{\"id\":\"T001_RED\",\"sizes\":{\"size\":{\"id\":\"S\",\"warehouseitems\":{\"warehouse\":{\"id\":\"MainWarehouse\",\"qty\":\"5\"}}}}}}}'
    WHERE id = $bad" >/dev/null
cb outbox retry "$bad"
assert_eq "0|1 message queued again" "$RC|$OUT" "outbox retry ID of the failed message (its payload fixed)"
cb export --once
assert_eq "0|sent|cancelled|sent|sent" "$RC|$(q "$DB" "SELECT string_agg(status, '|' ORDER BY id) FROM centra_outbox.messages")" \
    "after the retry the key flows: the retried message, then the next one"
[[ $(q "$DB" "SELECT (SELECT sent_at FROM centra_outbox.messages WHERE id = $bad) <
    (SELECT sent_at FROM centra_outbox.messages WHERE id = $after2)") == t ]]
cb_report $? "in id order"

# ============================================================================
# 4. Two exporters at once: every message once, in order per key
# ============================================================================
# fresh_sequences: a new simulator and database with 400 markets messages over
# 20 keys (market K<key>, description "seq <n>", n increasing per key).
fresh_sequences() {
    stop_sim
    start_sim --orders 0 || finish
    fresh_db
    q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
        SELECT 'markets_Update', 'k' || (g % 20), json_build_object('id', 'K' || (g % 20),
            'store', '1', 'type', 'retail', 'description', 'seq ' || g)
        FROM generate_series(1, 400) g ORDER BY g" >/dev/null
}
fresh_sequences
CENTRA_EXPORT_BATCH_SIZE=7 timeout 60 "$CB_BIN" -q export --once 2>"$cb_tmp/e1" &
p1=$!
CENTRA_EXPORT_BATCH_SIZE=7 timeout 60 "$CB_BIN" -q export --once 2>"$cb_tmp/e2" &
p2=$!
wait $p1
rc1=$?
wait $p2
rc2=$?
cb export --once # whatever one exporter left for the other to find later
assert_eq "0|0|0|400" "$rc1|$rc2|$RC|$(q "$DB" "SELECT count(*) FROM centra_outbox.messages WHERE status = 'sent'")" \
    "two exporters at once send all 400 messages"
# received_in_order WHAT: the markets "K<key>" with descriptions "seq <n>" that
# Centra received came in increasing n per key, each once (400 in all).
received_in_order() {
    sim_lists markets_Update | python3 -c '
import re, sys
seen = {}
count = 0
ok = True
for line in sys.stdin:
    for key, seq in re.findall(r"<id>K(\d+)</id>.*?<description>seq (\d+)</description>", line):
        count += 1
        if int(seq) <= seen.get(key, 0):
            ok = False
            print("key", key, "seq", seq, "after", seen[key])
        seen[key] = int(seq)
print(count)
sys.exit(0 if ok else 1)' >"$cb_tmp/order.out"
    cb_report $? "$1: Centra received each key's messages in id order" "$(cat "$cb_tmp/order.out")"
    assert_eq 400 "$(tail -n 1 "$cb_tmp/order.out")" "$1: and each message exactly once"
}
received_in_order "two exporters"

# ============================================================================
# 4c. export --jobs: exporters as child processes of one command
# ============================================================================
# The same 400 messages over 20 keys, and one that Centra refuses: three jobs
# share them out, keep the order per key, and the command exits with the
# worst of their codes (1: a message failed).
fresh_sequences
bad=$(enqueue "$DB" products_Update key:bad '{"id":"NOPE","variations":{"variation":{"id":"X","sizes":{"size":{"id":"S","warehouseitems":{"warehouse":{"id":"MainWarehouse","qty":"1"}}}}}}}')
CENTRA_EXPORT_BATCH_SIZE=7 cb export --once --jobs 3
assert_eq "1|400|failed" "$RC|$(q "$DB" "SELECT count(*) FROM centra_outbox.messages WHERE status = 'sent'")|$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $bad")" \
    "export --once --jobs 3 sends all 400 messages and exits 1 for the refused one"
received_in_order "--jobs 3"
assert_eq "3|3|3|400|1" "$(q "$DB" "SELECT count(*), count(DISTINCT pid), count(DISTINCT log_id),
    sum(messages_sent), sum(messages_failed) FROM centra.runs WHERE command = 'export'")" \
    "each job is a process of its own with its own run (run id, pid, counts)"
assert_contains "$ERR" "message $bad (products_Update, key:bad) failed" "the job that met it says why"

# A refused login: every job exits 77, and so does the command.
enqueue "$DB" markets_Update m:jobs "$(market 9)" >/dev/null
CENTRA_PASSWORD=wrong cb export --once --jobs 2
assert_eq 77 "$RC" "export --jobs 2 with a refused login exits 77"
assert_not_contains "$ERR" "wrong" "and the password appears in no job's message"

# --follow: SIGTERM to the command reaches every job; all exit, the command 0.
# start_jobs N: export --follow --jobs N in the background; sets pid and
# children (once all N run; their pids join bg_pids, for the cleanup).
start_jobs() {
    CENTRA_POLL_INTERVAL=1h "$CB_BIN" -q export --follow --jobs "$1" 2>"$cb_tmp/jobs.err" &
    pid=$!
    bg_pids+=("$pid")
    wait_for 10 "[[ \$(pgrep -c -P $pid) == $1 ]]"
    cb_report $? "export --follow --jobs $1 runs $1 exporter processes" "$(pgrep -a -P "$pid")"
    children=$(pgrep -P "$pid" | tr '\n' ' ')
    # shellcheck disable=SC2206
    bg_pids+=($children)
}
# ended PID SECS: wait up to SECS for PID to exit; sets RC to its exit code.
ended() {
    wait_for "$2" "! kill -0 $1 2>/dev/null"
    cb_report $? "export --jobs ends within $2 s"
    wait "$1"
    RC=$?
}
start_jobs 2
jobs_sent() { [[ $(q "$DB" "SELECT status FROM centra_outbox.messages WHERE entity_key = 'm:jobs'") == sent ]]; }
wait_for 10 jobs_sent
cb_report $? "they send what is waiting"
kill -TERM "$pid"
ended "$pid" 20
assert_eq 0 "$RC" "SIGTERM stops export --follow --jobs 2 with exit 0"
# shellcheck disable=SC2086
! kill -0 $children 2>/dev/null
cb_report $? "and no exporter process outlives it" "$children"
assert_eq "success|true,success|true" "$(q "$DB" "SELECT string_agg(outcome || '|' || (finished_at IS NOT NULL), ',')
    FROM (SELECT * FROM centra.runs WHERE command = 'export' ORDER BY run_id DESC LIMIT 2) r")" \
    "both jobs recorded the end of their run as a success"
# A job killed outright: --follow runs all jobs or none, so the command stops
# the others, says which job died and how, and exits 70.
start_jobs 3
kill -KILL "${children%% *}"
ended "$pid" 20
assert_eq 70 "$RC" "a job killed by SIGKILL makes export --follow --jobs 3 stop and exit 70"
assert_contains "$(cat "$cb_tmp/jobs.err")" "was killed by signal 9" "and the command says which job and how"
# shellcheck disable=SC2086
! kill -0 $children 2>/dev/null
cb_report $? "the other jobs were stopped" "$children"

# ============================================================================
# 4b. A burst the statistics do not know of: each claim reads what it takes
# ============================================================================
# The table is analyzed while every message is sent, autovacuum kept away,
# then 10,000 new messages arrive: the planner believes none is open.  The
# exporter claims 100 at a time (batch size 10).  A claim that reads every
# open message (as the planner chose before) read about 50 million index
# entries here; walking the open ones in id order reads a few per message
# sent (the walk, the key's probe, the lookup of the answer's ids).
fresh_db
q "$DB" "ALTER TABLE centra_outbox.messages SET (autovacuum_enabled = false)"
q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
    SELECT 'markets_Update', 'market:B' || g, json_build_object('id', 'B' || g, 'store', '1',
        'type', 'retail', 'description', 'Burst ' || g)
    FROM generate_series(1, 500) g" >/dev/null
cb export --once
assert_eq 0 "$RC" "500 messages sent before the statistics are taken"
q "$DB" "ANALYZE centra_outbox.messages"
q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
    SELECT 'markets_Update', 'market:B' || g, json_build_object('id', 'B' || g, 'store', '1',
        'type', 'retail', 'description', 'Burst again ' || g)
    FROM generate_series(1, 10000) g" >/dev/null
# idx_tup_read over all the table's indexes, plus rows read by sequential scans.
tuples_read() {
    q "$DB" "SELECT sum(idx_tup_read) + max(t.seq_tup_read) FROM pg_stat_user_indexes i
        JOIN pg_stat_user_tables t USING (relid) WHERE t.relid = 'centra_outbox.messages'::regclass"
}
# An exporter's server process reports its counts as it ends: wait for that.
no_other_session() {
    [[ $(q "$DB" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
        AND backend_type = 'client backend' AND pid <> pg_backend_pid()") == 0 ]]
}
exporter_gone() {
    wait_for 10 no_other_session || cb_report 1 "the exporter's database session ended"
}
exporter_gone
read0=$(tuples_read)
CENTRA_EXPORT_BATCH_SIZE=10 cb export --once
exporter_gone
read1=$(tuples_read)
assert_eq "0|10500" "$RC|$(q "$DB" "SELECT count(*) FROM centra_outbox.messages WHERE status = 'sent'")" \
    "a burst of 10,000 messages after ANALYZE is sent"
(((read1 - read0) < 30 * 10000))
cb_report $? "each claim reads only the messages it takes, not every open one" \
    "index entries and rows read: $((read1 - read0)) for 10000 messages sent (at most 300000 expected)"

# The stock trigger, in the same state: 5,000 stock updates in one INSERT,
# each looking for an older pending message of its SKU and warehouse.
# Reading every pending message for each row read 12 million index entries
# here; the lookup by key reads about 3 per row.
q "$DB" "ANALYZE centra_outbox.messages"
read0=$(tuples_read)
q "$DB" "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id, qty)
    SELECT 'P' || g % 100, 'P' || g % 100 || '_V', 'S' || g / 100, 'W1', g % 7
    FROM generate_series(0, 4999) g" >/dev/null
exporter_gone
read1=$(tuples_read)
assert_eq "5000" "$(q "$DB" "SELECT count(*) FROM centra_outbox.messages WHERE status = 'pending'
    AND source_table = 'stock_updates'")" "a burst of 5,000 stock updates after ANALYZE is enqueued"
(((read1 - read0) < 10 * 5000))
cb_report $? "each stock update looks up its key's older message, not every pending one" \
    "index entries and rows read: $((read1 - read0)) for 5000 rows (at most 50000 expected)"
q "$DB" "ALTER TABLE centra_outbox.messages RESET (autovacuum_enabled)"

# ============================================================================
# 5. Transient failures, a refused login
# ============================================================================
fresh_db
id=$(enqueue "$DB" markets_Update m:1 "$(market 1)")
curl -s -X POST "$SIM_BASE/_sim/faults?kind=http_503&count=2" >/dev/null
cb export --once
assert_eq "0|sent|1" "$RC|$(q "$DB" "SELECT status, attempts FROM centra_outbox.messages WHERE id = $id")" \
    "two HTTP 503 are retried within the send: sent, 1 attempt"
curl -s -X POST "$SIM_BASE/_sim/faults?kind=http_429&count=1&retry_after=1" >/dev/null
id=$(enqueue "$DB" markets_Update m:2 "$(market 2)")
t0=$(date +%s%N)
cb export --once
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "0|sent" "$RC|$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $id")" "an HTTP 429 is retried"
[[ $ms -ge 1000 ]]
cb_report $? "after the Retry-After of 1 s (${ms} ms)"

curl -s -X POST "$SIM_BASE/_sim/faults?kind=http_503&count=100" >/dev/null
id=$(enqueue "$DB" markets_Update m:3 "$(market 3)")
CENTRA_RETRIES=1 CENTRA_EXPORT_MAX_ATTEMPTS=2 CENTRA_RETRY_DELAY=2s cb export --once
assert_eq "69|pending|1|t" "$RC|$(q "$DB" "SELECT status, attempts, next_attempt_at > now() FROM centra_outbox.messages WHERE id = $id")" \
    "Centra unavailable after the retries: exit 69, the message waits for a later attempt"
assert_contains "$(q "$DB" "SELECT last_error FROM centra_outbox.messages WHERE id = $id")" "503" \
    "last_error says why"
CENTRA_RETRIES=1 CENTRA_EXPORT_MAX_ATTEMPTS=2 cb export --once
assert_eq "0|pending|1" "$RC|$(q "$DB" "SELECT status, attempts FROM centra_outbox.messages WHERE id = $id")" \
    "before its next attempt is due, export leaves it alone"
q "$DB" "UPDATE centra_outbox.messages SET next_attempt_at = now() WHERE id = $id" >/dev/null
CENTRA_RETRIES=1 CENTRA_EXPORT_MAX_ATTEMPTS=2 cb export --once
assert_eq "69|failed|2" "$RC|$(q "$DB" "SELECT status, attempts FROM centra_outbox.messages WHERE id = $id")" \
    "after centra_export_max_attempts sends it fails for good"
curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null

# An answer that is not Centra's (a maintenance page with HTTP 200, in place
# of Centra's) is transient too: no item was refused, so none fails for good
# at once (found in review: every message of the run failed, and blocked its
# entity_key).
curl -s -X POST "$SIM_BASE/_sim/faults?kind=html_200&count=100&op=markets_Update" >/dev/null
ids=$(for k in 6 7 8; do enqueue "$DB" markets_Update "m:$k" "$(market "$k")"; done | paste -sd,)
CENTRA_RETRIES=1 CENTRA_EXPORT_MAX_ATTEMPTS=2 CENTRA_RETRY_DELAY=10ms cb export --once
assert_eq "69|pending 1,pending 1,pending 1" "$RC|$(q "$DB" "SELECT string_agg(status || ' ' || attempts,
    ',' ORDER BY id) FROM centra_outbox.messages WHERE id IN ($ids)")" \
    "a maintenance page with HTTP 200: exit 69, the messages wait for a later attempt"
assert_eq 2 "$(curl -s "$SIM_BASE/_sim/faults" | grep -o '"fired":[0-9]*' | cut -d: -f2)" \
    "one request and its one retry, not one per message"
assert_contains "$(q "$DB" "SELECT last_error FROM centra_outbox.messages WHERE id = ${ids%%,*}")" \
    "unexpected answer to markets_Update: Parsing it failed" "last_error says what came back"
assert_contains "$(q "$DB" "SELECT last_error FROM centra_outbox.messages WHERE id = ${ids%%,*}")" \
    "Scheduled maintenance" "quoting the page"
assert_contains "$ERR" "maintenance page" "the hint names the likely cause"
curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null
q "$DB" "UPDATE centra_outbox.messages SET next_attempt_at = now() WHERE id IN ($ids)" >/dev/null
cb export --once
assert_eq "0|sent,sent,sent" "$RC|$(q "$DB" "SELECT string_agg(status, ',' ORDER BY id)
    FROM centra_outbox.messages WHERE id IN ($ids)")" "sent once Centra answers again"

# Every other transient fault of the simulator, on the update operation itself.
for spec in http_500 soap_fault drop truncate delay:ms=3000 html_200; do
    fresh_db
    q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
        SELECT 'markets_Update', 'f:' || g, json_build_object('id', 'F' || g, 'store', '1',
            'type', 'retail', 'description', 'Fault ' || g) FROM generate_series(1, 5) g" >/dev/null
    curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null
    curl -s -X POST "$SIM_BASE/_sim/faults?kind=${spec%%:*}&count=1&op=markets_Update$([[ $spec == *ms=* ]] && echo "&ms=${spec##*ms=}")" >/dev/null
    CENTRA_REQUEST_TIMEOUT=1s cb export --once
    fired=$(curl -s "$SIM_BASE/_sim/faults" | grep -o '"fired":[0-9]*' | cut -d: -f2)
    assert_eq "0|5|1|1" "$RC|$(q "$DB" "SELECT count(*) FILTER (WHERE status = 'sent') || '|' || max(attempts)
        FROM centra_outbox.messages")|$fired" \
        "fault $spec on markets_Update: it fired, the request was retried within one attempt, all 5 messages sent"
done
curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null

id=$(enqueue "$DB" markets_Update m:4 "$(market 4)")
CENTRA_PASSWORD=wrong cb export --once
assert_eq "77|pending|0|" "$RC|$(q "$DB" "SELECT status, attempts, locked_by FROM centra_outbox.messages WHERE id = $id")" \
    "a refused login exits 77 and gives the message back untouched"
assert_not_contains "$ERR" "wrong" "the password is not in the error"
id=$(enqueue "$DB" markets_Update m:5 "$(market 5)")
CENTRA_URL=$SIM_BASE/wrong/path cb export --once
assert_eq "76|pending|0|" "$RC|$(q "$DB" "SELECT status, attempts, locked_by FROM centra_outbox.messages WHERE id = $id")" \
    "a wrong CENTRA_URL (HTTP 404) stops the export with 76 and leaves the messages untouched"
assert_contains "$ERR" "Check CENTRA_URL" "saying what to check"
assert_eq 0 "$(q "$DB" "SELECT count(*) FROM centra_outbox.messages WHERE status = 'failed'")" \
    "no message was marked failed"

# ============================================================================
# 5b. A cancellation is never sent twice by itself
# ============================================================================
# <cancelled> counts items: sent twice, Centra cancels twice as many.  After a
# failure where Centra may have applied it (the request went out, the answer
# was lost), or when it is taken over from an exporter that died, it fails
# for someone to look at, instead of being sent again.  (Found in review: a
# truncated answer, then a retry, cancelled 2 of a line for 1 asked.)
stop_sim
start_sim --orders 20 --seed 5 || finish
fresh_db
cb import --once
read -r c_order c_item c_qty < <(q "$DB" "SELECT order_id, orderitem_id, qty FROM centra.order_lines
    WHERE qty >= 2 ORDER BY qty DESC, order_id, orderitem_id LIMIT 1" | tr '|' ' ')
cancel() { # print the id of a new cancellation of 1 of the line
    q "$DB" "INSERT INTO centra_outbox.item_cancellations (order_id, orderitem_id, qty)
        VALUES ('$c_order', '$c_item', 1) RETURNING message_id"
}
line_qty() {
    "$CB_BIN" -q import --once 2>/dev/null
    q "$DB" "SELECT qty FROM centra.order_lines WHERE order_id = '$c_order' AND orderitem_id = '$c_item'"
}
id=$(cancel)
curl -s -X POST "$SIM_BASE/_sim/faults?kind=truncate&count=1&op=orders_Update" >/dev/null
CENTRA_RETRY_DELAY=10ms cb export --once
assert_eq "1|failed|1" "$RC|$(q "$DB" "SELECT status, attempts FROM centra_outbox.messages WHERE id = $id")" \
    "a cancellation whose answer was cut off fails (exit 1) instead of being sent again"
assert_contains "$(q "$DB" "SELECT last_error FROM centra_outbox.messages WHERE id = $id")" \
    "Centra may have applied this cancellation" "last_error says why"
assert_contains "$ERR" "\"centra-bridge outbox cancel $id\" if it was applied" "and what to do"
assert_not_contains "$ERR" "retrying in" "without announcing a retry it does not make"
assert_eq 1 "$(curl -s "$SIM_BASE/_sim/requests?op=orders_Update" | grep -o '"seq"' | wc -l)" \
    "Centra got it once"
assert_eq $((c_qty - 1)) "$(line_qty)" "one item cancelled, not two (line of $c_qty)"
# retry --failed, the bulk way out after an outage, leaves it too (found in
# review: it queued it again, and Centra cancelled a second item).
other=$(enqueue "$DB" products_Update product:bulk '{"id":"BULK"}')
q "$DB" "UPDATE centra_outbox.messages SET status = 'failed' WHERE id = $other" >/dev/null
assert_eq "t|f" "$(q "$DB" "SELECT (SELECT maybe_applied FROM centra_outbox.messages WHERE id = $id),
    (SELECT maybe_applied FROM centra_outbox.messages WHERE id = $other)")" \
    "the cancellation is marked maybe_applied, a message refused for its data is not"
cb outbox retry --failed
assert_eq "0|1 message queued again|failed|pending" "$RC|$OUT|$(q "$DB" "SELECT status FROM centra_outbox.messages
    WHERE id = $id")|$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $other")" \
    "outbox retry --failed queues the other failed message, not the cancellation Centra may have applied"
assert_contains "$ERR" "1 failed message not queued again: $id: Centra may have applied it" \
    "and warns, naming it"
q "$DB" "UPDATE centra_outbox.messages SET status = 'cancelled' WHERE id = $other" >/dev/null
cb outbox retry "$id"
assert_eq "0|pending|f" "$RC|$(q "$DB" "SELECT status, maybe_applied FROM centra_outbox.messages WHERE id = $id")" \
    "outbox retry ID, after a look at the order, queues it again and clears maybe_applied"
q "$DB" "UPDATE centra_outbox.messages SET status = 'cancelled' WHERE id = $id" >/dev/null

id=$(cancel)
q "$DB" "UPDATE centra_outbox.messages SET status = 'sending', locked_by = 'gone:1',
    locked_until = now() - interval '1 second' WHERE id = $id" >/dev/null
before=$(curl -s "$SIM_BASE/_sim/requests?op=orders_Update" | grep -o '"seq"' | wc -l)
cb export --once
assert_eq "1|failed" "$RC|$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $id")" \
    "a cancellation taken over from an exporter that died fails without being sent"
assert_contains "$(q "$DB" "SELECT last_error FROM centra_outbox.messages WHERE id = $id")" \
    "stopped before it recorded Centra's answer" "saying so"
assert_eq "$before" "$(curl -s "$SIM_BASE/_sim/requests?op=orders_Update" | grep -o '"seq"' | wc -l)" \
    "nothing was sent"
q "$DB" "UPDATE centra_outbox.messages SET status = 'cancelled' WHERE id = $id" >/dev/null

id=$(cancel)
curl -s -X POST "$SIM_BASE/_sim/faults?kind=http_503&count=1&op=orders_Update" >/dev/null
CENTRA_RETRY_DELAY=10ms cb export --once
assert_eq "0|sent" "$RC|$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $id")" \
    "an HTTP 503 (not applied) is retried as for any message"
assert_eq $((c_qty - 2)) "$(line_qty)" "one more item cancelled"

# Centra answers, but the database refuses to record it (a full disk, say):
# a cancellation that went out is not given back to be sent again; it fails
# (found in review: it went back to pending, and the next run cancelled again).
q "$DB" "CREATE FUNCTION public.refuse_sent() RETURNS trigger LANGUAGE plpgsql AS
    \$\$BEGIN IF NEW.status = 'sent' THEN RAISE EXCEPTION 'could not extend file (simulated)'; END IF;
    RETURN NEW; END\$\$;
    CREATE TRIGGER refuse_sent BEFORE UPDATE ON centra_outbox.messages
    FOR EACH ROW EXECUTE FUNCTION public.refuse_sent()" >/dev/null
id=$(cancel)
before=$(curl -s "$SIM_BASE/_sim/requests?op=orders_Update" | grep -o '"seq"' | wc -l)
cb export --once
assert_eq "failed|t" "$(q "$DB" "SELECT status, maybe_applied FROM centra_outbox.messages WHERE id = $id")" \
    "a sent cancellation whose answer could not be recorded fails, marked maybe_applied"
assert_contains "$(q "$DB" "SELECT last_error FROM centra_outbox.messages WHERE id = $id")" \
    "its request went out, but what came back could not be recorded, so Centra may have applied" "saying why"
q "$DB" "DROP TRIGGER refuse_sent ON centra_outbox.messages; DROP FUNCTION public.refuse_sent()" >/dev/null
cb export --once
assert_eq "$((before + 1))" "$(curl -s "$SIM_BASE/_sim/requests?op=orders_Update" | grep -o '"seq"' | wc -l)" \
    "Centra got it once"
assert_eq $((c_qty - 3)) "$(line_qty)" "one more item cancelled, once"
q "$DB" "UPDATE centra_outbox.messages SET status = 'cancelled' WHERE id = $id" >/dev/null

# Centra refuses a batch of cancellations (it applied nothing), and the run
# stops before the halves are sent: they go back to pending, not failed as
# "may have applied" (found in review: a refusal set what only an answer that
# was lost should).  The delay puts the renew before the first half over
# 1.5 s after the claim, where the trigger refuses it.
mapfile -t two < <(q "$DB" "SELECT DISTINCT ON (l.order_id) l.order_id || ' ' || l.orderitem_id
    FROM centra.order_lines l WHERE l.order_id <> '$c_order' AND l.qty > (SELECT COALESCE(sum(s.qty), 0)
    FROM centra.shipment_lines s WHERE s.order_id = l.order_id AND s.orderitem_id = l.orderitem_id)
    ORDER BY l.order_id, l.orderitem_id LIMIT 2")
ids=()
for l in "${two[@]}"; do
    read -r o i <<<"$l"
    ids+=("$(q "$DB" "INSERT INTO centra_outbox.item_cancellations (order_id, orderitem_id, qty)
        VALUES ('$o', '$i', 1) RETURNING message_id")")
done
assert_eq 2 "${#ids[@]}" "two cancellations of two orders"
q "$DB" "CREATE FUNCTION public.refuse_late_renew() RETURNS trigger LANGUAGE plpgsql AS
    \$\$BEGIN IF clock_timestamp() - OLD.updated_at > interval '1.5 s' THEN
    RAISE EXCEPTION 'could not write (simulated)'; END IF; RETURN NEW; END\$\$;
    CREATE TRIGGER refuse_late_renew BEFORE UPDATE ON centra_outbox.messages FOR EACH ROW
    WHEN (OLD.status = 'sending' AND NEW.status = 'sending') EXECUTE FUNCTION public.refuse_late_renew()" >/dev/null
curl -s -X POST "$SIM_BASE/_sim/faults?kind=delay&ms=2500&count=1&op=orders_Update" >/dev/null
curl -s -X POST "$SIM_BASE/_sim/faults?kind=refuse&count=1&op=orders_Update" >/dev/null
before=$(curl -s "$SIM_BASE/_sim/requests?op=orders_Update" | grep -o '"seq"' | wc -l)
CENTRA_REQUEST_TIMEOUT=5s CENTRA_EXPORT_LEASE=10s cb export --once
assert_contains "$ERR" "refused a batch of 2" "Centra refused the batch"
assert_eq "$((before + 1))" "$(curl -s "$SIM_BASE/_sim/requests?op=orders_Update" | grep -o '"seq"' | wc -l)" \
    "and the run stopped before sending its halves"
assert_eq "pending|false,pending|false" "$(q "$DB" "SELECT string_agg(status || '|' || maybe_applied, ',' ORDER BY id)
    FROM centra_outbox.messages WHERE id IN (${ids[0]}, ${ids[1]})")" \
    "the refused cancellations go back to pending, not failed as maybe applied"
q "$DB" "DROP TRIGGER refuse_late_renew ON centra_outbox.messages; DROP FUNCTION public.refuse_late_renew()" >/dev/null
cb export --once
assert_eq "0|sent,sent" "$RC|$(q "$DB" "SELECT string_agg(status, ',' ORDER BY id) FROM centra_outbox.messages
    WHERE id IN (${ids[0]}, ${ids[1]})")" "the next run sends them"

curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null

# The other answer shape (<...UpdateResponse>OK</...>) refuses with a SOAP
# Fault: its text is Centra's error, in errors as in last_error.
stop_sim
start_sim --orders 5 --seed 5 --response-style ok || finish
fresh_db
id=$(enqueue "$DB" products_Update stock:x '{"id":"NOPE","variations":{"variation":{"id":"NOPE_1"}}}')
cb export --once
assert_eq "1|failed|t" "$RC|$(q "$DB" "SELECT status, errors[1] = last_error FROM centra_outbox.messages WHERE id = $id")" \
    "--response-style ok: a refused message has the fault's text in errors and last_error"
assert_contains "$(q "$DB" "SELECT errors[1] FROM centra_outbox.messages WHERE id = $id")" "NOPE" \
    "naming what Centra refused"
stop_sim
start_sim --orders 10 || finish

# ============================================================================
# 6. A crash mid-send, the lease
# ============================================================================
fresh_db
id=$(enqueue "$DB" markets_Update crash:1 "$(market 9)")
behind=$(enqueue "$DB" markets_Update crash:1 "$(market 10)")
curl -s -X POST "$SIM_BASE/_sim/faults?kind=delay&count=1&ms=5000" >/dev/null
"$CB_BIN" -q export --once 2>/dev/null &
pid=$!
bg_pids+=("$pid")
for _ in $(seq 100); do
    [[ $(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $id") == sending ]] && break
    sleep 0.05
done
sleep 0.3
kill -KILL "$pid"
wait "$pid" 2>/dev/null
assert_eq "sending|t" "$(q "$DB" "SELECT status, locked_until > now() FROM centra_outbox.messages WHERE id = $id")" \
    "SIGKILL mid-send: the message stays claimed under its lease"
cb export --once
assert_eq "0|sending" "$RC|$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $id")" \
    "another exporter leaves it alone while the lease runs"
assert_contains "$ERR" "left to another exporter: 1 message it holds (or held, if it stopped) until \
$(q "$DB" "SELECT to_char(locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
    FROM centra_outbox.messages WHERE id = $id") UTC at the latest (centra_export_lease), and 1 more \
waiting behind them" "and says so: the message held, until when, and the one behind it ($behind)"
q "$DB" "UPDATE centra_outbox.messages SET locked_until = now() - interval '1 second' WHERE id = $id" >/dev/null
cb export --once
assert_eq "0|sent|sent" "$RC|$(q "$DB" "SELECT string_agg(status, '|' ORDER BY id)
    FROM centra_outbox.messages WHERE id IN ($id, $behind)")" \
    "once the lease has run out, the next exporter sends it (and the one behind it)"
assert_not_contains "$ERR" "left to another exporter" "and then leaves nothing to another"
curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null

# A request retried for longer than the lease: the lease is renewed before
# each attempt, so a second exporter started meanwhile takes nothing; the old
# state is not sent again after the new one.  (Found in review: the lease ran
# out under a live exporter, the second one sent both, then the first its v1.)
fresh_db
enqueue "$DB" warehouses_Update warehouse:OV '{"id":"OV","description":"v1-old"}' >/dev/null
enqueue "$DB" warehouses_Update warehouse:OV '{"id":"OV","description":"v2-new"}' >/dev/null
curl -s -X POST "$SIM_BASE/_sim/faults?kind=delay&count=6&ms=3000&op=warehouses_Update" >/dev/null
CENTRA_EXPORT_LEASE=10s CENTRA_REQUEST_TIMEOUT=2s CENTRA_RETRIES=6 CENTRA_RETRY_DELAY=10ms \
    "$CB_BIN" -q export --once 2>"$cb_tmp/lease1.err" &
pid=$!
bg_pids+=("$pid")
sleep 11
CENTRA_EXPORT_LEASE=10s CENTRA_REQUEST_TIMEOUT=2s cb export --once
assert_eq "0|sending" "$RC|$(q "$DB" "SELECT status FROM centra_outbox.messages ORDER BY id LIMIT 1")" \
    "after 11 s of retries (lease 10 s) the first exporter still holds v1; a second one takes nothing"
wait "$pid"
assert_eq 0 "$?" "the first exporter gets through on its 7th attempt" "$(cat "$cb_tmp/lease1.err")"
cb export --once
assert_eq "v1-old v1-old v1-old v1-old v1-old v1-old v1-old v2-new" \
    "$(curl -s "$SIM_BASE/_sim/requests?op=warehouses_Update" | grep -o 'v[12]-[a-z]*' | xargs)" \
    "Centra got v1 (6 timed out, then answered) and then v2, never v1 after v2"
curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null
CENTRA_EXPORT_LEASE=10s CENTRA_REQUEST_TIMEOUT=6s cb export --once
assert_eq 78 "$RC" "a lease shorter than the request timeout plus 5 s is a configuration error"
assert_contains "$ERR" "centra_export_lease (10s) must be at least centra_request_timeout (6s)" \
    "naming both settings"
for command in sync check; do
    CENTRA_EXPORT_LEASE=10s CENTRA_REQUEST_TIMEOUT=6s cb $command
    assert_eq 78 "$RC" "$command refuses it too (before importing anything)"
done
assert_contains "$OUT" "FAIL  configuration   centra_export_lease (10s)" "check says it in a FAIL line"

# ============================================================================
# 7. --follow: woken by NOTIFY, stopped by SIGTERM
# ============================================================================
fresh_db
CENTRA_POLL_INTERVAL=1h "$CB_BIN" -q export --follow 2>"$cb_tmp/follow.err" &
pid=$!
bg_pids+=("$pid")
sleep 0.5
id=$(enqueue "$DB" markets_Update follow:1 "$(market 7)")
t0=$(date +%s%N)
for _ in $(seq 100); do
    [[ $(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $id") == sent ]] && break
    sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq sent "$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $id")" \
    "export --follow sends a new message at once, without polling (${ms} ms)"
bad=$(enqueue "$DB" products_Update stock:x '{"id":"NOPE","variations":{"variation":{"id":"NOPE_1"}}}')
wait_for 10 '[[ $(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $bad") == failed ]]'
assert_contains "$(cat "$cb_tmp/follow.err")" "message $bad (products_Update, stock:x) failed" \
    "a message refused meanwhile is logged as it fails"
kill -TERM "$pid"
wait "$pid"
assert_eq 0 "$?" "SIGTERM stops export --follow with exit 0 (a message failed meanwhile)"
assert_eq "success" "$(q "$DB" "SELECT outcome FROM centra.runs WHERE command = 'export' ORDER BY run_id DESC LIMIT 1")" \
    "and its run is recorded as a success"

# ============================================================================
# 8. Usage
# ============================================================================
cb export
assert_eq 64 "$RC" "export without --once or --follow exits 64"
assert_contains "$ERR" "say --once or --follow" "and says what is missing"
cb export --once --follow
assert_eq 64 "$RC" "--once with --follow exits 64"
for n in 0 17 two; do
    cb export --once --jobs "$n"
    assert_eq "64" "$RC" "export --jobs $n exits 64"
    assert_contains "$ERR" "invalid --jobs \"$n\" (1 to 16)" "and says the range"
done
cb outbox
assert_contains "$RC $ERR" "64" "outbox without a subcommand exits 64"
cb outbox frobnicate
assert_contains "$ERR" 'unknown subcommand "frobnicate"' "an unknown subcommand is named"
cb outbox retry abc
assert_contains "$RC $ERR" '64' "a message id that is not a number exits 64"
cb outbox list --status nonsense
assert_contains "$RC $ERR" 'invalid status "nonsense"' "an unknown status is refused"
cb export --help
assert_contains "$OUT" "entity_key" "export --help explains the ordering"
cb outbox --help
assert_contains "$OUT" "retry --failed" "outbox --help lists the subcommands"

finish
