#!/usr/bin/env bash
# tests/scale/run.sh — two `artistry serve` instances sharing PostgreSQL and
# Redis, and nginx (deploy/nginx.conf) in front of them.
#
#   tests/scale/run.sh            (scripts/test.sh runs it as the "scale" step)
#
# Starts, all on loopback and under one temporary directory: redis-server,
# a PostgreSQL database (a new database on $SCALE_DATABASE_URL's server, or a
# throwaway cluster from scripts/pg-cluster.sh), instances A and B, nginx.
# Then checks:
#   1. a chat message sent by a socket.io-client on A reaches a client on B
#   2. a rate limit used up on A refuses on B (shared GCRA buckets)
#   3. the category tree cached in Redis by one instance is what the other serves
#   4. through nginx: REST, and a default-options client (polling, then upgrade) chats
#   5. Redis stopped: REST works, rate limits fail open, same-instance chat works,
#      nothing crashes; Redis back: cross-instance chat resumes
# Prints "ok - …" / "not ok - …" per check and a last line
# "scale: N passed, M failed"; exit status 1 if anything failed (a missing
# tool counts as a failure: install-deps.sh test installs them).
#
# Knobs: ARTISTRY_BIN (build/artistry), SCALE_DATABASE_URL, SCALE_PORT_BASE
# (19340: redis, +1 A, +2 B, +3 nginx), SCALE_KEEP=1 keeps the work directory.
set -uo pipefail

cd "$(dirname "$0")/../.."
root=$(pwd)
bin=${ARTISTRY_BIN:-$root/build/artistry}
base=${SCALE_PORT_BASE:-19340}
redis_port=$base
port_a=$((base + 1))
port_b=$((base + 2))
port_ng=$((base + 3))
url_a=http://127.0.0.1:$port_a
url_b=http://127.0.0.1:$port_b
url_ng=http://127.0.0.1:$port_ng
work=$(mktemp -d /tmp/artistry-scale.XXXXXX)
chmod 755 "$work"
export SCALE_STATE=$work/state.json
started=$(date +%s)

passed=0
failed=0
pids=()
pg_cluster=""
pg_admin_url=""
db_name=""

ok() {
    passed=$((passed + 1))
    echo "ok - $1"
}

not_ok() {
    failed=$((failed + 1))
    echo "not ok - $1${2:+: $2}"
}

cleanup() {
    [ -f "$work/nginx/logs/nginx.pid" ] && kill "$(cat "$work/nginx/logs/nginx.pid")" 2>/dev/null
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    redis_stop
    if [ -n "$db_name" ] && [ -n "$pg_admin_url" ]; then
        psql -q "$pg_admin_url" -c "DROP DATABASE IF EXISTS $db_name" >/dev/null 2>&1
    fi
    [ -n "$pg_cluster" ] && sh scripts/pg-cluster.sh stop "$pg_cluster" >/dev/null 2>&1
    if [ "$failed" -eq 0 ] && [ -z "${SCALE_KEEP:-}" ]; then
        rm -rf "$work"
    else
        echo "scale: logs in $work"
    fi
}

finish() {
    echo "scale: took $(($(date +%s) - started)) s"
    echo "scale: $passed passed, $failed failed"
    trap - EXIT
    cleanup
    [ "$failed" -eq 0 ]
    exit $?
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_until SECONDS CMD...: poll CMD until it succeeds or the deadline passes.
wait_until() {
    local deadline=$(($(date +%s) + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

http_code() { # METHOD URL [JSON]
    curl -s -o /dev/null -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} "$2"
}

node_step() {
    timeout 90 node tests/scale/scale.mjs "$@" 2>>"$work/node.log"
}

redis_start() {
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --dir "$work" --pidfile "$work/redis.pid" --logfile "$work/redis.log" >/dev/null &&
        wait_until 10 redis_ping
}
redis_ping() { redis-cli -p "$redis_port" ping | grep -q PONG; }
redis_stop() {
    [ -f "$work/redis.pid" ] || return 0
    kill "$(cat "$work/redis.pid")" 2>/dev/null
    wait_until 10 sh -c "! redis-cli -p $redis_port ping >/dev/null 2>&1"
    rm -f "$work/redis.pid"
}

#------------------------------------------------------------------------------
# Prerequisites
#
missing=()
for tool in redis-server redis-cli nginx node npm curl psql; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -x "$bin" ] || missing+=("$bin")
if [ ${#missing[@]} -gt 0 ]; then
    not_ok "prerequisites" "missing ${missing[*]} (scripts/install-deps.sh test installs them)"
    finish
fi
if [ ! -d tests/node/node_modules/socket.io-client ]; then
    if ! npm ci --prefix tests/node --no-audit --no-fund >"$work/npm.log" 2>&1; then
        tail -n 20 "$work/npm.log"
        not_ok "npm ci --prefix tests/node"
        finish
    fi
fi

#------------------------------------------------------------------------------
# Redis, PostgreSQL, the instances
#
url_with_db() { # URL NAME: the URL with its database name replaced
    local u=${1%%\?*}
    local q=${1#"$u"}
    echo "${u%/*}/$2$q"
}

if ! redis_start; then
    not_ok "start redis-server on port $redis_port" "$(tail -n 5 "$work/redis.log" 2>/dev/null)"
    finish
fi
pg_admin_url=${SCALE_DATABASE_URL:-}
if [ -z "$pg_admin_url" ]; then
    pg_cluster=$work/pg
    if ! pg_admin_url=$(sh scripts/pg-cluster.sh start "$pg_cluster" 2>"$work/pg-start.log"); then
        cat "$work/pg-start.log"
        pg_cluster=""
        not_ok "start PostgreSQL"
        finish
    fi
fi
db_name=artistry_scale_$$
if ! psql -q "$pg_admin_url" -c "CREATE DATABASE $db_name" >"$work/createdb.log" 2>&1; then
    cat "$work/createdb.log"
    db_name=""
    not_ok "create database"
    finish
fi
db_url=$(url_with_db "$pg_admin_url" "$db_name")

export ARTISTRY_DATABASE_URL=$db_url
export ARTISTRY_REDIS_URL=redis://127.0.0.1:$redis_port/0
export ARTISTRY_JWT_KEYS="scale:$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ARTISTRY_MIGRATE_ON_START=false
export ARTISTRY_COOKIE_SECURE=false
export ARTISTRY_THREADS=2
export ARTISTRY_JOB_WORKERS=1
export ARTISTRY_RATE_LIMIT_SCALE=1
export ARTISTRY_TRUSTED_PROXIES=127.0.0.1/32 # nginx (deploy/nginx.conf)
if ! "$bin" migrate >"$work/migrate.log" 2>&1; then
    tail -n 20 "$work/migrate.log"
    not_ok "artistry migrate"
    finish
fi

start_instance() { # NAME PORT
    mkdir -p "$work/$1"
    ARTISTRY_DATA_DIR=$work/$1 ARTISTRY_PUBLIC_URL=http://127.0.0.1:$2 \
        "$bin" serve --listen "127.0.0.1:$2" >>"$work/$1.log" 2>&1 &
    pids+=($!)
    eval "pid_$1=$!"
}
ready() { curl -sf "$1/readyz" >/dev/null; }
start_instance a "$port_a"
start_instance b "$port_b"
if ! wait_until 60 ready "$url_a" || ! wait_until 60 ready "$url_b"; then
    tail -n 20 "$work/a.log" "$work/b.log"
    not_ok "instances A and B start"
    finish
fi
ok "redis, PostgreSQL and instances A ($port_a) and B ($port_b) up"

alive() { kill -0 "$pid_a" 2>/dev/null && kill -0 "$pid_b" 2>/dev/null; }

# Accounts: buyer, seller with a shop, admin (roles set in the database, as the API tests do).
setup_accounts() {
    local ids buyer seller admin now
    ids=$(node_step register "$url_a") || return 1
    read -r buyer seller admin <<<"$ids"
    now=$(($(date +%s) * 1000))
    psql -q -v ON_ERROR_STOP=1 "$db_url" >>"$work/psql.log" 2>&1 <<SQL || return 1
UPDATE users SET role = 'seller' WHERE id = '$seller';
UPDATE users SET role = 'admin' WHERE id = '$admin';
INSERT INTO shops (id, seller_id, slug, name, created_at, updated_at)
VALUES ('shp_$(printf '%026d' $$)', '$seller', 'scale-shop-$$', 'Scale shop', $now, $now);
SQL
    node_step login "$url_b"
}
if ! setup_accounts; then
    tail -n 20 "$work/node.log" "$work/psql.log" 2>/dev/null
    not_ok "accounts (register on A, sign in on B)"
    finish
fi
ok "accounts registered on A sign in on B (shared JWT keys)"

#------------------------------------------------------------------------------
# 1. Cross-instance chat
#
if node_step conversation "$url_a" && node_step chat "$url_a" "$url_b" websocket; then
    ok "a message sent on A reaches a client on B"
else
    not_ok "a message sent on A reaches a client on B" "$(tail -n 5 "$work/node.log")"
fi

#------------------------------------------------------------------------------
# 2. Shared rate limits: auth_password allows 5 per minute per IP
#
codes=""
for _ in 1 2 3 4 5; do
    codes+="$(http_code POST "$url_a/api/v1/auth/forgot-password" '{"email":"nobody@example.com"}') "
done
code_b=$(http_code POST "$url_b/api/v1/auth/forgot-password" '{"email":"nobody@example.com"}')
if [[ "$codes" != *429* ]] && [ "$code_b" = 429 ]; then
    ok "a rate limit used up on A refuses on B"
else
    not_ok "a rate limit used up on A refuses on B" "A: $codes B: $code_b"
fi

#------------------------------------------------------------------------------
# 3. Shared cache: the category tree
#
cache_check() {
    local slug=scale-cat-$$ key cached served
    curl -sf "$url_b/api/v1/categories" >/dev/null || return 1
    node_step category "$url_a" "$slug" || return 1
    node_step has-category "$url_a" "$slug" || return 1
    key=$(redis-cli -p "$redis_port" --scan --pattern 'artistry:cache:catalog:tree:*' | sort -t: -k5 -n | tail -n 1)
    [ -n "$key" ] || { echo "no tree in redis" >>"$work/node.log"; return 1; }
    cached=$(redis-cli -p "$redis_port" --raw get "$key")
    [[ "$cached" == *"$slug"* ]] || { echo "redis tree lacks $slug" >>"$work/node.log"; return 1; }
    served=$(curl -sf "$url_b/api/v1/categories") || return 1
    [ "$served" = "$cached" ] || { echo "B serves another tree than redis holds" >>"$work/node.log"; return 1; }
}
if cache_check; then
    ok "the category tree cached by A in redis is what B serves after the change"
else
    not_ok "shared category tree cache" "$(tail -n 3 "$work/node.log")"
fi

#------------------------------------------------------------------------------
# 4. nginx in front (deploy/nginx.conf with its ports replaced)
#
nginx_start() {
    mkdir -p "$work/nginx/logs" "$work/nginx/temp"
    [ "$(id -u)" -eq 0 ] && chown -R nobody "$work/nginx/temp" 2>/dev/null
    sed -e "s/listen 8080;/listen 127.0.0.1:$port_ng;/" \
        -e "s/127\.0\.0\.1:8081/127.0.0.1:$port_a/g" \
        -e "s/127\.0\.0\.1:8082/127.0.0.1:$port_b/g" deploy/nginx.conf >"$work/nginx/nginx.conf"
    nginx -p "$work/nginx" -e logs/error.log -c "$work/nginx/nginx.conf" >"$work/nginx/start.log" 2>&1 &&
        wait_until 10 curl -sf "$url_ng/readyz"
}
if nginx_start; then
    hdrs=$(curl -s -D - -o "$work/ng-body" -H 'X-Request-Id: scale-req-1' "$url_ng/api/v1/categories")
    if [[ "$hdrs" == *" 200"* ]] && grep -qi '^x-request-id: scale-req-1' <<<"$hdrs" && grep -q '"data"' "$work/ng-body"; then
        ok "REST through nginx (request id passed through)"
    else
        not_ok "REST through nginx" "$(head -n 1 <<<"$hdrs")"
    fi
    # Behind the trusted proxy each client has its own per-IP bucket: the client
    # is the X-Forwarded-For hop nginx appended to (here the test's claimed address).
    codes=""
    for _ in 1 2 3 4 5 6; do
        codes+="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
            -H 'X-Forwarded-For: 203.0.113.7' -d '{"email":"nobody@example.com"}' \
            "$url_ng/api/v1/auth/forgot-password") "
    done
    other=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -H 'X-Forwarded-For: 203.0.113.8' -d '{"email":"nobody@example.com"}' "$url_ng/api/v1/auth/forgot-password")
    if [ "$codes" = "202 202 202 202 202 429 " ] && [ "$other" = 202 ]; then
        ok "through nginx, per-IP limits apply to the forwarded client (trusted proxy)"
    else
        not_ok "through nginx, per-IP limits apply to the forwarded client" "203.0.113.7: $codes 203.0.113.8: $other"
    fi
    if node_step chat "$url_ng" "$url_ng" default; then
        ok "default socket.io-client (polling, then upgrade) chats through nginx"
    else
        not_ok "default socket.io-client chats through nginx" "$(tail -n 5 "$work/node.log")"
    fi
    if node_step chat "$url_ng" "$url_b" default && node_step chat "$url_a" "$url_ng" default; then
        ok "through nginx to a direct client on either instance"
    else
        not_ok "through nginx to a direct client on either instance" "$(tail -n 5 "$work/node.log")"
    fi
else
    not_ok "nginx starts with deploy/nginx.conf" "$(cat "$work/nginx/start.log" "$work/nginx/logs/error.log" 2>/dev/null | tail -n 5)"
fi

#------------------------------------------------------------------------------
# 5. Losing Redis, and getting it back
#
redis_stop
if [ "$(http_code GET "$url_a/api/v1/categories")" = 200 ] && [ "$(http_code GET "$url_b/api/v1/categories")" = 200 ]; then
    ok "redis down: REST still answers on both instances"
else
    not_ok "redis down: REST still answers"
fi
codes=""
for _ in 1 2 3 4 5 6 7; do
    codes+="$(http_code POST "$url_b/api/v1/auth/forgot-password" '{"email":"nobody@example.com"}') "
done
if [[ "$codes" != *429* ]] && [[ "$codes" != *5??* ]]; then
    ok "redis down: rate limits fail open"
else
    not_ok "redis down: rate limits fail open" "$codes"
fi
if node_step chat "$url_a" "$url_a" websocket; then
    ok "redis down: chat between two clients on the same instance still arrives"
else
    not_ok "redis down: same-instance chat" "$(tail -n 5 "$work/node.log")"
fi
if curl -s "$url_a/readyz" | grep -q '"redis":"down"'; then
    ok "redis down: /readyz says so (and stays 200)"
else
    not_ok "redis down: /readyz says so" "$(curl -s "$url_a/readyz")"
fi
if alive; then
    ok "redis down: both instances still running"
else
    not_ok "redis down: an instance died" "$(tail -n 20 "$work/a.log" "$work/b.log")"
fi
if redis_start && node_step chat-until "$url_a" "$url_b" 30; then
    ok "redis back: cross-instance chat resumes"
else
    not_ok "redis back: cross-instance chat resumes" "$(tail -n 5 "$work/node.log")"
fi
redis_ok() { curl -sf "$url_a/readyz" | grep -q '"redis":"ok"'; }
if wait_until 10 redis_ok; then
    ok "redis back: /readyz says ok"
else
    not_ok "redis back: /readyz says ok" "$(curl -s "$url_a/readyz")"
fi
if alive; then
    ok "no instance crashed"
else
    not_ok "an instance crashed" "$(tail -n 20 "$work/a.log" "$work/b.log")"
fi
finish
