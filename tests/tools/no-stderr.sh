#!/usr/bin/env bash
# tests/tools/no-stderr.sh COMMAND [ARG]...
#     Run a test program and fail it if it writes anything to stderr, as
#     pgBackRest's test runner does: a test that expects no output must not
#     produce any (stray warnings are bugs).  What it wrote is shown.
set -u
errfile=$(mktemp)
trap 'rm -f "$errfile"' EXIT
"$@" 2>"$errfile"
rc=$?
if [[ -s $errfile ]]; then
    echo "FAILED: the test wrote to stderr:"
    cat "$errfile"
    exit 1
fi
exit $rc
