#!/usr/bin/env bash
# tests/integration/test_archive.sh
#     The answer archive (CENTRA_ARCHIVE_DIR) against the throwaway cluster
#     and centra-sim: a directory that cannot be used is refused before
#     Centra is asked anything; every answer that held events is kept, whole,
#     mode 0600, named after its run; answers without events are not;
#     "load" of the archive into an empty database (a restore from an old
#     backup) gives exactly the tables of the import, and into the imported
#     one changes nothing; a quarantined event's broken bytes are in its file;
#     a write that fails (a file size limit standing in for a full disk) stores
#     and acknowledges nothing, and import --follow waits and goes on once the
#     disk takes writes again.
source "$(dirname "$0")/simlib.sh"

name_re='^[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-run([0-9]+)-([0-9]+)\.xml$'

# files DIR: the names in DIR, hidden ones included, one a line, sorted.
files() {
    ls -A "$1" | sort
}

# ============================================================================
# 1. A directory that cannot be used
# ============================================================================
start_sim --orders 20 --seed 5 || finish
fresh_db
: >"$cb_tmp/a-file"
for dir in "$cb_tmp/missing" "$cb_tmp/a-file"; do
    CENTRA_ARCHIVE_DIR=$dir cb import --once
    assert_eq 78 "$RC" "CENTRA_ARCHIVE_DIR=\"$dir\": import exits 78" "$ERR"
done
CENTRA_ARCHIVE_DIR=$cb_tmp/missing cb import --once
assert_contains "$ERR" "CENTRA_ARCHIVE_DIR \"$cb_tmp/missing\" cannot be used: No such file or directory" \
    "a missing directory is named, with the reason"
assert_contains "$ERR" "Create the directory" "and the hint says what to do"
CENTRA_ARCHIVE_DIR=$cb_tmp/a-file cb import --once
assert_contains "$ERR" "CENTRA_ARCHIVE_DIR \"$cb_tmp/a-file\" is not a directory" "a file is not a directory"
sim_state
asked=$(state events_Get)
assert_eq "0|0" "${asked:-0}|$(q "$DB" "SELECT count(*) FROM centra.events")" \
    "Centra was not asked anything, nothing was stored"
CENTRA_ARCHIVE_DIR=$cb_tmp/a-file cb sync
assert_eq 78 "$RC" "sync refuses it too, before it begins"
assert_not_contains "$ERR" "export was skipped" "(not as an error of the import that skips the export)"
CENTRA_ARCHIVE_DIR=$cb_tmp/a-file cb run
assert_eq 78 "$RC" "so does run, before it starts its workers"
assert_not_contains "$ERR" "worker" "(no worker was started)"
CENTRA_ARCHIVE_DIR=$cb_tmp/a-file cb check
assert_contains "$OUT" "FAIL  configuration   CENTRA_ARCHIVE_DIR \"$cb_tmp/a-file\" is not a directory" \
    "check says it in a FAIL line"
stop_sim

# ============================================================================
# 2. Every answer that held events, kept whole
# ============================================================================
start_sim --orders 300 --seed 9 || finish
fresh_db
imported=$DB
arc=$cb_tmp/archive
mkdir "$arc"
CENTRA_ARCHIVE_DIR=$arc cb -v import --once
assert_eq 0 "$RC" "import --once with an archive exits 0" "$ERR"
complete "$DB" "import with an archive"
total=$(state events_total)
run_id=$(q "$DB" "SELECT run_id FROM centra.runs WHERE command = 'import'")
mapfile -t kept < <(files "$arc")
assert_eq $(((total + 99) / 100)) "${#kept[@]}" \
    "one file per answer that held events ($total events), none for the empty last one"
bad_names=0 bad_modes=0 n=0
for f in "${kept[@]}"; do
    n=$((n + 1))
    if [[ ! $f =~ $name_re ]] || [[ ${BASH_REMATCH[1]} != "$run_id" || ${BASH_REMATCH[2]} != "$n" ]]; then
        bad_names=$((bad_names + 1))
    fi
    [[ $(stat -c %a "$arc/$f") == 600 ]] || bad_modes=$((bad_modes + 1))
done
assert_eq "0|0" "$bad_names|$bad_modes" \
    "named TIME-run$run_id-N.xml in the order they came (${kept[*]}), mode 0600"
assert_eq "$total" "$(cat "$arc"/*.xml | grep -o '<ns1:event>' | wc -l)" "the files hold every event"
assert_contains "$ERR" "answer kept in \"$arc/${kept[0]}\"" "the log names each file (-v)"
CENTRA_ARCHIVE_DIR=$arc cb import --once
assert_eq "0|${#kept[@]}" "$RC|$(files "$arc" | wc -l)" "an empty queue adds no file"

# A restore from a backup older than the import: the archive brings it all back.
baseline=$(checksum "$DB" run_id source)
fresh_db
cb load "$arc"/*.xml
assert_eq 0 "$RC" "load of the archive into an empty database exits 0" "$ERR"
assert_eq "$baseline" "$(checksum "$DB" run_id source)" \
    "the staging tables are exactly those of the import"
assert_eq "$total|0" "$(q "$DB" "SELECT count(*), count(done_at) FROM centra.events")" \
    "every event, none marked acknowledged (load acknowledges nothing)"
cb load "$arc"/*.xml
assert_eq "0|$baseline" "$RC|$(checksum "$DB" run_id source)" "loading it again changes nothing"
DB=$imported
cb load "$arc"/*.xml
assert_eq "0|$baseline" "$RC|$(checksum "$DB" run_id source)" \
    "nor does loading it into the imported database"
stop_sim

# A quarantined event: its broken bytes are in the archive, and a load quarantines it the same way.
start_sim --orders 300 --seed 9 --fault malformed || finish
fresh_db
rm -rf "$arc" && mkdir "$arc"
CENTRA_ARCHIVE_DIR=$arc cb import --once
assert_eq 1 "$RC" "fault malformed: import exits 1 (one event quarantined)"
assert_eq 1 "$(grep -l '<ns1:ordernumber>[^<]*</ns1:id>' "$arc"/*.xml | wc -l)" \
    "the broken </ns1:id> is in one archived file, as Centra sent it"
raw=$(q "$DB" "SELECT md5(raw) FROM centra.events WHERE status = 'quarantined'")
fresh_db
cb load "$arc"/*.xml
assert_eq "1|$raw" "$RC|$(q "$DB" "SELECT md5(raw) FROM centra.events WHERE status = 'quarantined'")" \
    "load of the archive quarantines the same bytes"
stop_sim

# ============================================================================
# 3. A write that fails: nothing stored, nothing acknowledged
# ============================================================================
# A file size limit of 1000 kB (an answer of 100 events is about 1.6 MB) makes
# write() fail with EFBIG, as a full disk fails it with ENOSPC (the program ignores
# SIGXFSZ, which would otherwise kill it).
start_sim --orders 300 --seed 9 || finish
fresh_db
rm -rf "$arc" && mkdir "$arc"
(
    ulimit -S -f 1000
    CENTRA_ARCHIVE_DIR=$arc cb import --once
    echo "$RC" >"$cb_tmp/rc"
)
RC=$(cat "$cb_tmp/rc")
ERR=$(cat "$cb_tmp/err")
assert_eq 74 "$RC" "a failed write to the archive: import exits 74" "$ERR"
assert_contains "$ERR" "could not write the answer archive file \"$arc/.incoming-" \
    "the error names the file being written"
assert_contains "$ERR" "File too large" "and the reason"
assert_contains "$ERR" "Nothing of this answer was stored or acknowledged" "the hint says what it means"
sim_state
assert_eq "0|0|$(state events_total)" \
    "$(q "$DB" "SELECT count(*) FROM centra.events")|$(state acknowledged_count)|$(state queue_length)" \
    "nothing stored, nothing acknowledged, the queue as it was"
assert_eq "" "$(files "$arc")" "no file is left behind, whole or partial"

# sync: the export does not need the archive, so it runs all the same.
q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
    VALUES ('warehouses_Update', 'warehouse:W1', '{\"id\": \"W1\", \"description\": \"Main\"}')" >/dev/null
(
    ulimit -S -f 1000
    CENTRA_ARCHIVE_DIR=$arc cb sync
    echo "$RC" >"$cb_tmp/rc"
)
assert_eq "74|sent|0" "$(cat "$cb_tmp/rc")|$(q "$DB" "SELECT status FROM centra_outbox.messages")|$(q "$DB" "SELECT count(*) FROM centra.events")" \
    "sync: the import fails (74), the export sends the outbox all the same"
assert_eq "" "$(files "$arc")" "and leaves no file"

# import --follow waits and tries again; once writes work again, it goes on.
(
    ulimit -S -f 1000
    exec env CENTRA_ARCHIVE_DIR="$arc" CENTRA_POLL_INTERVAL=1s "$CB_BIN" import --follow \
        </dev/null >/dev/null 2>"$cb_tmp/follow.err"
) &
pid=$!
bg_pids+=("$pid")
wait_for 20 'grep -q "trying again" "$cb_tmp/follow.err"'
cb_report $? "import --follow logs the failed write and tries again" "$(cat "$cb_tmp/follow.err")"
kill -0 "$pid" 2>/dev/null
cb_report $? "and keeps running"
prlimit --pid "$pid" --fsize=unlimited:
wait_sim eval '[[ $(state queue_length) == 0 ]]'
cb_report $? "once the file size limit is lifted, it drains the queue" "$(tail -n 5 "$cb_tmp/follow.err")"
kill -TERM "$pid"
wait "$pid"
assert_eq 0 "$?" "SIGTERM stops it with exit 0"
complete "$DB" "import --follow after failed writes"
assert_eq $(((total + 99) / 100)) "$(files "$arc" | grep -cE "$name_re")" \
    "one file per answer, and no temporary file left ($(files "$arc" | xargs))"
[[ $(files "$arc" | wc -l) == $(((total + 99) / 100)) ]]
cb_report $? "nothing else in the directory"
stop_sim

# --on-malformed=stop holds the broken answer back (it stays broken until acknowledged):
# kept the first time, for the events stored from it (a later run acknowledges them), not
# again at every try, where it brings nothing new.
start_sim --orders 300 --seed 9 --fault malformed || finish
fresh_db
rm -rf "$arc" && mkdir "$arc"
for i in 1 2 3; do
    CENTRA_ARCHIVE_DIR=$arc cb import --once --on-malformed=stop
done
assert_eq "1|1|1" "$RC|$(files "$arc" | wc -l)|$(grep -l '<ns1:ordernumber>[^<]*</ns1:id>' "$arc"/*.xml | wc -l)" \
    "--on-malformed=stop, three times: exit 1, the answer it holds back kept once"
CENTRA_ARCHIVE_DIR=$arc cb import --once
complete "$DB" "after --on-malformed=stop"
# archived_ids: the event ids the archive holds, sorted, one a line.
archived_ids() {
    python3 -c '
import re, sys
ids = set()
for f in sys.argv[1:]:
    ids.update(re.findall(r"<ns1:event>\s*<ns1:id>(\d+)</ns1:id>", open(f, encoding="utf-8", errors="replace").read()))
print("\n".join(sorted(ids, key=int)))' "$arc"/*.xml
}
assert_eq "$(q "$DB" "SELECT event_id FROM centra.events ORDER BY event_id")" "$(archived_ids)" \
    "every event stored (and acknowledged) is in the archive"
stop_sim

finish
fresh_db
rm -rf "$arc" && mkdir "$arc"
for i in 1 2 3; do
    CENTRA_ARCHIVE_DIR=$arc cb import --once --on-malformed=stop
done
assert_eq "1|0" "$RC|$(cat "$arc"/*.xml /dev/null | grep -c '<ns1:ordernumber>[^<]*</ns1:id>')" \
    "--on-malformed=stop, three times: exit 1, the answer it holds back is in no file"
held=$(files "$arc" | wc -l)
CENTRA_ARCHIVE_DIR=$arc cb import --once
sim_state
total=$(state events_total)
assert_eq "0|$(((total + 99) / 100))|$total" "$RC|$(files "$arc" | wc -l)|$(cat "$arc"/*.xml | grep -o '<ns1:event>' | wc -l)" \
    "without it, the held answer comes again and is acknowledged: one file per answer, each event once ($held files before)"
stop_sim

finish
