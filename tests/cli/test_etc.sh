#!/usr/bin/env bash
# tests/cli/test_etc.sh
#     The operator files of etc/ against the binary, so they cannot rot: every
#     setting the binary lists in "config --help" is in the example config
#     file, every key of the example is one the binary accepts (read from the
#     line the example has it on), the example as shipped holds no password,
#     and the systemd units pass "systemd-analyze verify" when it is installed.
source "$(dirname "$0")/../integration/lib.sh"

example=$CB_SOURCE_DIR/etc/centra-bridge.conf.example
units=$CB_SOURCE_DIR/etc/systemd

# Keys the example documents before the binary knows them (settings of commands being built
# elsewhere). Once the binary lists one, it is checked like every other key; a key that is
# neither known nor listed here fails.
pending=()

# --- the settings the binary knows ---------------------------------------------------------
run_cb config --help
assert_eq 0 "$RC" "config --help exits 0"
mapfile -t known < <(printf '%s\n' "$OUT" | sed -n 's/^  \([A-Z][A-Z0-9_]*\)  .*/\1/p' |
    tr '[:upper:]' '[:lower:]')
[[ ${#known[@]} -ge 20 ]]
cb_report $? "config --help lists the settings (${#known[@]} found)" "$OUT"

is_known() { # KEY
    local k
    for k in "${known[@]}"; do [[ $k == "$1" ]] && return 0; done
    return 1
}
is_pending() { # KEY
    local k
    for k in "${pending[@]}"; do [[ $k == "$1" ]] && return 0; done
    return 1
}

# --- the keys of the example ------------------------------------------------------------
# A setting line is "key = value", or "#key = value" (no space after "#") for one left at
# its default. Prose comments start with "# ".
[[ -f $example ]]
cb_report $? "etc/centra-bridge.conf.example exists"
mapfile -t example_keys < <(sed -n 's/^#\{0,1\}\([a-z_][a-z0-9_]*\) *=.*/\1/p' "$example")

dups=$(printf '%s\n' "${example_keys[@]}" | sort | uniq -d)
assert_eq "" "$dups" "the example sets each key once"

for k in "${known[@]}"; do
    [[ " ${example_keys[*]} " == *" $k "* ]]
    cb_report $? "the example documents $k"
done

not_yet=()
for k in "${example_keys[@]}"; do
    if is_known "$k"; then
        continue
    elif is_pending "$k"; then
        not_yet+=("$k")
    else
        cb_report 1 "the example's key $k is a setting of the binary" \
            "config --help does not list it, and it is not one of: ${pending[*]}"
    fi
done
[[ ${#not_yet[@]} -gt 0 ]] && echo "# keys documented but not yet known to the binary: ${not_yet[*]}"

# --- the binary accepts every key, each from its own line ------------------------------------
# Uncomment every setting line the binary knows; keep the pending ones commented.
copy=$cb_tmp/centra-bridge.conf
: >"$copy"
while IFS= read -r line; do
    if [[ $line =~ ^#([a-z_][a-z0-9_]*)\ *= ]] && is_known "${BASH_REMATCH[1]}"; then
        line=${line#\#}
        # The log file is opened at start-up: point it somewhere this test may write.
        [[ $line == centra_log_file* ]] && line="centra_log_file = $cb_tmp/centra-bridge.log"
    fi
    printf '%s\n' "$line" >>"$copy"
done <"$example"
chmod 600 "$copy"
run_cb --config "$copy" config
assert_eq 0 "$RC" "the binary accepts every setting of the example, uncommented" "$ERR"
for k in "${known[@]}"; do
    lineno=$(grep -n "^#\{0,1\}$k *=" "$example" | head -1 | cut -d: -f1)
    row=$(printf '%s\n' "$OUT" | grep "^$k ")
    assert_contains "$row" "config file \"$copy\" line $lineno" \
        "$k is read from line $lineno of the example"
done

# --- as shipped: no password, so it may be group-readable ------------------------------------
shipped=$cb_tmp/shipped.conf
cp "$example" "$shipped"
chmod 644 "$shipped"
run_cb --config "$shipped" config
assert_eq 0 "$RC" "the example as shipped is accepted at mode 644 (it holds no password)" "$ERR"
assert_contains "$OUT" "centra_password              (not set)" \
    "the example as shipped sets no Centra password"

# --- systemd units -------------------------------------------------------------------------
for f in centra-bridge.service centra-bridge-sync.service; do
    text=$(cat "$units/$f")
    assert_contains "$text" "EnvironmentFile=/etc/centra-bridge/secrets.env" \
        "$f reads the passwords from the EnvironmentFile"
    assert_not_contains "$text" "PASSWORD=" "$f carries no password itself"
    assert_contains "$text" \
        "ExecStart=/usr/local/bin/centra-bridge --config /etc/centra-bridge/centra-bridge.conf " \
        "$f runs the installed binary with the installed config file"
done
run_cb --help
read -r -a codes < <(sed -n 's/^RestartPreventExitStatus=//p' "$units/centra-bridge.service")
assert_eq "64 77 78" "${codes[*]}" "the daemon is not restarted after exit 64, 77 or 78"
for code in "${codes[@]}"; do
    assert_contains "$OUT" "  $code " "RestartPreventExitStatus $code is an exit status of --help"
done

if command -v systemd-analyze >/dev/null 2>&1; then
    # The units as installed, with the binary of this build in place of /usr/local/bin.
    mkdir "$cb_tmp/units"
    for f in centra-bridge.service centra-bridge-sync.service centra-bridge-sync.timer; do
        sed "s#/usr/local/bin/centra-bridge#$CB_BIN#" "$units/$f" >"$cb_tmp/units/$f"
    done
    out=$(cd "$cb_tmp/units" && systemd-analyze verify ./centra-bridge.service \
        ./centra-bridge-sync.service ./centra-bridge-sync.timer 2>&1)
    rc=$?
    assert_eq "0:" "$rc:$out" "systemd-analyze verify accepts the units without a warning"
else
    echo "# systemd-analyze is not installed: the units' syntax is not checked"
fi

finish
