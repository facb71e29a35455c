#!/usr/bin/env bash
# bench/run.sh — what `make bench` runs: wrk against the server's key
# endpoints and, in the same run, against nginx serving the same bytes as a
# static file (the machine's practical ceiling). See bench/README.md.
#
# Environment:
#   BENCH_DURATION (10)      seconds per wrk run
#   BENCH_ROUNDS (2)         rounds; each round runs every target once, in turn
#   BENCH_CONNECTIONS (64)   wrk -c
#   BENCH_WRK_THREADS (1)    wrk -t
#   BENCH_ACCESS_LOG (true)  the server's --access-log (to a file, as in production)
#   BENCH_RATE_LIMITS (false) the server's --rate-limits: one loopback client would
#                            exhaust the per-address quotas within a second
#   BENCH_THREADS            the server's --threads (default: its own, one per core)
#   BENCH_NGINX_WORKERS (2)  nginx worker_processes
#   BENCH_ONLY               regex: only endpoints whose name matches (nginx always runs)
#   ARTISTRY_BIN (build/artistry)
#   BENCH_KEEP=1             keep the temp dir (logs, wrk output)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

# Endpoints: name|path|method|body|headers|connections
#   body: JSON text, or @file (relative to the repo root), or empty
#   headers: extra request headers separated by ';' (e.g. "Authorization: Bearer x")
#   connections: wrk -c for this target (default BENCH_CONNECTIONS)
#   @TOKEN@ in headers is replaced by an access token of a user registered at start-up;
#   @EMAIL@ / @PASSWORD@ in bodies by that user's credentials.
# Later issues add their endpoints here. The nginx reference is added by the script.
endpoints=(
    "healthz|/healthz|GET||"
    "categories|/api/v1/categories|GET||"
    "users-me|/api/v1/users/me|GET||Authorization: Bearer @TOKEN@"
    # argon2id-bound by design; 8 connections keep the bounded slow-work queue from refusing.
    "login|/api/v1/auth/login|POST|{\"email\":\"@EMAIL@\",\"password\":\"@PASSWORD@\"}||8"
)

duration=${BENCH_DURATION:-10}
rounds=${BENCH_ROUNDS:-2}
conns=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_WRK_THREADS:-1}
access_log=${BENCH_ACCESS_LOG:-true}
rate_limits=${BENCH_RATE_LIMITS:-false}
nginx_workers=${BENCH_NGINX_WORKERS:-2}
bin=${ARTISTRY_BIN:-build/artistry}
nginx=${NGINX:-/usr/sbin/nginx}

for tool in wrk curl "$nginx" "$bin"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not found (make bench installs wrk and nginx)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/artistry-bench.XXXXXX)
chmod 755 "$dir" # nginx workers run as an unprivileged user when we are root
server_pid=""
nginx_pid=""

stop_pid() {
    local pid=$1 sig=$2
    [ -n "$pid" ] || return 0
    kill -"$sig" "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    stop_pid "$server_pid" TERM
    stop_pid "$nginx_pid" QUIT
    server_pid=""
    nginx_pid=""
    if [ -n "${BENCH_KEEP:-}" ]; then
        echo "bench: kept $dir" >&2
    else
        rm -rf "$dir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A loopback port nobody listens on (bash's /dev/tcp: connect refused = free),
# below the usual ephemeral range (32768+), where wrk's closed connections linger.
free_port() {
    local p
    for _ in $(seq 100); do
        p=$((10000 + RANDOM % 22000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo "bench: no free port" >&2
    return 1
}

wait_http() {
    local url=$1 pid=$2 what=$3 log=$4
    for _ in $(seq 150); do
        if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "bench: $what exited during start-up:" >&2
            tail -n 30 "$log" >&2 || true
            return 1
        fi
        sleep 0.1
    done
    echo "bench: $what not ready after 15 s:" >&2
    tail -n 30 "$log" >&2 || true
    return 1
}

#------------------------------------------------------------------------------
# The server, on a seeded SQLite database
#
db="$dir/bench.db"
mkdir -p "$dir/data" "$dir/www" "$dir/nginx-tmp" "$dir/wrk"
chmod 755 "$dir/www"
"$bin" migrate --database "$db" --data-dir "$dir/data" >"$dir/seed.log" 2>&1 ||
    { cat "$dir/seed.log" >&2; exit 1; }
"$bin" seed --demo --database "$db" --data-dir "$dir/data" >>"$dir/seed.log" 2>&1 ||
    { cat "$dir/seed.log" >&2; exit 1; }

# Start the server; try another port if the chosen one was taken meanwhile.
for attempt in 1 2 3 4 5; do
    port=$(free_port)
    server_args=(serve --listen "127.0.0.1:$port" --database "$db" --data-dir "$dir/data" --access-log "$access_log"
                 --rate-limits "$rate_limits" --access-token-ttl 7200)
    [ -n "${BENCH_THREADS:-}" ] && server_args+=(--threads "$BENCH_THREADS")
    # O_APPEND, so the log can be truncated between runs while the server writes.
    "$bin" "${server_args[@]}" </dev/null >>"$dir/server.log" 2>&1 &
    server_pid=$!
    base="http://127.0.0.1:$port"
    sleep 0.2
    if ! kill -0 "$server_pid" 2>/dev/null && grep -q "in use" "$dir/server.log" && [ "$attempt" -lt 5 ]; then
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
        : >"$dir/server.log"
        continue
    fi
    break
done
wait_http "$base/readyz" "$server_pid" "artistry" "$dir/server.log"

# A user for the authenticated targets (the token outlives the run: --access-token-ttl 7200).
bench_email="bench-$$@example.com"
bench_password="bench-Pa55word-$$-x"
reg=$(curl -fsS -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$bench_email\",\"password\":\"$bench_password\",\"display_name\":\"Bench\"}" \
    "$base/api/v1/auth/register") || { echo "bench: cannot register the bench user" >&2; exit 1; }
bench_token=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$reg")
[ -n "$bench_token" ] || { echo "bench: no access token in: $reg" >&2; exit 1; }

#------------------------------------------------------------------------------
# nginx with the same bytes as GET /api/v1/categories
#
curl -fsS -o "$dir/www/categories.json" "$base/api/v1/categories"
chmod 644 "$dir/www/categories.json"
body_bytes=$(wc -c <"$dir/www/categories.json")
ncat=$(grep -o '"slug"' "$dir/www/categories.json" | wc -l)
nport=$(free_port)
while [ "$nport" = "$port" ]; do nport=$(free_port); done
sed -e "s|@PORT@|$nport|g" -e "s|@DIR@|$dir|g" -e "s|@WORKERS@|$nginx_workers|g" \
    bench/nginx.conf.in >"$dir/nginx.conf"
"$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" </dev/null >"$dir/nginx.out" 2>&1 &
nginx_pid=$!
wait_http "http://127.0.0.1:$nport/categories.json" "$nginx_pid" "nginx" "$dir/nginx-error.log"

#------------------------------------------------------------------------------
# Targets: name|url|method|body|headers, nginx first
#
names=("nginx-static")
urls=("http://127.0.0.1:$nport/categories.json")
methods=("GET")
bodies=("")
headers=("")
target_conns=("$conns")
for e in "${endpoints[@]}"; do
    IFS='|' read -r name path method body hdrs tconns <<<"$e"
    if [ -n "${BENCH_ONLY:-}" ] && ! [[ $name =~ $BENCH_ONLY ]]; then
        continue
    fi
    body=${body//@EMAIL@/$bench_email}
    body=${body//@PASSWORD@/$bench_password}
    names+=("$name")
    urls+=("$base$path")
    methods+=("${method:-GET}")
    bodies+=("$body")
    headers+=("${hdrs//@TOKEN@/$bench_token}")
    target_conns+=("${tconns:-$conns}")
done

# A wrk Lua script for a target with a method other than GET, a body or headers.
lua_quote() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    printf '"%s"' "$s"
}

make_script() {
    local i=$1 f="$dir/wrk/target$1.lua" body=${bodies[$1]} h
    if [ "${methods[$i]}" = GET ] && [ -z "$body" ] && [ -z "${headers[$i]}" ]; then
        return 0
    fi
    if [ "${body:0:1}" = "@" ]; then
        body=$(cat "$root/${body:1}")
    fi
    {
        echo "wrk.method = $(lua_quote "${methods[$i]}")"
        if [ -n "$body" ]; then
            echo "wrk.body = $(lua_quote "$body")"
            echo 'wrk.headers["Content-Type"] = "application/json"'
        fi
        IFS=';' read -ra hs <<<"${headers[$i]}"
        for h in "${hs[@]}"; do
            [ -n "$h" ] || continue
            echo "wrk.headers[$(lua_quote "$(sed 's/:.*//; s/^ *//' <<<"$h")")] = $(lua_quote "$(sed 's/^[^:]*: *//' <<<"$h")")"
        done
    } >"$f"
    echo "$f"
}

# Check every target answers 2xx before measuring it.
for i in "${!names[@]}"; do
    curl_args=(-sS -o /dev/null -w '%{http_code}' -X "${methods[$i]}")
    if [ -n "${bodies[$i]}" ]; then
        if [ "${bodies[$i]:0:1}" = "@" ]; then
            curl_args+=(--data-binary "@$root/${bodies[$i]:1}")
        else
            curl_args+=(--data-binary "${bodies[$i]}")
        fi
        curl_args+=(-H "Content-Type: application/json")
    fi
    IFS=';' read -ra hs <<<"${headers[$i]}"
    for h in "${hs[@]}"; do [ -n "$h" ] && curl_args+=(-H "$h"); done
    code=$(curl "${curl_args[@]}" "${urls[$i]}" || true)
    case $code in
        2??) ;;
        *) echo "bench: warning: ${names[$i]} (${methods[$i]} ${urls[$i]}) answers $code" >&2 ;;
    esac
done

#------------------------------------------------------------------------------
# Measure: rounds × targets, alternating, so drift hits every target alike
#

# "1.23ms" / "456.78us" / "1.02s" → milliseconds
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000
        else if (v ~ /ms$/) n = n
        else if (v ~ /m$/) n = n * 60000
        else if (v ~ /s$/) n = n * 1000
        printf "%.3f", n
    }'
}

# median of the arguments
median() {
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "0"; exit }
        if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

declare -A rps p50 p99 errs loglines
echo "bench: ${#names[@]} targets, $rounds rounds of ${duration}s, wrk -t$wrk_threads -c$conns, access log $access_log" >&2
for r in $(seq "$rounds"); do
    for i in "${!names[@]}"; do
        out="$dir/wrk/${names[$i]}.$r.txt"
        script=$(make_script "$i")
        wrk_args=(-t"$wrk_threads" -c"${target_conns[$i]}" -d"${duration}s" --latency --timeout 10s)
        [ -n "$script" ] && wrk_args+=(-s "$script")
        printf 'bench: round %d/%d %-24s' "$r" "$rounds" "${names[$i]}" >&2
        wrk "${wrk_args[@]}" "${urls[$i]}" >"$out" 2>&1 || { echo; cat "$out" >&2; exit 1; }
        rps[$i,$r]=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
        p50[$i,$r]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
        p99[$i,$r]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
        e=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$out")
        errs[$i]=$(( ${errs[$i]:-0} + e ))
        # Access log lines written during this run (sanity check), then truncate.
        if [ "$i" -gt 0 ]; then
            loglines[$i]=$(( ${loglines[$i]:-0} + $(wc -l <"$dir/server.log") ))
            : >"$dir/server.log"
        fi
        printf ' %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms\n' "${rps[$i,$r]}" "${p50[$i,$r]}" "${p99[$i,$r]}" >&2
        kill -0 "$server_pid" 2>/dev/null || { echo "bench: the server died" >&2; tail -n 30 "$dir/server.log" >&2; exit 1; }
    done
done

#------------------------------------------------------------------------------
# Report
#
med() { # med ARRAY-NAME INDEX
    local -n arr=$1
    local vals=() r
    for r in $(seq "$rounds"); do vals+=("${arr[$2,$r]}"); done
    median "${vals[@]}"
}

nginx_rps=$(med rps 0)
echo
echo "Artistry Cart benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
echo "command: make bench (BENCH_DURATION=$duration BENCH_ROUNDS=$rounds), wrk -t$wrk_threads -c$conns --latency, loopback"
echo "data: seed --demo on SQLite: $ncat categories, GET /api/v1/categories = $body_bytes bytes; nginx serves the same bytes from a file"
echo "server: $bin, access log $access_log, rate limits $rate_limits${BENCH_THREADS:+, --threads $BENCH_THREADS}; nginx: $nginx_workers workers, access_log off"
echo "median of $rounds rounds"
echo
printf '%-24s %12s %10s %10s %9s %8s\n' endpoint "req/s" "p50 ms" "p99 ms" "vs nginx" errors
printf '%-24s %12s %10s %10s %9s %8s\n' ------------------------ ------------ ---------- ---------- --------- --------
for i in "${!names[@]}"; do
    m=$(med rps "$i")
    ratio=$(awk -v a="$m" -v b="$nginx_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    printf '%-24s %12.0f %10.3f %10.3f %9s %8d\n' "${names[$i]}" "$m" "$(med p50 "$i")" "$(med p99 "$i")" "$ratio" \
        "${errs[$i]:-0}"
done
for i in "${!names[@]}"; do
    if [ "${errs[$i]:-0}" -gt 0 ]; then
        echo
        echo "WARNING: ${names[$i]} had ${errs[$i]} non-2xx responses or socket errors: its row is not valid"
    fi
done
if [ "$access_log" = true ]; then
    # Sanity check that the server really logged: lines ≈ requests served.
    notes=()
    for i in "${!names[@]}"; do
        [ "$i" -gt 0 ] && notes+=("${names[$i]} ${loglines[$i]:-0}")
    done
    echo
    echo "access log lines written, all rounds: $(IFS=,; echo "${notes[*]}" | sed 's/,/, /g')"
fi

#------------------------------------------------------------------------------
# Reads during a login storm: categories measured while 32 connections hammer
# login (argon2id on the bounded slow pool). DESIGN.md §6 requires that
# hashing never stalls other requests: compare with the categories row above.
#
if [ -z "${BENCH_ONLY:-}" ] || [[ categories =~ $BENCH_ONLY ]]; then
    storm_lua="$dir/wrk/storm.lua"
    {
        echo 'wrk.method = "POST"'
        echo "wrk.body = $(lua_quote "{\"email\":\"$bench_email\",\"password\":\"$bench_password\"}")"
        echo 'wrk.headers["Content-Type"] = "application/json"'
    } >"$storm_lua"
    wrk -t1 -c32 -d"$((duration + 2))s" --timeout 10s -s "$storm_lua" "$base/api/v1/auth/login" >"$dir/wrk/storm.txt" 2>&1 &
    storm_pid=$!
    sleep 1
    ci=0
    for i in "${!names[@]}"; do [ "${names[$i]}" = categories ] && ci=$i; done
    wrk -t"$wrk_threads" -c"$conns" -d"${duration}s" --latency "${urls[$ci]}" >"$dir/wrk/during-storm.txt" 2>&1
    wait "$storm_pid" 2>/dev/null || true
    d_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$dir/wrk/during-storm.txt")
    d_p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$dir/wrk/during-storm.txt")")
    d_p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$dir/wrk/during-storm.txt")")
    s_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$dir/wrk/storm.txt")
    s_non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$dir/wrk/storm.txt")
    echo
    echo "categories during a login storm (32 connections on POST /auth/login, ${s_rps} logins/s, ${s_non2xx:-0} answered 429/503):"
    printf '%-24s %12.0f %10.3f %10.3f\n' "categories+storm" "$d_rps" "$d_p50" "$d_p99"
fi

