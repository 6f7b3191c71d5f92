#!/usr/bin/env bash
# tests/bench/bench_backlog.sh
#     Backlog catch-up ("make bench"): a queue of CB_BENCH_BACKLOG events
#     (default 1,000,000, as after a week of ERP downtime) in centra-sim,
#     drained by one "import --once" into PostgreSQL (fsync on).  Prints the
#     time to drain, events/s and the peak memory of centra-bridge and of
#     centra-sim, which keeps a generated queue as a compact plan (a few
#     dozen bytes per event) and writes each event's XML when it serves it.
#     Asserts nothing about time.
backlog=${CB_BENCH_BACKLOG:-1000000}
source "$(dirname "$0")/benchlib.sh"
# The generator adds one event of another type per 20 order events.
orders=$(((backlog * 20 + 20) / 21))
t0=$(date +%s%N)
start_sim --orders "$orders" --seed 7
start_ms=$((($(date +%s%N) - t0) / 1000000))
queued=$(sim_json queue_length)
sim_rss_start=$(peak_rss_mb "$SIM_PID")

timed "$work/time" "$CB_BIN" -q import --once 2>>"$work/cb.log"
read -r secs rss_kb <"$work/time"
sim_rss=$(peak_rss_mb "$SIM_PID")
left=$(sim_json queue_length)
mix=$(psql -c "SELECT string_agg(type || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT type, count(*) n
    FROM centra.events GROUP BY type) t")
stored=$(psql -c "SELECT count(*) FROM centra.events")

echo "### Backlog catch-up: $queued queued events, one import --once ($(pg_durability))"
echo
awk -v q="$queued" -v st="$stored" -v left="$left" -v s="$secs" -v m="$rss_kb" -v sm="$sim_rss" \
    -v ss="$sim_rss_start" -v ms="$start_ms" -v mix="$mix" 'BEGIN {
    if (s <= 0) s = 0.01
    printf "| Backlog catch-up | Figure | Target |\n|---|---:|---|\n"
    printf "| events queued | %d | |\n", q
    printf "| events stored, left in the queue | %d, %d | all, 0 |\n", st, left
    printf "| time to drain | %.1f s (%.1f min) | |\n", s, s / 60
    printf "| events/s | %.0f | >= 5,000 |\n", st / s
    printf "| peak RSS, centra-bridge | %.1f MB | < 32 MB |\n", m / 1024
    printf "| peak RSS, centra-sim | %s MB (%s MB after generating the queue in %.1f s) | |\n\n",
        sm, ss, ms / 1000
    printf "Event types: %s.\n\n", mix
}'
