#!/usr/bin/env bash
# tests/integration/with-pgenv.sh ENVFILE COMMAND [ARG]...
#     Run COMMAND with the PG* variables of the throwaway cluster (whose port is
#     only known once the fixture started it).
set -euo pipefail
# shellcheck disable=SC1090
source "$1"
shift
exec "$@"
