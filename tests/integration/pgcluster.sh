#!/usr/bin/env bash
# tests/integration/pgcluster.sh start|stop|restart DIR FREEPORT
#
# A throwaway PostgreSQL cluster for the integration tests, inside the build
# tree: initdb in DIR/data, listening on 127.0.0.1 on a free port (from the
# FREEPORT helper) and on a socket in DIR, trust authentication, fsync off.
# initdb refuses to run as root, so as root the cluster belongs to the
# "postgres" user (and lives under /tmp if that user cannot reach DIR).  "start" writes DIR/env, which tests source for
# PGHOST/PGPORT/PGUSER; "stop" stops the cluster and removes DIR;
# "restart" stops it as a crash would (immediate mode) and starts it again
# (tests of recovery after a database outage); "down" stops it so and "up"
# starts it again (an outage that lasts).
# CTest runs start and stop as fixture setup and cleanup, so the cluster is
# stopped even when tests fail.
set -euo pipefail

action=${1:?usage: pgcluster.sh start|stop|restart|down|up DIR [FREEPORT]}
dir=${2:?usage: pgcluster.sh start|stop|restart|down|up DIR [FREEPORT]}
freeport=${3:-}

pgbin=${PG_BINDIR:-}
if [[ -z $pgbin ]]; then
    for candidate in /usr/lib/postgresql/*/bin; do
        [[ -x $candidate/initdb ]] && pgbin=$candidate
    done
fi
if [[ -z $pgbin || ! -x $pgbin/initdb ]]; then
    echo "pgcluster.sh: no PostgreSQL server binaries found (set PG_BINDIR)" >&2
    exit 1
fi

# Run a server binary as the cluster's owner.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Where the cluster's files live: inside the build tree, unless the "postgres"
# user cannot reach it (a build under /root, mode 700); then in a private
# directory under /tmp whose name is recorded in DIR/data-root.
data_root() {
    if [[ -f $dir/data-root ]]; then
        cat "$dir/data-root"
    else
        echo "$dir"
    fi
}

stop_cluster() {
    local root
    root=$(data_root)
    if [[ -f $root/data/postmaster.pid ]]; then
        as_owner "$pgbin/pg_ctl" -D "$root/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ $root != "$dir" ]]; then
        rm -rf "$root"
    fi
}

case $action in
start)
    stop_cluster # a cluster left by an interrupted run
    rm -rf "$dir"
    mkdir -p "$dir"
    root=$dir
    if [[ $(id -u) -eq 0 ]]; then
        if ! id postgres >/dev/null 2>&1; then
            echo "pgcluster.sh: running as root needs a \"postgres\" user to own the cluster" >&2
            exit 1
        fi
        chown postgres: "$dir"
        if ! runuser -u postgres -- test -w "$dir"; then
            root=$(mktemp -d "${TMPDIR:-/tmp}/centra-bridge-pgcluster.XXXXXX")
            chown postgres: "$root"
            echo "$root" >"$dir/data-root"
            echo "pgcluster.sh: user postgres cannot reach $dir; the cluster lives in $root"
        fi
    fi
    port=$("$freeport")
    as_owner "$pgbin/initdb" -D "$root/data" -U postgres --auth=trust --no-sync \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    as_owner "$pgbin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$root \
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
            -c max_connections=200 -c log_min_messages=warning" >/dev/null || {
        cat "$root/server.log" >&2
        exit 1
    }
    cat >"$dir/env" <<ENV
export PGHOST=127.0.0.1
export PGPORT=$port
export PGUSER=postgres
export PGDATABASE=postgres
export PG_BINDIR=$pgbin
export PG_CLUSTER_DIR=$root
ENV
    chmod 644 "$dir/env"
    echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($root)"
    ;;
stop)
    stop_cluster
    rm -rf "$dir"
    ;;
restart)
    root=$(data_root)
    as_owner "$pgbin/pg_ctl" -D "$root/data" -l "$root/server.log" -m immediate -w -t 60 \
        restart >/dev/null
    ;;
down)
    root=$(data_root)
    as_owner "$pgbin/pg_ctl" -D "$root/data" -m immediate -w -t 60 stop >/dev/null
    ;;
up)
    root=$(data_root)
    # pg_ctl start without -o: postmaster.opts of the last start has the options.
    opts=$(sed -e 's/^[^ ]* //; s/"-D" "[^"]*" *//' "$root/data/postmaster.opts")
    as_owner "$pgbin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 60 start \
        -o "${opts//\"/}" >/dev/null
    ;;
*)
    echo "pgcluster.sh: unknown action \"$action\"" >&2
    exit 2
    ;;
esac
