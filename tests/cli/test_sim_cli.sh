#!/usr/bin/env bash
# tests/cli/test_sim_cli.sh
#     centra-sim's command line, black-box: help, version, every usage error
#     with its exact message and exit code, start-up failures, the URL on
#     stdout and in --url-file, answering over HTTP, stopping on SIGTERM and
#     SIGINT, and the password kept out of output and the process list.
#
# Environment (set by CTest): CB_SIM_BIN (the centra-sim binary), CB_VERSION,
# CB_SOURCE_DIR, plus what tests/integration/lib.sh needs.  No database.
# Every server started here is killed at exit, whatever happened.
source "$(dirname "$0")/../integration/lib.sh"

: "${CB_SIM_BIN:?CB_SIM_BIN must name the centra-sim binary}"
: "${CB_VERSION:?CB_VERSION must give the project version}"
unset CENTRA_SIM_PASSWORD

sim_pids=()
sim_cleanup() {
    local pid
    for pid in "${sim_pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    cb_cleanup
}
trap sim_cleanup EXIT

# run_sim ARG...: run centra-sim to completion (at most 20 s, so an option
# that should fail but starts a server fails the check instead of hanging);
# sets RC, OUT (stdout) and ERR (stderr).
run_sim() {
    timeout 20 "$CB_SIM_BIN" "$@" </dev/null >"$cb_tmp/out" 2>"$cb_tmp/err"
    RC=$?
    OUT=$(cat "$cb_tmp/out")
    ERR=$(cat "$cb_tmp/err")
}

# start_sim ARG...: start centra-sim in the background and wait for the URL
# on its stdout; sets SIM_PID, SIM_URL, SIM_BASE (http://127.0.0.1:PORT) and
# SIM_OUT/SIM_ERR (the files its stdout and stderr go to).  Returns 1 if no
# URL came within 20 s or the process died.
start_sim() {
    local n=$((${#sim_pids[@]} + 1)) i
    SIM_OUT=$cb_tmp/sim$n.out
    SIM_ERR=$cb_tmp/sim$n.err
    "$CB_SIM_BIN" "$@" </dev/null >"$SIM_OUT" 2>"$SIM_ERR" &
    SIM_PID=$!
    sim_pids+=("$SIM_PID")
    SIM_URL=''
    SIM_BASE=''
    for ((i = 0; i < 400; i++)); do
        # read fails until the line is complete.
        read -r SIM_URL <"$SIM_OUT" && break
        SIM_URL=
        kill -0 "$SIM_PID" 2>/dev/null || break
        sleep 0.05
    done
    [[ $SIM_URL =~ ^(http://[^/]+)/ ]] && SIM_BASE=${BASH_REMATCH[1]}
    [[ -n $SIM_BASE ]]
}

# stop_sim SIGNAL: send SIGNAL to the server started last, wait at most 20 s;
# sets SIM_RC (124 if it did not stop).
stop_sim() {
    local i
    kill -"$1" "$SIM_PID" 2>/dev/null
    for ((i = 0; i < 400; i++)); do
        kill -0 "$SIM_PID" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$SIM_PID" 2>/dev/null; then
        kill -KILL "$SIM_PID"
        wait "$SIM_PID" 2>/dev/null
        SIM_RC=124
        return
    fi
    wait "$SIM_PID"
    SIM_RC=$?
}

# http METHOD URL [BODY]: sets HTTP_STATUS and HTTP_BODY.  curl when it is
# installed, otherwise a raw HTTP/1.1 request over bash's /dev/tcp.
http() {
    local method=$1 url=$2 body=${3:-}
    if command -v curl >/dev/null; then
        HTTP_STATUS=$(curl -s -o "$cb_tmp/http" -w '%{http_code}' -X "$method" \
            -H 'Content-Type: text/xml; charset=utf-8' --data-binary "$body" "$url")
        HTTP_BODY=$(cat "$cb_tmp/http")
        return
    fi
    local rest=${url#http://} hostport path fd response
    hostport=${rest%%/*}
    path=/${rest#*/}
    exec {fd}<>"/dev/tcp/${hostport%:*}/${hostport##*:}" || {
        HTTP_STATUS=000 HTTP_BODY=
        return
    }
    printf '%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n' \
        "$method" "$path" "$hostport" >&"$fd"
    printf 'Content-Type: text/xml; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s' \
        "$(printf '%s' "$body" | wc -c)" "$body" >&"$fd"
    response=$(cat <&"$fd")
    exec {fd}>&-
    HTTP_STATUS=$(head -n 1 <<<"$response" | cut -d ' ' -f 2)
    HTTP_BODY=${response#*$'\r\n\r\n'}
}

# soap_events_get PASSWORD: call events_Get with the default user and PASSWORD.
soap_events_get() {
    http POST "$SIM_URL" '<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<events_GetRequest xmlns="http://www.centra.com/webservices/"><login>
<username>centra-sim</username><password>'"$1"'</password></login><type>all</type>
</events_GetRequest></soap:Body></soap:Envelope>'
}

hint='centra-sim: hint: Try "centra-sim --help" for more information.'

# --- help and version -------------------------------------------------------------
run_sim --help
assert_eq 0 "$RC" "--help exits 0"
assert_eq "" "$ERR" "--help writes nothing to stderr"
assert_contains "$OUT" "Usage: centra-sim [OPTION]..." "--help shows the usage"
help=$OUT
options=(listen path flavor style response-style username orders seed events fault url-file discard-updates
    gzip tls-cert tls-key state-file verbose quiet help version)
for opt in "${options[@]}"; do
    assert_contains "$help" "--$opt" "--help lists --$opt"
done
# Nothing listed that the table above (and so the checks below) misses.
mapfile -t listed < <(grep -oE -- '--[a-z][a-z-]*' <<<"$help" | sort -u)
assert_eq "$(printf -- '--%s\n' "${options[@]}" | sort -u)" "$(printf '%s\n' "${listed[@]}")" \
    "--help lists exactly the options tested here"
assert_contains "$help" "  -v, --verbose" "--help gives -v for --verbose"
assert_contains "$help" "  -q, --quiet" "--help gives -q for --quiet"
assert_contains "$help" "  -h, --help" "--help gives -h for --help"
assert_contains "$help" "  -V, --version" "--help gives -V for --version"
assert_contains "$help" "CENTRA_SIM_PASSWORD" "--help says where the password comes from"
fault_kinds=(http_500 http_503 http_429 soap_fault delay drop truncate malformed invalid_chars
    repeat slow_done huge endless html_200 refuse twice accepted_errors)
help_kinds=$(sed -n '/kinds:/,/--url-file/p' <<<"$help" | sed '1s/.*kinds://;$d' |
    tr -s ' \n' '\n' | sed '/^$/d')
assert_eq "$(printf '%s\n' "${fault_kinds[@]}")" "$help_kinds" "--help lists every fault kind"
run_sim -h
assert_eq "0|$help" "$RC|$OUT" "-h prints the same help"

run_sim --version
assert_eq 0 "$RC" "--version exits 0"
assert_eq "centra-sim $CB_VERSION" "$OUT" "--version prints the project version"
assert_eq "" "$ERR" "--version writes nothing to stderr"
cb_version=$("$CB_BIN" --version)
assert_eq "${cb_version#centra-bridge }" "${OUT#centra-sim }" \
    "centra-sim and centra-bridge report the same version"
run_sim -V
assert_eq "0|centra-sim $CB_VERSION" "$RC|$OUT" "-V prints the version"

# --- usage errors: exit 64, PostgreSQL frontend style, nothing on stdout ----------------
expect_usage() { # DESCRIPTION EXPECTED-FIRST-LINE ARG...
    local what=$1 expected=$2
    shift 2
    run_sim "$@"
    assert_eq 64 "$RC" "$what exits 64"
    assert_eq "$expected"$'\n'"$hint" "$ERR" "$what says why"
    assert_eq "" "$OUT" "$what prints nothing on stdout"
}
expect_usage "an unknown option" 'centra-sim: error: unrecognized option "--bogus"' --bogus
expect_usage "--tls-cert without --tls-key" 'centra-sim: error: --tls-cert and --tls-key go together' \
    --tls-cert=/nonexistent.pem
expect_usage "an unknown short option" 'centra-sim: error: unrecognized option "-x"' -x
expect_usage "an unknown option first in a cluster" \
    'centra-sim: error: unrecognized option "-x"' -xv
expect_usage "an unknown option last in a cluster" \
    'centra-sim: error: unrecognized option "-x"' -vx
expect_usage "a value for a flag" 'centra-sim: error: option "--version" does not take a value' \
    --version=1
expect_usage "a password option (its value not echoed)" \
    'centra-sim: error: unrecognized option "--password"' --password=hunter2
expect_usage "an extra argument" 'centra-sim: error: unexpected argument "now"' now
for opt in listen path flavor style response-style username orders seed events fault url-file \
    state-file; do
    expect_usage "--$opt without a value" "centra-sim: error: option \"--$opt\" requires a value" \
        "--$opt"
done
for bad in -1 abc huge 50000001 99999999999999999999 "" " 5" 5x 1e3; do
    [[ $bad == huge ]] && bad=18446744073709551617
    expect_usage "--orders \"$bad\"" \
        "centra-sim: error: invalid --orders \"$bad\" (0 to 50000000)" "--orders=$bad"
done
expect_usage "--seed \"x\"" 'centra-sim: error: invalid --seed "x"' --seed=x
for bad in nope 127.0.0.1 127.0.0.1: 127.0.0.1:x 127.0.0.1:-1 127.0.0.1:65536 :8080 \
    localhost:0 256.1.1.1:0 ::1:0; do
    expect_usage "--listen \"$bad\"" \
        "centra-sim: error: invalid --listen \"$bad\" (HOST:PORT, HOST an IPv4 address)" \
        "--listen=$bad"
done
for bad in soap/api /_sim /_sim/state ""; do
    expect_usage "--path \"$bad\"" \
        "centra-sim: error: invalid --path \"$bad\" (starts with / and not /_sim)" "--path=$bad"
done
for bad in SOAP rest ""; do
    expect_usage "--flavor \"$bad\"" \
        "centra-sim: error: invalid --flavor \"$bad\" (soap or navision)" "--flavor=$bad"
done
for bad in 9ns -ns .ns "ns 1" "" "ns1:" xmlns XMLx SOAP-ENV ns_with_a_name_longer_than_32_chars; do
    expect_usage "--style \"$bad\"" \
        "centra-sim: error: invalid --style \"$bad\" (a prefix such as ns1, or default)" \
        "--style=$bad"
done
for bad in OK results ""; do
    expect_usage "--response-style \"$bad\"" \
        "centra-sim: error: invalid --response-style \"$bad\" (result or ok)" \
        "--response-style=$bad"
done

# Fault specifications: the unknown kind's detail names exactly the kinds of --help.
run_sim --fault=http_418
assert_eq 64 "$RC" "an unknown fault kind exits 64"
quoted=$(printf '"%s", ' "${fault_kinds[@]}")
quoted=${quoted%, }
quoted="${quoted%, *} and ${quoted##*, }"
assert_eq 'centra-sim: error: unknown fault "http_418"
centra-sim: detail: Faults are '"$quoted"'.
'"$hint" "$ERR" "an unknown fault kind: error, then detail, then hint"
assert_eq "" "$OUT" "an unknown fault kind prints nothing on stdout"
expect_fault() { # SPEC EXPECTED-ERROR
    expect_usage "--fault \"$1\"" "centra-sim: error: $2" "--fault=$1"
}
expect_fault "" 'empty fault specification'
expect_fault "http_500:count=x" 'invalid fault option "count=x"'
expect_fault "http_500:count=0" 'invalid fault option "count=0"'
expect_fault "http_500:count" 'fault option "count" needs a value (key=value)'
expect_fault "delay:ms=-5" 'invalid fault option "ms=-5"'
expect_fault "http_500:colour=red" 'invalid fault option "colour=red"'
expect_fault "http_500:op=nothing" 'unknown operation "nothing" in a fault'
expect_fault "http_500:count=2:rate=0.5" 'a fault takes count or rate, not both'
expect_fault "http_429:ms=5" \
    'fault http_429 takes no ms (ms is for delay, slow_done and endless, retry_after for http_429, bytes for huge)'
expect_fault "delay:retry_after=5" \
    'fault delay takes no retry_after (ms is for delay, slow_done and endless, retry_after for http_429, bytes for huge)'
expect_fault "delay:bytes=5" \
    'fault delay takes no bytes (ms is for delay, slow_done and endless, retry_after for http_429, bytes for huge)'
expect_fault "huge:bytes=0" 'invalid fault option "bytes=0"'
for rate in 0 1.5 -0.1 nan inf x ""; do
    expect_fault "http_500:rate=$rate" "fault rate \"$rate\" is not in (0, 1]"
done

# --- start-up failures: the error table's exit codes, one log line, nothing on stdout ---
expect_start_failure() { # DESCRIPTION EXIT-CODE MESSAGE ARG...
    local what=$1 code=$2 message=$3
    shift 3
    run_sim "$@"
    assert_eq "$code" "$RC" "$what exits $code"
    assert_eq "" "$OUT" "$what prints no URL"
    assert_eq "${LINES_EXPECTED:-1}" "$(grep -c '' <<<"$ERR")" \
        "$what logs ${LINES_EXPECTED:-1} line(s)"
    assert_contains "$ERR" "ERROR: $message" "$what says why"
}
missing=$cb_tmp/no-such-events.xml
expect_start_failure "--events naming a missing file" 66 \
    "could not open \"$missing\": No such file or directory" --events="$missing"
typo=$CB_SOURCE_DIR/tests/fixtures/guide/dtc_order_event_with_guide_typo.xml
expect_start_failure "--events naming a malformed file" 65 \
    "event file \"$typo\": malformed XML at line 15, column 36: mismatched tag" --events="$typo"
expect_start_failure "--url-file in a missing directory" 74 \
    "could not write --url-file \"$cb_tmp/none/url\": No such file or directory" \
    --url-file="$cb_tmp/none/url"
if start_sim; then
    busy=${SIM_BASE#http://}
    LINES_EXPECTED=2 expect_start_failure "--listen on a port in use" 74 \
        "could not listen on $busy: Address already in use" --listen="$busy"
    assert_contains "$ERR" "hint: Another program uses that port" \
        "--listen on a port in use hints at a way out"
    stop_sim TERM
fi

CENTRA_SIM_PASSWORD= run_sim
assert_eq 64 "$RC" "an empty CENTRA_SIM_PASSWORD is refused"
assert_contains "$ERR" "centra-sim: error: CENTRA_SIM_PASSWORD is set but empty" \
    "an empty CENTRA_SIM_PASSWORD says so"
assert_eq "" "$OUT" "an empty CENTRA_SIM_PASSWORD prints no URL"

# A recorded event whose id the generated queue already uses takes the next free id.
fixture=$CB_SOURCE_DIR/tests/fixtures/guide/dtc_order_event.xml
if start_sim --orders=200 --events="$fixture"; then
    http GET "$SIM_BASE/_sim/state"
    assert_contains "$HTTP_BODY" '"queue_length":211,' \
        "--events adds its event to the generated queue although its id is taken"
    stop_sim TERM
else
    cb_report 1 "--orders and --events with overlapping ids start" "$(cat "$SIM_ERR")"
fi

# --gzip: an answer compressed for a client that accepts gzip, and only for it.
if start_sim --orders=20 --gzip; then
    request='<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<events_GetRequest xmlns="http://www.centra.com/webservices/"><login>
<username>centra-sim</username><password>centra-sim</password></login><type>all</type>
</events_GetRequest></soap:Body></soap:Envelope>'
    curl -s -D "$cb_tmp/gz.head" -o "$cb_tmp/gz.body" -H 'Accept-Encoding: gzip' \
        -H 'Content-Type: text/xml; charset=utf-8' --data-binary "$request" "$SIM_URL"
    assert_contains "$(tr -d '\r' <"$cb_tmp/gz.head")" $'\nContent-Encoding: gzip\n' \
        "--gzip: an answer to a client accepting gzip says Content-Encoding: gzip"
    plain=$(gzip -dc <"$cb_tmp/gz.body")
    assert_eq "21" "$(grep -o '<ns1:event>' <<<"$plain" | wc -l | tr -d ' ')" \
        "--gzip: it unpacks with gzip to the answer with its 21 events (20 orders, 1 other)"
    curl -s -D "$cb_tmp/plain.head" -o "$cb_tmp/plain.body" \
        -H 'Content-Type: text/xml; charset=utf-8' --data-binary "$request" "$SIM_URL"
    assert_not_contains "$(cat "$cb_tmp/plain.head")" "Content-Encoding" \
        "--gzip: a client that does not accept gzip gets the answer as it is"
    assert_eq "$plain" "$(cat "$cb_tmp/plain.body")" "--gzip: the same answer, unpacked"
    http GET "$SIM_BASE/_sim/state"
    assert_contains "$HTTP_BODY" '"gzip_responses":1,' "--gzip: /_sim/state counts one compressed answer"
    stop_sim TERM
else
    cb_report 1 "--gzip starts" "$(cat "$SIM_ERR")"
fi

# --- a normal start -----------------------------------------------------------------
url_file=$cb_tmp/sim.url
start_sim --url-file="$url_file" --orders=1000
cb_report $? "--orders 1000 starts and prints a URL" "stderr: $(cat "$SIM_ERR")"
assert_contains "$SIM_URL" "http://127.0.0.1:" "the URL is on 127.0.0.1"
[[ $SIM_URL =~ ^http://127\.0\.0\.1:([0-9]+)/ams/system/service/module/soap/api$ ]]
cb_report $? "the URL is http://127.0.0.1:PORT/ams/system/service/module/soap/api" "$SIM_URL"
port=${BASH_REMATCH[1]:-0}
[[ $port -gt 0 && $port -lt 65536 ]]
cb_report $? "the port is a real one, not 0" "$port"
assert_eq "$SIM_URL" "$(cat "$url_file" 2>&1)" "--url-file holds the same URL"
assert_eq 1 "$(grep -c '' "$url_file" 2>/dev/null)" "--url-file is one line"
shopt -s nullglob
leftovers=("$url_file".tmp.*)
shopt -u nullglob
assert_eq 0 "${#leftovers[@]}" "no temporary file is left beside --url-file"
assert_eq 1 "$(grep -c '' "$SIM_OUT")" "stdout holds only the URL"
http GET "$SIM_BASE/_sim/state"
assert_eq 200 "$HTTP_STATUS" "GET /_sim/state answers 200"
assert_contains "$HTTP_BODY" '"queue_length":1050,' \
    "1000 order events and one other every 20 are queued"
assert_contains "$HTTP_BODY" '"seed":1,' "the default seed is 1"
http GET "$SIM_BASE/nowhere"
assert_eq 404 "$HTTP_STATUS" "an unknown path answers 404"
# Issue 3's "done when": a client drains and acknowledges the whole queue.
drained=$("$CB_BUILD_DIR/tests/bench_sim" --url "$SIM_URL" 2>&1)
assert_eq 0 "$?" "a client drains the queue of --orders 1000" "$drained"
assert_contains "$drained" "drained 1050 events" "it acknowledges every one of the 1050 events"
http GET "$SIM_BASE/_sim/state"
assert_contains "$HTTP_BODY" '"queue_length":0,' "the queue is empty after the drain"
assert_contains "$HTTP_BODY" '"acknowledged_count":1050,' "all 1050 events were acknowledged"
stop_sim TERM
assert_eq 0 "$SIM_RC" "SIGTERM stops it with exit 0"
[[ ! -e $url_file ]]
cb_report $? "SIGTERM removes --url-file"
assert_contains "$(cat "$SIM_ERR")" "centra-sim stopping (signal 15)" "it logs the signal"

start_sim --url-file="$url_file" --listen=127.0.0.1:0 --path=/soap --flavor=navision \
    --style=default --response-style=ok --seed=7 --fault=delay:ms=1:count=3 -q
cb_report $? "every option with a valid value starts" "stderr: $(cat "$SIM_ERR")"
assert_eq "$SIM_BASE/soap" "$SIM_URL" "--path is the URL's path"
assert_eq "" "$(cat "$SIM_ERR")" "-q logs nothing while all is well"
http GET "$SIM_BASE/_sim/state"
assert_contains "$HTTP_BODY" '"seed":7,' "--seed is used"
assert_contains "$HTTP_BODY" '"kind":"delay"' "--fault is active from the start"
stop_sim INT
assert_eq 0 "$SIM_RC" "SIGINT stops it with exit 0"
[[ ! -e $url_file ]]
cb_report $? "SIGINT removes --url-file"

# Every kind that --help lists is accepted, all at once.
fault_args=()
for kind in "${fault_kinds[@]}"; do
    fault_args+=("--fault=$kind:op=markets_Update") # an operation the test never calls
done
if start_sim "${fault_args[@]}"; then
    http GET "$SIM_BASE/_sim/state"
    for kind in "${fault_kinds[@]}"; do
        assert_contains "$HTTP_BODY" "\"kind\":\"$kind\"" "--fault=$kind is active"
    done
    stop_sim TERM
else
    cb_report 1 "every fault kind starts" "$(cat "$SIM_ERR")"
fi

# --- --state-file: killed and started again, the same queue ------------------------------
soap_call() { # OPERATION INNER-XML: POST a request with the default login
    http POST "$SIM_URL" '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
<soap:Body><'"$1"' xmlns="http://www.centra.com/webservices/"><login><username>centra-sim</username>
<password>centra-sim</password></login>'"$2"'</'"$1"'></soap:Body></soap:Envelope>'
}
# sim_snapshot: the state (without the per-operation counters and faults, which
# are not kept), the request log (without arrival times) and what events_Get serves.
sim_snapshot() {
    http GET "$SIM_BASE/_sim/state"
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.pop("requests"); d.pop("faults")
print(json.dumps(d, sort_keys=True))' "$HTTP_BODY"
    http GET "$SIM_BASE/_sim/requests"
    python3 -c 'import json,sys; print([(r["seq"], r["op"], r["body"]) for r in json.loads(sys.argv[1])])' \
        "$HTTP_BODY"
    soap_call events_Get ''
    printf '%s\n' "$HTTP_BODY"
}
state_file=$cb_tmp/sim.state
expect_start_failure "--state-file in a missing directory" 74 \
    "could not open state file \"$cb_tmp/none/state\": No such file or directory" \
    --state-file="$cb_tmp/none/state"
if start_sim --orders=300 --state-file="$state_file" --fault=malformed:count=1:op=events_Get; then
    soap_call events_Done '<event>1</event><event>2</event><event>7</event>'
    soap_call events_Get '' # spoils an order event (the fault)
    soap_call orders_Update '<orders><order><id>100003</id><status>confirmed</status></order></orders>'
    assert_contains "$HTTP_BODY" "<ns1:success>true</ns1:success>" "an order update succeeds"
    soap_call products_Update '<products><product><id>NOPE</id><variations><variation><id>1</id></variation></variations></product></products>'
    http POST "$SIM_BASE/_sim/events?ids=new" \
        '<events><event><type>customer</type><entry>9</entry><data><customer><id>9</id></customer></data></event></events>'
    http POST "$SIM_BASE/_sim/faults?kind=slow_done&ms=60000"
    # Acknowledged, the answer held back, killed before it is sent.
    curl -s -m 1 -o /dev/null -H 'Content-Type: text/xml' --data-binary '<soap:Envelope
        xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><events_Done
        xmlns="http://www.centra.com/webservices/"><login><username>centra-sim</username>
        <password>centra-sim</password></login><event>3</event></events_Done></soap:Body>
        </soap:Envelope>' "$SIM_URL"
    http POST "$SIM_BASE/_sim/faults?clear=1"
    before=$(sim_snapshot)
    assert_contains "$before" '"acknowledged_ids": [1, 2, 7, 3]' "the acknowledgements are in the state"
    assert_contains "$before" '</ns1:id>' "a spoiled event is served" # the guide's typo
    kill -KILL "$SIM_PID"
    wait "$SIM_PID" 2>/dev/null
    assert_not_contains "$(cat "$state_file")" "centra-sim</password>" \
        "the state file does not hold the password"
    if start_sim --orders=300 --state-file="$state_file"; then
        assert_eq "$before" "$(sim_snapshot)" \
            "after SIGKILL, the same queue, acknowledgements, objects, request log and spoiled event"
        assert_contains "$(cat "$SIM_ERR")" "replayed 6 records" "it logs what it replayed"
        soap_call events_Done '<event>4</event>'
        kill -KILL "$SIM_PID"
        wait "$SIM_PID" 2>/dev/null
    else
        cb_report 1 "a killed simulator starts again from its state file" "$(cat "$SIM_ERR")"
    fi
    # A record cut short by the kill is dropped and cut off the file.
    size=$(stat -c %s "$state_file")
    printf 'D 9\n5 6' >>"$state_file"
    if start_sim --orders=300 --state-file="$state_file"; then
        http GET "$SIM_BASE/_sim/state"
        assert_contains "$HTTP_BODY" '"acknowledged_ids":[1,2,7,3,4]' \
            "the acknowledgement after the restart is kept, the cut record is not"
        assert_contains "$(cat "$SIM_ERR")" "dropped an incomplete last record (7 bytes)" \
            "a cut record is reported"
        assert_eq "$size" "$(stat -c %s "$state_file")" "the cut record is removed from the file"
        stop_sim TERM
    else
        cb_report 1 "a state file with a cut last record is replayed" "$(cat "$SIM_ERR")"
    fi
    LINES_EXPECTED=3 expect_start_failure "a state file of other --orders" 65 \
        "state file \"$state_file\" belongs to another queue" --orders=301 \
        --state-file="$state_file"
    assert_contains "$ERR" "hint: Start with the --orders and --seed it was written with" \
        "a state file of another queue: the hint"
    LINES_EXPECTED=3 expect_start_failure "a state file that is not one" 65 \
        "\"$fixture\" is not a centra-sim state file" --state-file="$fixture"
else
    cb_report 1 "--state-file starts" "$(cat "$SIM_ERR")"
fi

# --- the password: used, never shown ---------------------------------------------------
password='pw-Ünïcode&<s3cr3t>'
CENTRA_SIM_PASSWORD=$password start_sim -v --orders=3
cb_report $? "a verbose simulator starts" "stderr: $(cat "$SIM_ERR")"
soap_events_get "$(sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g' <<<"$password")"
assert_eq 200 "$HTTP_STATUS" "the password from CENTRA_SIM_PASSWORD logs in"
assert_contains "$HTTP_BODY" "<ns1:entry>100001</ns1:entry>" "and events_Get answers events"
soap_events_get centra-sim
assert_eq 500 "$HTTP_STATUS" "the default password no longer logs in"
assert_contains "$HTTP_BODY" "Login failed" "a wrong password answers a login fault"
cmdline=$(tr '\0' ' ' <"/proc/$SIM_PID/cmdline")
assert_contains "$cmdline" "--orders=3" "/proc/PID/cmdline shows the arguments"
assert_not_contains "$cmdline" "s3cr3t" "/proc/PID/cmdline does not show the password"
if command -v ps >/dev/null; then
    assert_not_contains "$(ps -ww -o args= -p "$SIM_PID")" "s3cr3t" "ps does not show the password"
fi
http GET "$SIM_BASE/_sim/requests"
assert_not_contains "$HTTP_BODY" "s3cr3t" "the request log does not show the password"
stop_sim TERM
assert_eq 0 "$SIM_RC" "the verbose simulator stops with exit 0"
all_output=$(cat "$SIM_OUT" "$SIM_ERR")
assert_contains "$all_output" "DEBUG: POST /ams/system/service/module/soap/api -> 200" \
    "-v logs each request"
assert_not_contains "$all_output" "s3cr3t" "the password is in neither stdout nor stderr"
assert_not_contains "$all_output" "MHD_OPTION_EXTERNAL_LOGGER" \
    "libmicrohttpd's messages all go through the logger"

finish
