#!/usr/bin/env bash
# tests/integration/test_status.sh
#     "centra-bridge status [--json]" against the throwaway cluster and
#     centra-sim: a fresh database (all zeros, no events yet), after an
#     import (counts match the database), a quarantined event, a failed
#     message blocking its key, runs that failed or still run, the exact
#     shape of --json (keys and types), --fail-on-problems, a database
#     without the schema (78), an unreachable one (69), usage errors.
source "$(dirname "$0")/simlib.sh"

# json_shape: check the JSON in $OUT against the documented shape (exact keys
# in order, types; "ts" an ISO 8601 UTC time, (x,) x or null) and print "ok"
# (or exit with what is wrong); then evaluate the Python expressions on stdin
# (d is the document), one a line, and print each result as JSON.
json_shape() {
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])
def num(v): return isinstance(v, int) and not isinstance(v, bool)
def check(obj, shape, path):
    if isinstance(shape, dict):
        if not isinstance(obj, dict): raise SystemExit(f"{path}: not an object")
        if list(obj) != list(shape): raise SystemExit(f"{path}: keys {list(obj)} != {list(shape)}")
        for k in shape: check(obj[k], shape[k], path + "." + k)
    elif isinstance(shape, list):
        if not isinstance(obj, list): raise SystemExit(f"{path}: not an array")
        for i, o in enumerate(obj): check(o, shape[0], f"{path}[{i}]")
    elif isinstance(shape, tuple):      # (shape,) : shape or null
        if obj is not None: check(obj, shape[0], path)
    elif shape == "n":
        if not num(obj): raise SystemExit(f"{path}: {obj!r} is not a number")
    elif shape == "s":
        if not isinstance(obj, str): raise SystemExit(f"{path}: {obj!r} is not a string")
    elif shape == "ts":
        if not (isinstance(obj, str) and len(obj) == 20 and obj[10] == "T" and obj[-1] == "Z"):
            raise SystemExit(f"{path}: {obj!r} is not an ISO 8601 UTC time")
    elif shape == "b":
        if not isinstance(obj, bool): raise SystemExit(f"{path}: {obj!r} is not a boolean")
last = {"ok_at": ("ts",), "age_seconds": ("n",), "last_failure": ({"run_id": "n",
        "finished_at": ("ts",), "age_seconds": ("n",), "exit_code": ("n",), "error": ("s",)},)}
shape = {"version": "n", "generated_at": "ts",
  "events": {"by_status": {"applied": "n", "stale": "n", "unhandled": "n", "quarantined": "n"},
             "total": "n", "unacknowledged": "n",
             "newest": ({"event_id": "n", "type": ("s",), "event_date": ("ts",),
                         "received_at": "ts", "age_seconds": "n"},)},
  "quarantined": {"count": "n", "latest": [{"event_id": "n", "received_at": "ts", "error": "s"}]},
  "outbox": {"by_status": {"pending": "n", "sending": "n", "sent": "n", "failed": "n",
                           "cancelled": "n", "superseded": "n"},
             "oldest_pending_age_seconds": ("n",), "due": "n", "waiting_retry": "n",
             "held_back": "n"},
  "blocked": {"count": "n", "keys": [{"entity_key": "s", "message_id": "n", "operation": "s",
                                      "waiting": "n", "failed_at": "ts", "last_error": "s"}]},
  "last_import": last, "last_export": last,
  "running": [{"run_id": "n", "command": "s", "pid": ("n",), "host": ("s",), "started_at": "ts",
               "last_ok_at": ("ts",), "last_ok_age_seconds": ("n",), "process_gone": ("b",)}]}
check(d, shape, "$")
if d["version"] != 1: raise SystemExit("version is not 1")
print("ok")
for expr in sys.stdin.read().splitlines():
    print(json.dumps(eval(expr, {"d": d})))' "$OUT"
}

# ============================================================================
# 1. A database without the schema; a fresh migrated one
# ============================================================================
export DATABASE_URL
DATABASE_URL=$(db_url "$(new_db)")
cb status
assert_eq 78 "$RC" "status on a database without the schema exits 78"
assert_contains "$ERR" "the database has no centra-bridge schema" "and says so"
assert_contains "$ERR" 'hint: Run "centra-bridge migrate".' "with the hint to migrate"
assert_eq "" "$OUT" "nothing on stdout"
cb status --json
assert_eq "78|" "$RC|$OUT" "status --json too: 78, nothing on stdout"
for cmd in "import --once" "load $CB_SOURCE_DIR/tests/fixtures/guide/dtc_order_event.xml" \
    "export --once" sync; do
    # shellcheck disable=SC2086
    CENTRA_URL=http://127.0.0.1:9/none CENTRA_USERNAME=u CENTRA_PASSWORD=p cb $cmd
    assert_eq "78|1" "$RC|$(grep -c 'the database has no centra-bridge schema' "$cb_tmp/err")" \
        "${cmd%% *} on a database without the schema exits 78 and says so"
    assert_contains "$ERR" 'hint: Run "centra-bridge migrate"' "${cmd%% *}: with the hint to migrate"
done

"$CB_BIN" -q migrate
q "$(basename "$DATABASE_URL")" "DELETE FROM centra.schema_migrations WHERE version = 5" >/dev/null
cb status
assert_eq 78 "$RC" "status on a database a migration behind exits 78"
assert_contains "$ERR" "the database schema is not up to date: 1 migration pending" "and says so"

fresh_db
cb status
assert_eq 0 "$RC" "status on a fresh database exits 0"
assert_contains "$OUT" "Events      applied 0   stale 0   unhandled 0   quarantined 0   total 0" \
    "every event status is shown, all 0"
assert_contains "$OUT" "  newest    no events yet" "no events yet"
assert_contains "$OUT" "Outbox      pending 0   sending 0   sent 0   failed 0   cancelled 0   superseded 0" \
    "every outbox status is shown, all 0"
assert_contains "$OUT" "oldest pending none" "no pending message"
assert_contains "$OUT" "Blocked     0 keys" "no blocked key"
assert_contains "$OUT" "Import      never succeeded" "no import yet"
assert_contains "$OUT" "Export      never succeeded" "no export yet"
assert_contains "$OUT" "Running     0 runs" "nothing running"
assert_eq "" "$ERR" "nothing on stderr"
cb status --json
assert_eq 0 "$RC" "status --json on a fresh database exits 0"
assert_eq "ok|0|0|null|[]|null|0|null|null|[]|[]" "$(json_shape <<'EOF' | paste -sd'|'
d["events"]["total"]
d["quarantined"]["count"]
d["events"]["newest"]
d["quarantined"]["latest"]
d["outbox"]["oldest_pending_age_seconds"]
d["blocked"]["count"]
d["last_import"]["ok_at"]
d["last_export"]["last_failure"]
d["blocked"]["keys"]
d["running"]
EOF
)" "the --json shape is exact; zeros, nulls and empty arrays on a fresh database"
assert_eq 1 "$(wc -l <<<"$OUT")" "--json is one line"

# ============================================================================
# 2. After an import with a quarantined event, and an export with a refusal
# ============================================================================
start_sim --orders 20 || finish
curl -s -X POST "$SIM_BASE/_sim/faults?kind=malformed&count=1" >/dev/null
cb import --once
assert_eq 1 "$RC" "the import quarantines the malformed event (exit 1)"
counts=$(q "$DB" "SELECT count(*) FILTER (WHERE status = 'applied') || '|' ||
    count(*) FILTER (WHERE status = 'stale') || '|' || count(*) FILTER (WHERE status = 'unhandled')
    || '|' || count(*) FILTER (WHERE status = 'quarantined') || '|' || count(*) FROM centra.events")
IFS='|' read -r applied stale unhandled quarantined total <<<"$counts"
qid=$(q "$DB" "SELECT event_id FROM centra.events WHERE status = 'quarantined'")
newest=$(q "$DB" "SELECT event_id || '|' || type FROM centra.events ORDER BY event_id DESC LIMIT 1")
[[ $quarantined -eq 1 && $total -gt 1 ]]
cb_report $? "the database holds 1 quarantined event among $total" "$counts"
# One event stored but not acknowledged.
q "$DB" "UPDATE centra.events SET done_at = NULL WHERE event_id = (SELECT min(event_id)
    FROM centra.events WHERE status <> 'quarantined')" >/dev/null

enqueue() {
    q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
        VALUES ('$1', '$2', '$3') RETURNING id"
}
bad=$(enqueue products_Update key:A '{"id":"NOPE","variations":{"variation":{"id":"X","sizes":{"size":{"id":"S","warehouseitems":{"warehouse":{"id":"MainWarehouse","qty":"1"}}}}}}}')
enqueue markets_Update key:A '{"id":"M1","store":"1","type":"retail","description":"one"}' >/dev/null
enqueue markets_Update key:B '{"id":"M2","store":"1","type":"retail","description":"two"}' >/dev/null
cb export --once
assert_eq "1|failed|pending|sent" "$RC|$(q "$DB" "SELECT string_agg(status, '|' ORDER BY id) FROM centra_outbox.messages")" \
    "Centra refuses the first message of key:A; it blocks the next one"
# One more pending message, waiting for a retry.
q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload, next_attempt_at)
    VALUES ('markets_Update', 'key:C', '{\"id\":\"M3\",\"store\":\"1\",\"type\":\"retail\",\"description\":\"3\"}',
    now() + interval '1 hour')" >/dev/null

cb status
assert_eq 0 "$RC" "status exits 0 (problems do not change that without --fail-on-problems)"
assert_contains "$OUT" "Events      applied $applied   stale $stale   unhandled $unhandled   quarantined 1   total $total" \
    "the event counts match the database"
assert_contains "$OUT" "            not yet acknowledged 1" "1 event not acknowledged"
assert_contains "$OUT" "  newest    event ${newest%%|*} (${newest##*|}) of " "the newest event stored"
assert_contains "$OUT" "  quarantined event $qid, received " "the quarantined event is listed"
assert_contains "$OUT" "UTC: $(q "$DB" "SELECT split_part(error, E'\n', 1) FROM centra.events WHERE event_id = $qid")" \
    "with the whole first line of its error (where it says which tags)"
assert_contains "$OUT" "Outbox      pending 2   sending 0   sent 1   failed 1   cancelled 0   superseded 0" \
    "the outbox counts"
assert_contains "$OUT" "due now 0   waiting for a retry 1   held back 1   oldest pending " \
    "none due: one waits for its retry, one is held back by the failed message of its key (found in review: counted as due)"
assert_contains "$OUT" "Blocked     1 key" "1 key blocked"
grep -Eq "^  key:A +message $bad \(products_Update\), 1 waiting: .*NOPE" <<<"$OUT"
cb_report $? "the blocked key, its failed message, the one waiting behind it, the error" "$OUT"
assert_contains "$OUT" "Import      ok " "the last import succeeded"
assert_contains "$OUT" "s ago (" "with its age"
[[ $(wc -l <<<"$OUT") -le 30 ]]
cb_report $? "the table stays compact ($(wc -l <<<"$OUT") lines)"

cb status --json
assert_eq 0 "$RC" "status --json exits 0"
res=$(json_shape <<'EOF'
d["events"]["by_status"]["applied"]
d["events"]["by_status"]["stale"]
d["events"]["by_status"]["unhandled"]
d["events"]["by_status"]["quarantined"]
d["events"]["total"]
d["events"]["unacknowledged"]
d["events"]["newest"]["event_id"]
d["events"]["newest"]["type"]
d["quarantined"]["count"]
d["quarantined"]["latest"][0]["event_id"]
d["quarantined"]["latest"][0]["error"].startswith("malformed XML")
d["outbox"]["by_status"]["pending"]
d["outbox"]["by_status"]["failed"]
d["outbox"]["due"]
d["outbox"]["waiting_retry"]
d["outbox"]["held_back"]
d["blocked"]["count"]
d["blocked"]["keys"][0]["waiting"]
d["blocked"]["keys"][0]["entity_key"]
d["blocked"]["keys"][0]["message_id"]
d["blocked"]["keys"][0]["operation"]
len(d["blocked"]["keys"])
"NOPE" in d["blocked"]["keys"][0]["last_error"]
d["last_import"]["ok_at"] is not None and d["last_import"]["age_seconds"] >= 0
d["last_export"]["ok_at"] is not None
EOF
)
assert_eq "ok|$applied|$stale|$unhandled|1|$total|1|${newest%%|*}|\"${newest##*|}\"|1|$qid|true|2|1|0|1|1|1|1|\"key:A\"|$bad|\"products_Update\"|1|true|true|true" \
    "$(paste -sd'|' <<<"$res")" "--json: the exact shape, and values that match the database"

cb status --fail-on-problems
assert_eq 1 "$RC" "--fail-on-problems exits 1 with a quarantined event and a blocked key"
assert_contains "$ERR" "problems found: 1 quarantined event, 1 blocked key, 1 failed message" \
    "and says what"
assert_contains "$OUT" "Blocked     1 key" "the table is still printed"

# ============================================================================
# 3. A failed run after the last success; a run still running
# ============================================================================
q "$DB" "INSERT INTO centra.runs (command, started_at, finished_at, outcome, exit_code, error)
    VALUES ('import', now() - interval '2 min', now() - interval '1 min', 'failed', 69,
            E'could not reach Centra at \"http://centra.example.com:8443/ams/system/service/module/soap/api\"\nmore detail'),
           ('import', now() - interval '3 days', now() - interval '3 days', 'failed', 77, 'old')" >/dev/null
q "$DB" "UPDATE centra.runs SET last_ok_at = now() - interval '5 min' WHERE command = 'import'
    AND outcome <> 'failed'" >/dev/null
q "$DB" "INSERT INTO centra.runs (command, pid, host, started_at, last_ok_at)
    VALUES ('export', 4242, 'erp-host', now() - interval '2 hours', now() - interval '10 s')" >/dev/null
cb status
assert_contains "$OUT" "Import      ok 5 min ago (" "the last successful import, 5 min ago"
assert_contains "$OUT" '  failed    1 min ago, run ' "the failed import since, 1 min ago"
assert_contains "$OUT" ', exit 69: could not reach Centra at "http://centra.example.com:8443/ams/system/service/module/soap/api"' \
    "its exit code and error's whole first line (the part that names what broke is at its end)"
assert_not_contains "$OUT" "exit 77" "a failure before the last success is not shown"
assert_contains "$OUT" "Running     1 run" "one run still running"
grep -Eq "^  export +run [0-9]+, pid 4242 on erp-host, started .* UTC, last ok 10 s ago$" <<<"$OUT"
cb_report $? "the running export: pid, host, start, last success" "$OUT"
cb status --json
assert_eq 'ok|300|69|"could not reach Centra at \"http://centra.example.com:8443/ams/system/service/module/soap/api\""|60|1|"export"|4242|"erp-host"|10|null' "$(json_shape <<'EOF' | paste -sd'|'
d["last_import"]["age_seconds"] // 10 * 10
d["last_import"]["last_failure"]["exit_code"]
d["last_import"]["last_failure"]["error"]
d["last_import"]["last_failure"]["age_seconds"] // 10 * 10
len(d["running"])
d["running"][0]["command"]
d["running"][0]["pid"]
d["running"][0]["host"]
d["running"][0]["last_ok_age_seconds"] // 10 * 10
d["running"][0]["process_gone"]
EOF
)" "--json: the last failure and the running run, exact shape (another host's: whether its process is gone is null)"

# A run whose process is gone (kill -9) is closed by the next run on its host (found in
# review: it stayed "running" for good, and status listed a pid that no longer existed).
# So is one whose pid a process that started after it has (a container started again
# numbers its processes as before: found in review). A live pid of this host, and a row
# of another host, are left alone.
sh -c 'exit 0' &
dead=$!
wait "$dead"
me=$(uname -n)
sleep 60 &
alive=$!
bg_pids+=("$alive")
sleep 1
q "$DB" "INSERT INTO centra.runs (command, pid, host, started_at) VALUES
    ('import', $dead, '$me', now() - interval '1 hour'), ('load', $alive, '$me', now() - interval '1 hour'),
    ('export', $alive, '$me', now())" >/dev/null
cb status
grep -Eq "^  import +run [0-9]+, pid $dead on $me, started .*; its process is gone \(killed\?\): the next run on this host closes it$" <<<"$OUT"
cb_report $? "status says the process of a running import is gone" "$OUT"
grep -Eq "^  load +run [0-9]+, pid $alive on $me, started .*; its process is gone \(killed\?\): the next run on this host closes it$" <<<"$OUT"
cb_report $? "and of a run whose pid a process that started after it has" "$OUT"
grep -Eq "^  export +run [0-9]+, pid $alive on $me, started .* UTC, last ok never$" <<<"$OUT"
cb_report $? "and says nothing of the live one" "$OUT"
cb status --json
assert_eq "ok|true|false" "$(json_shape <<EOF | paste -sd'|'
[r["process_gone"] for r in d["running"] if r["pid"] == $dead][0]
[r["process_gone"] for r in d["running"] if r["pid"] == $alive and r["command"] == "export"][0]
EOF
)" "--json says process_gone for the dead one, not for the live one (found in review: only the text did)"
cb load "$CB_SOURCE_DIR/tests/fixtures/guide/empty_queue.xml"
assert_eq "0|export:running:false:4242,import:failed:true:$dead,load:failed:true:$alive,export:running:false:$alive" "$RC|$(q "$DB" "SELECT string_agg(command || ':' ||
    outcome || ':' || (finished_at IS NOT NULL AND error LIKE 'its process (pid ' || pid || ' on ' || host
    || ') ended without recording the end of the run; found gone by run %')::text || ':' || pid, ',' ORDER BY run_id)
    FROM centra.runs WHERE pid IN ($dead, $alive, 4242)")" \
    "the next run on this host closes the runs whose process is gone, and leaves the live one and the other host's"
assert_contains "$ERR" "run $(q "$DB" "SELECT run_id FROM centra.runs WHERE pid = $dead") (import, pid $dead on this host) ended without recording its end" \
    "and says so"
kill "$alive" 2>/dev/null

# A retention job deleting a running process's row (found in review: the daemon's rows
# were gone for good, and status said "never succeeded"): the process writes it again.
fresh_db
CENTRA_POLL_INTERVAL=1s "$CB_BIN" import --follow </dev/null >/dev/null 2>"$cb_tmp/follow.err" &
pid=$!
bg_pids+=("$pid")
wait_for 20 '[[ $(q "$DB" "SELECT count(*) FROM centra.runs WHERE last_ok_at IS NOT NULL") == 1 ]]'
cb_report $? "import --follow has its row"
run=$(q "$DB" "SELECT run_id || '|' || command || '|' || outcome FROM centra.runs")
q "$DB" "DELETE FROM centra.runs WHERE started_at < now()" >/dev/null
wait_for 20 '[[ -n $(q "$DB" "SELECT run_id FROM centra.runs") ]]'
assert_eq "$run|1|$pid" "$(q "$DB" "SELECT run_id || '|' || command || '|' || outcome || '|' ||
    (last_ok_at IS NOT NULL)::int || '|' || pid FROM centra.runs")" \
    "deleted while it runs, the row is written again: same run_id, command, pid, and a success since"
assert_contains "$(cat "$cb_tmp/follow.err")" "the row of this run (run_id ${run%%|*}, import) was deleted from centra.runs while it ran; it is written again" \
    "and the log says so, with what a retention job should delete"
cb status
[[ $OUT =~ Import\ +ok\ [0-9]+\ s\ ago ]]
cb_report $? "status shows the import as ok again, not \"never succeeded\"" "$OUT"
kill -TERM "$pid"
wait "$pid"
assert_eq "0|success" "$?|$(q "$DB" "SELECT outcome FROM centra.runs")" "SIGTERM closes the row written again"
stop_sim

# ============================================================================
# 4. Redaction: each text value, never the finished report
# ============================================================================
# Found in a CLI audit: status redacted the whole formatted report, so a "password='x" in
# an error ate the rest of it (an unterminated JSON string, exit 0), and a short password
# equal to a word or number of the report replaced it ("newest":<redacted>).
fresh_db
echoed="Centra: field password='x is too short"
q "$DB" "INSERT INTO centra.runs (command, started_at, finished_at, outcome, exit_code, error)
    VALUES ('export', now() - interval '2 min', now() - interval '1 min', 'failed', 76,
            \$\$$echoed\$\$)" >/dev/null
m1=$(q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
    VALUES ('markets_Update', 'market:M1', '{\"id\":\"M1\"}') RETURNING id")
q "$DB" "UPDATE centra_outbox.messages SET status = 'failed', last_error = \$\$$echoed\$\$" >/dev/null
for pw in null "$(date -u +%Y)" short; do
    CENTRA_PASSWORD=$pw cb status --json
    python3 -m json.tool <<<"$OUT" >/dev/null
    cb_report $? "status --json with CENTRA_PASSWORD=$pw and a \"password='\" in an error is valid JSON" "$OUT"
    assert_eq 'ok|null|"Centra: field password=<redacted>"|"Centra: field password=<redacted>"|"market:M1"' \
        "$(json_shape <<'EOF' | paste -sd'|'
d["events"]["newest"]
d["last_export"]["last_failure"]["error"]
d["blocked"]["keys"][0]["last_error"]
d["blocked"]["keys"][0]["entity_key"]
EOF
)" "and has its shape, with each error redacted on its own (CENTRA_PASSWORD=$pw)"
done
CENTRA_PASSWORD=null cb status
assert_contains "$OUT" "exit 76: Centra: field password=<redacted>" "the table redacts the error"
assert_contains "$OUT" "Running     0 runs" "and what follows it is still there"
assert_contains "$OUT" "  market:M1                message $m1 (markets_Update), 0 waiting: Centra: field password=<redacted>" \
    "the blocked key's error too"

# ============================================================================
# 5. Errors
# ============================================================================
DATABASE_URL="postgresql://postgres:topsecret@127.0.0.1:$("$CB_BUILD_DIR/tests/freeport")/x" \
    CENTRA_DB_RETRIES=0 cb status
assert_eq 69 "$RC" "status with the database unreachable exits 69"
assert_not_contains "$OUT$ERR" "topsecret" "the database password is not shown"
cb status --nonsense
assert_eq 64 "$RC" "an unknown option exits 64"
cb status extra
assert_eq 64 "$RC" "an argument exits 64"
assert_contains "$ERR" 'unexpected argument "extra"' "and says which"
cb status --help
assert_contains "$RC $OUT" "0 Usage: centra-bridge [OPTION]... status [--json] [--fail-on-problems]" \
    "status --help"

finish
