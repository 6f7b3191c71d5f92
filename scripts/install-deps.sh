#!/usr/bin/env bash
# scripts/install-deps.sh [--check | --list]
#     The one list of Debian packages centra-bridge needs to build, test and
#     run.  The README, the Makefile and CI all use this script.  It installs
#     only what is missing, with apt-get (as root, or through sudo).
#       --check   report what is missing and exit 1 if anything is; install nothing
#       --list    print the package names
set -euo pipefail

packages=(
    build-essential cmake pkg-config     # compiler and build
    libpq-dev                            # PostgreSQL client library
    postgresql                           # server: test clusters and the demo
    libcurl4-openssl-dev                 # HTTP for the SOAP client
    libexpat1-dev                        # streaming XML parser
    libmicrohttpd-dev                    # centra-sim, the Centra simulator
    zlib1g-dev                           # centra-sim --gzip (compressed answers)
    check                                # unit test framework
    pgtap libtap-parser-sourcehandler-pgtap-perl # SQL tests and pg_prove
    valgrind                             # memory checks of the unit tests
    gcovr                                # line coverage gate
    clang-format                         # formatting check
    clang                                # make fuzz: libFuzzer needs clang
    libclang-rt-dev                      # make fuzz: libclang_rt.fuzzer (clang only recommends it)
    ca-certificates                      # TLS to Centra
    curl python3                         # tests: centra-sim's admin API, generated inputs
    time                                 # tests: peak memory of a run (/usr/bin/time -f %M)
    openssl                              # tests: a throwaway CA and certificates for TLS
)

mode=${1:-install}
case $mode in
--list)
    printf '%s\n' "${packages[@]}"
    exit 0
    ;;
--check | install) ;;
*)
    echo "usage: scripts/install-deps.sh [--check | --list]" >&2
    exit 64
    ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: this is not a Debian-based system; install the equivalents of:" >&2
    printf '  %s\n' "${packages[@]}" >&2
    exit 1
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all ${#packages[@]} packages are installed"
    exit 0
fi
if [[ $mode == --check ]]; then
    echo "install-deps: missing: ${missing[*]}"
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "install-deps: not root and no sudo; as root, run:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
