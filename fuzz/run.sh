#!/usr/bin/env bash
# fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#     Run each libFuzzer target built in BUILD_DIR (by "make fuzz") for SECONDS
#     seconds, one at a time, on a copy of its seed corpus kept in
#     BUILD_DIR/fuzz-work/TARGET/corpus (it grows from run to run; the source tree is
#     never written).  Fails if any target finds a crash, a leak, undefined
#     behaviour, a timeout or an out-of-memory, and prints where the input is.
#     Without TARGET: all four.  docs/fuzzing.md says more.
set -uo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
src=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd) || exit 2
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_eventparser fuzz_update_response fuzz_jsonxml fuzz_config)

# Longest input per target: whole answers up to 1 MB, a payload or a config file less.
declare -A max_len=(
    [fuzz_eventparser]=1048576
    [fuzz_update_response]=1048576
    [fuzz_jsonxml]=262144
    [fuzz_config]=65536
)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for t in "${targets[@]}"; do
    bin=$build/fuzz/$t
    work=$build/fuzz-work/$t
    if [[ ! -x $bin || -z ${max_len[$t]:-} ]]; then
        echo "fuzz: no target $t in $build/fuzz" >&2
        exit 2
    fi
    rm -rf "$work/artifacts"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$src/corpus/$t"/* "$work/corpus/"
    if compgen -G "$build/fuzz/corpus/$t/*" >/dev/null; then
        cp "$build/fuzz/corpus/$t"/* "$work/corpus/"
    fi
    dict=()
    [[ -f $src/dict/$t.dict ]] && dict=("-dict=$src/dict/$t.dict")
    printf '=== %s for %ss (log: %s)\n' "$t" "$seconds" "$work/log"
    "$bin" -max_total_time="$seconds" -max_len="${max_len[$t]}" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${dict[@]}" "$work/corpus" \
        >"$work/log" 2>&1
    rc=$?
    found=$(find "$work/artifacts" -type f | sort)
    if [[ $rc -ne 0 || -n $found ]]; then
        failed+=("$t")
        echo "fuzz: $t FAILED (exit $rc); the end of its log:"
        tail -n 40 "$work/log"
        for f in $found; do
            echo "fuzz: $t: input that fails: $f"
            echo "      reproduce: $bin $f"
        done
    else
        grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/log" |
            sed 's/^/    /'
        echo "    corpus: $(find "$work/corpus" -type f | wc -l) inputs"
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: findings in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no finding"
