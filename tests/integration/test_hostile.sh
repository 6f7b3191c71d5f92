#!/usr/bin/env bash
# tests/integration/test_hostile.sh
#     Hostile answers end to end (issue 7), against centra-sim and the
#     throwaway cluster: a 1 GiB answer that never closes (fault huge) stops
#     at a cap with memory bounded and nothing acknowledged or stored; an
#     answer that never ends (fault endless) times out for import and export
#     and a rerun completes; NUL bytes and invalid UTF-8 in an answer follow
#     the quarantine rule; SQL metacharacters in every text leaf of an order
#     and in an outbox payload are stored and sent verbatim.
#
# The parser-level cases (entity bombs, 10,000-deep nesting, 100 MB text
# nodes, every kind of invalid UTF-8) are in tests/unit/xml/test_hostile.c.
source "$(dirname "$0")/simlib.sh"

if [[ ! -x /usr/bin/time ]]; then
    echo "Bail out! /usr/bin/time is needed (scripts/install-deps.sh installs the time package)"
    exit 1
fi

# peak_rss ARG...: run centra-bridge under /usr/bin/time; sets RC, OUT, ERR and RSS_KB.
peak_rss() {
    timeout -k 5 60 /usr/bin/time -f 'peak_rss_kb=%M' -o "$cb_tmp/time" "$CB_BIN" "$@" \
        </dev/null >"$cb_tmp/out" 2>"$cb_tmp/err"
    RC=$?
    OUT=$(cat "$cb_tmp/out")
    ERR=$(cat "$cb_tmp/err")
    RSS_KB=$(sed -n 's/^peak_rss_kb=//p' "$cb_tmp/time")
}

# nothing_done WHAT: the simulator acknowledged nothing, the database holds no event.
nothing_done() {
    sim_state
    assert_eq "0|0" "$(state acknowledged_count)|$(q "$DB" "SELECT count(*) FROM centra.events")" \
        "$1: nothing acknowledged, no event stored"
}

clear_faults() {
    curl -s -X POST "$SIM_BASE/_sim/faults?clear=1" >/dev/null
}

# ============================================================================
# 1. fault huge: a 1 GiB answer, never closed
# ============================================================================
start_sim --orders 30 --fault huge:count=3 || finish
fresh_db
export CENTRA_RETRIES=0

# The shipped caps: the endless text passes centra_max_text_size (8MB) first.
peak_rss -q import --once
assert_eq 76 "$RC" "huge: import --once exits 76 (Centra's answer is not usable)"
assert_contains "$ERR" "the answer to events_Get has a text longer than 8388608 bytes (centra_max_text_size)" \
    "huge: the error names the text cap and its setting"
assert_eq 1 "$(($RSS_KB < 65536))" "huge: peak RSS ${RSS_KB} kB < 64 MB with the shipped caps"
nothing_done "huge, shipped caps"

# A larger text cap: the answer cap (centra_max_response_size) stops it.
CENTRA_MAX_TEXT_SIZE=256MB CENTRA_MAX_RESPONSE_SIZE=32MB peak_rss import --once
assert_eq 1 "$(($RSS_KB < 65536))" "huge: peak RSS ${RSS_KB} kB < 64 MB at a 32MB answer cap"
nothing_done "huge, 32MB answer cap"
assert_eq "0|0" "$(q "$DB" "SELECT count(*) FROM centra.orders")|$(q "$DB" "SELECT coalesce(sum(events_acknowledged), 0) FROM centra.runs")" \
    "huge, 32MB answer cap: no order stored, no acknowledgement recorded"
assert_eq 76 "$RC" "huge, 32MB answer cap: import exits 76 (not 0 as if the queue were empty)"
assert_contains "$ERR" "the answer to events_Get passed 33554432 bytes (centra_max_response_size) before its first event" \
    "huge, 32MB answer cap: the error names centra_max_response_size"
assert_contains "$ERR" "raise centra_max_response_size" "huge, 32MB answer cap: the hint says what to change"

# The text cap at its maximum (256MB) and a 64MB answer cap: still bounded.
CENTRA_MAX_TEXT_SIZE=256MB CENTRA_MAX_RESPONSE_SIZE=64MB peak_rss -q import --once
assert_eq 1 "$(($RSS_KB < 65536))" "huge: peak RSS ${RSS_KB} kB < 64 MB at a 64MB answer cap"
nothing_done "huge, 64MB answer cap"

# The fault used up: the queue drains.
cb -q import --once
assert_eq 0 "$RC" "huge: once the fault is gone, import --once exits 0"
complete "$DB" "huge: the rerun"
stop_sim

# ============================================================================
# 2. fault endless: an answer that never ends
# ============================================================================
start_sim --orders 10 --fault endless:count=2:op=events_Get || finish
fresh_db
start=$SECONDS
CENTRA_REQUEST_TIMEOUT=2s CENTRA_RETRIES=1 cb import --once
assert_eq 69 "$RC" "endless: import --once exits 69 (Centra unreachable after retries)"
assert_contains "$ERR" "timed out" "endless: the error says the request timed out"
assert_contains "$ERR" "2000 ms for the whole request" "endless: and names the limit"
assert_contains "$ERR" "Gave up after 2 attempts." "endless: after the configured retries"
assert_eq 1 "$((SECONDS - start < 30))" "endless: import gave up within the timeouts ($((SECONDS - start)) s)"
nothing_done "endless import"
cb -q import --once
assert_eq 0 "$RC" "endless: the rerun after the fault exits 0"
complete "$DB" "endless: the rerun"

# Export: the update is applied by Centra but its answer never comes; the
# message is retried, not lost.
clear_faults
curl -s -X POST "$SIM_BASE/_sim/faults?kind=endless&op=markets_Update" >/dev/null
id=$(q "$DB" "INSERT INTO centra_outbox.messages (operation, entity_key, payload) VALUES
    ('markets_Update', 'market:X', '{\"id\":\"X\",\"store\":\"1\",\"description\":\"Endless\"}')
    RETURNING id")
CENTRA_REQUEST_TIMEOUT=2s cb export --once
assert_eq 69 "$RC" "endless: export --once exits 69"
assert_contains "$ERR" "timed out" "endless: export says the request timed out"
assert_eq "pending|1|t" "$(q "$DB" "SELECT status, attempts, last_error LIKE '%timed out%'
    FROM centra_outbox.messages WHERE id = $id")" \
    "endless: the message stays pending, one attempt, the timeout in last_error"
q "$DB" "UPDATE centra_outbox.messages SET next_attempt_at = now() WHERE id = $id" >/dev/null
cb -q export --once
assert_eq "0|sent|2" "$RC|$(q "$DB" "SELECT status, attempts FROM centra_outbox.messages WHERE id = $id" | tr '\n' '|' | sed 's/|$//')" \
    "endless: the rerun sends it (attempt 2)"
stop_sim

# ============================================================================
# 3. NUL bytes and invalid UTF-8 inside an answer (load: the same parser and
#    loader as import; centra-sim re-serialises what it is given, so it cannot
#    serve raw bytes)
# ============================================================================
fresh_db
answer() { # FILE EVENT3-TEXT: three order events, the second's <other> holding EVENT3-TEXT
    {
        printf '<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><events_Get xmlns="http://www.centra.com/webservices/"><events>\n'
        for id in 1 2 3; do
            printf '<event><id>%s</id><type>order</type><entry>%s</entry><mission>update</mission><date>2026-01-05 09:00:00</date><data><order><id>O%s</id><other>' "$id" "$id" "$id"
            if [[ $id == 2 ]]; then printf "$2"; else printf 'fine'; fi
            printf '</other></order></data></event>\n'
        done
        printf '</events></events_Get></SOAP-ENV:Body></SOAP-ENV:Envelope>\n'
    } >"$1"
}
answer "$cb_tmp/nul.xml" 'a\000b\000c'
cb load "$cb_tmp/nul.xml"
assert_eq 0 "$RC" "NUL bytes in a text: load exits 0"
assert_eq "1 applied O1 fine|2 applied O2 a�b�c|3 applied O3 fine" \
    "$(q "$DB" "SELECT e.event_id || ' ' || e.status || ' ' || o.order_id || ' ' || o.buyer_message
        FROM centra.events e JOIN centra.orders o ON o.last_event_id = e.event_id ORDER BY 1" | paste -sd'|')" \
    "NUL bytes in a text: every event applied, each NUL stored as U+FFFD"

fresh_db
answer "$cb_tmp/utf8.xml" 'ab\300\257cd'
cb load "$cb_tmp/utf8.xml"
assert_eq 1 "$RC" "invalid UTF-8 (overlong /): load exits 1 (quarantined)"
assert_eq "1|applied|
2|quarantined|malformed XML at line 4, column 142: not well-formed (invalid token)" \
    "$(q "$DB" "SELECT event_id, status, error FROM centra.events ORDER BY 1" | sed 's/|$/|/')" \
    "invalid UTF-8: the event before it applied, the bad one quarantined with the parser's reason"
assert_eq "t|t" "$(q "$DB" "SELECT position('\\xc0af'::bytea IN raw) > 0, position('<id>3</id>'::bytea IN raw) > 0
    FROM centra.events WHERE event_id = 2")" \
    "invalid UTF-8: its raw bytes are kept as received, up to the end of the answer (event 3 included)"

# ============================================================================
# 4. SQL metacharacters in every text leaf of an order, and in an outbox payload
# ============================================================================
# shellcheck disable=SC2016 # literal $1 and $$
HOSTILE='O'"'"'Brien"; DROP TABLE centra.orders; -- \ \\ $1 $$ %s %% \N E'"'"'\x00'"'"' <![CDATA[ ]]> &amp; 😀'
export HOSTILE
start_sim || finish
fresh_db
# The order event of the simulator fixture with the most leaves, every leaf under
# <data> set to HOSTILE plus " #N" (keys stay distinct); the values, one a line.
python3 - "$CB_SOURCE_DIR/tests/fixtures/sim/orders_seed7.xml" "$cb_tmp/meta.xml" "$cb_tmp/meta.values" <<'EOF'
import os, sys, xml.etree.ElementTree as ET
src, out, values = sys.argv[1:]
hostile = os.environ["HOSTILE"]
root = ET.parse(src).getroot()
local = lambda e: e.tag.rsplit("}", 1)[-1]
events = [e for e in root.iter() if local(e) == "event"
          and any(local(c) == "type" and c.text == "order" for c in e)]
event = max(events, key=lambda e: sum(1 for _ in e.iter()))
data = next(c for c in event if local(c) == "data")
n = 0
vals = []
for e in data.iter():
    if len(e) == 0:
        n += 1
        e.text = "%s #%d" % (hostile, n)
        vals.append(e.text)
ET.ElementTree(event).write(out, encoding="utf-8", xml_declaration=True)
open(values, "w", encoding="utf-8").write("\n".join(vals) + "\n")
EOF
leaves=$(wc -l <"$cb_tmp/meta.values")
resp=$(curl -s --data-binary @"$cb_tmp/meta.xml" "$SIM_BASE/_sim/events?ids=new")
assert_contains "$resp" '"appended":1' "SQL metacharacters: centra-sim queues the order event"
cb -q import --once
assert_eq 0 "$RC" "SQL metacharacters: import --once exits 0"
complete "$DB" "SQL metacharacters"
assert_eq "applied" "$(q "$DB" "SELECT status FROM centra.events")" "SQL metacharacters: the event is applied"
assert_eq 1 "$(q "$DB" "SELECT count(*) FROM pg_tables WHERE schemaname = 'centra' AND tablename = 'orders'")" \
    "SQL metacharacters: centra.orders still exists"
# Every text column of every centra table (from information_schema): each value that
# came from a leaf is one of the values sent, verbatim.
cols=$(q "$DB" "SELECT c.table_name || '.' || c.column_name FROM information_schema.columns c
    JOIN information_schema.tables t USING (table_schema, table_name)
    WHERE c.table_schema = 'centra' AND t.table_type = 'BASE TABLE'
      AND c.data_type IN ('text', 'character varying', 'character')
    ORDER BY 1")
psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" -v prefix="${HOSTILE%% *}" >"$cb_tmp/meta.db" <<EOF
$(for tc in $cols; do
    printf "SELECT '%s', %s FROM centra.%s WHERE %s LIKE :'prefix' || '%%';\n" \
        "$tc" "${tc#*.}" "${tc%%.*}" "${tc#*.}"
done)
EOF
verdict=$(python3 - "$cb_tmp/meta.values" "$cb_tmp/meta.db" <<'EOF'
import sys
sent = set(open(sys.argv[1], encoding="utf-8").read().split("\n")) - {""}
rows = open(sys.argv[2], encoding="utf-8").read().split("\n")
# psql -A prints "table.column|value"; a value may hold "|" but never starts a line
# with anything but its table.column (values hold no newline).
found, bad, cols = set(), [], set()
for line in rows:
    if not line:
        continue
    col, value = line.split("|", 1)
    cols.add(col)
    if value in sent:
        found.add(value)
    elif col.endswith(".sku"):
        pass  # product + variation + size SKUs concatenated
    else:
        bad.append(line)
print("columns=%d found=%d bad=%d" % (len(cols), len(found), len(bad)))
for b in bad[:10]:
    print("BAD " + b)
EOF
)
assert_contains "$verdict" "bad=0" "SQL metacharacters: every text column holds the sent values verbatim"
ncols=$(sed -n 's/^columns=\([0-9]*\).*/\1/p' <<<"$verdict" | head -1)
found=$(sed -n 's/.* found=\([0-9]*\).*/\1/p' <<<"$verdict" | head -1)
assert_eq 1 "$((ncols >= 40 && found >= 40))" \
    "SQL metacharacters: $ncols text columns of $(wc -w <<<"$cols") hold $found of the $leaves values sent ($verdict)"
assert_eq "$HOSTILE #1" "$(q "$DB" "SELECT order_id FROM centra.orders")" \
    "SQL metacharacters: the order's key is the first leaf, verbatim"

# The outbox: a payload whose strings carry the same reaches Centra verbatim.
printf '%s' "INSERT INTO centra_outbox.messages (operation, entity_key, payload)
    VALUES ('markets_Update', 'market:meta', json_build_object('id', :'h', 'store', '1',
        'description', :'h' || ' desc', 'tags', json_build_array(:'h'))) RETURNING id" |
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" -v h="$HOSTILE" >"$cb_tmp/id"
id=$(cat "$cb_tmp/id")
cb -q export --once
assert_eq "0|sent" "$RC|$(q "$DB" "SELECT status FROM centra_outbox.messages WHERE id = $id")" \
    "SQL metacharacters: the outbox message is sent"
got=$(curl -s "$SIM_BASE/_sim/requests?op=markets_Update" | python3 -c '
import json, sys, xml.etree.ElementTree as ET
body = json.load(sys.stdin)[-1]["body"]
root = ET.fromstring(body.encode("utf-8"))
for e in root.iter():
    name = e.tag.rsplit("}", 1)[-1]
    if name in ("id", "description", "tags") and e.text and e.text.startswith("O"):
        print(name + "=" + e.text)')
assert_eq "id=$HOSTILE
description=$HOSTILE desc
tags=$HOSTILE" "$got" "SQL metacharacters: the XML centra-sim received carries every string verbatim"
raw=$(curl -s "$SIM_BASE/_sim/requests?op=markets_Update" | python3 -c '
import json, sys; print(json.load(sys.stdin)[-1]["body"])')
assert_contains "$raw" "&lt;![CDATA[ ]]&gt; &amp;amp; 😀" "SQL metacharacters: escaped as text in the request"

finish
