#!/bin/sh
# pg-cluster.sh — a throwaway PostgreSQL 15 cluster for tests.
#
#   scripts/pg-cluster.sh start DIR   create and start a cluster in DIR; print its URL on stdout:
#                                     postgres://USER@127.0.0.1:PORT/artistry
#   scripts/pg-cluster.sh stop DIR    stop it and remove DIR
#
# The cluster listens on 127.0.0.1 only, on a free port, with its unix socket
# in DIR, trust authentication, fsync=off and a database named artistry.
# As root, initdb refuses to run, so the server runs as the postgres system
# user (DIR is chowned to it) and USER is postgres; otherwise USER is the
# calling user. Progress and errors go to stderr; stdout carries the URL only.
#
# Caveats:
#   - DIR's parents must be searchable by the postgres user when run as root.
#   - Unix socket paths are limited to ~100 bytes: keep DIR short (/tmp/...).
#   - stop removes DIR only if it holds a cluster this script created.
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
MARKER=.artistry-pg-cluster
START_TIMEOUT=30

die() {
    echo "pg-cluster: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

# Run a command as the cluster owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            # su needs one string: quote each argument.
            cmd=""
            for a in "$@"; do
                cmd="$cmd '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
            done
            su postgres -s /bin/sh -c "$cmd"
        fi
    else
        "$@"
    fi
}

random_port() {
    n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    echo $((20000 + n % 40000))
}

port_in_use() {
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
    else
        return 1
    fi
}

cmd_start() {
    dir=$1
    [ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb not found (install postgresql-15)"
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
        die "$dir exists and is not empty"
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "no postgres system user (install postgresql-15)"
        user=postgres
        chown postgres "$dir"
        as_owner test -w "$dir" || die "user postgres cannot write $dir (check its parents' permissions)"
    else
        user=$(id -un)
    fi
    : >"$dir/$MARKER"

    as_owner "$PGBIN/initdb" -D "$dir/data" -U "$user" -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; die "initdb failed"; }

    tries=0
    while :; do
        tries=$((tries + 1))
        [ "$tries" -le 10 ] || die "could not find a free port"
        port=$(random_port)
        port_in_use "$port" && continue
        cat >"$dir/data/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
logging_collector = off
EOF
        if as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t "$START_TIMEOUT" start >&2; then
            break
        fi
        if grep -q "could not bind\|Address already in use" "$dir/server.log" 2>/dev/null; then
            continue
        fi
        cat "$dir/server.log" >&2 2>/dev/null || true
        die "postgres did not start"
    done

    i=0
    until "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$user"; do
        i=$((i + 1))
        [ "$i" -le $((START_TIMEOUT * 5)) ] || { cat "$dir/server.log" >&2; die "postgres not ready after ${START_TIMEOUT}s"; }
        sleep 0.2
    done
    "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U "$user" artistry || die "createdb failed"
    echo "postgres://$user@127.0.0.1:$port/artistry"
}

cmd_stop() {
    dir=$1
    [ -d "$dir" ] || return 0
    [ -e "$dir/$MARKER" ] || die "$dir was not created by $0; not touching it"
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2 ||
            as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
    fi
    rm -rf "$dir"
}

[ $# -eq 2 ] || usage
case $1 in
start) cmd_start "$2" ;;
stop) cmd_stop "$2" ;;
*) usage ;;
esac
