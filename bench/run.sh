#!/usr/bin/env bash
# bench/run.sh — what `make bench` runs: wrk against the server's key
# endpoints and, in the same run, against nginx serving the same bytes as a
# static file (the machine's practical ceiling). See bench/README.md.
#
# Two phases, one nginx:
#   1. demo: `seed --demo` on SQLite; healthz, categories, users/me, login, and
#      categories during a login storm; ratios to nginx serving the categories body.
#   2. catalog: `seed --catalog $BENCH_CATALOG` into a fresh SQLite database (the
#      seed time is reported), the server restarted on it; a product detail, a
#      category listing, a two-word search with facets and suggestions, each
#      against its own nginx twin serving that endpoint's response bytes; and
#      search-mixed, thousands of distinct two-word searches taken from the
#      titles (the same query repeated mostly measures the search result cache).
# An endpoint that answers 404 (not built yet) is reported as missing, not measured.
#
# Environment:
#   BENCH_DURATION (10)      seconds per wrk run
#   BENCH_ROUNDS (2)         rounds; each round runs every target of a phase once, in turn
#   BENCH_CONNECTIONS (64)   wrk -c
#   BENCH_WRK_THREADS (1)    wrk -t
#   BENCH_ACCESS_LOG (true)  the server's --access-log (to a file, as in production)
#   BENCH_RATE_LIMITS (false) the server's --rate-limits: one loopback client would
#                            exhaust the per-address quotas within a second
#   BENCH_THREADS            the server's --threads (default: its own, one per core)
#   BENCH_NGINX_WORKERS (2)  nginx worker_processes
#   BENCH_ONLY               regex: only endpoints whose name matches (nginx always runs)
#   BENCH_CATALOG (100000)   products of the catalog phase; 0 skips the phase
#   BENCH_SEED (1)           --seed of the generated catalog
#   BENCH_CATEGORY (ceramics) slug of the category listed (its subtree is included)
#   BENCH_SEARCH_Q ("stoneware mug")  the two-word search
#   BENCH_SUGGEST_Q (sto)    the suggestions prefix
#   BENCH_SEARCH_CONNECTIONS (16)     wrk -c for search and suggestions
#   ARTISTRY_BIN (build/artistry)
#   BENCH_KEEP=1             keep the temp dir (logs, wrk output, databases)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

# Endpoints of the demo phase: name|path|method|body|headers|connections
#   body: JSON text, or @file (relative to the repo root), or empty
#   headers: extra request headers separated by ';' (e.g. "Authorization: Bearer x")
#   connections: wrk -c for this target (default BENCH_CONNECTIONS)
#   @TOKEN@ in headers is replaced by an access token of a user registered at start-up;
#   @EMAIL@ / @PASSWORD@ in bodies by that user's credentials.
# The catalog phase's endpoints are listed in its section below. nginx is added by the script.
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
catalog_n=${BENCH_CATALOG:-100000}
catalog_seed=${BENCH_SEED:-1}
category_slug=${BENCH_CATEGORY:-ceramics}
search_q=${BENCH_SEARCH_Q:-stoneware mug}
suggest_q=${BENCH_SUGGEST_Q:-sto}
search_conns=${BENCH_SEARCH_CONNECTIONS:-16}
bin=${ARTISTRY_BIN:-build/artistry}
nginx=${NGINX:-/usr/sbin/nginx}

for tool in wrk curl sqlite3 "$nginx" "$bin"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not found (make bench installs wrk and nginx)" >&2; exit 1; }
done
case $catalog_n in
    '' | *[!0-9]*) echo "bench: BENCH_CATALOG must be a number of products (0 skips the catalog phase)" >&2; exit 2 ;;
esac

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

# start_server DB: serve DB on a free port (server_pid, port, base); another port if the chosen one was taken.
start_server() {
    local db=$1 attempt
    : >"$dir/server.log"
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        while [ -n "${nport:-}" ] && [ "$port" = "$nport" ]; do port=$(free_port); done
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
}

#------------------------------------------------------------------------------
# Targets: parallel arrays, one entry per wrk target. ref is the index of the
# nginx target its ratio is taken against (-1 for nginx itself); missing=1
# marks an endpoint that answered 404 before the run (not measured).
#
names=() urls=() methods=() bodies=() headers=() target_conns=() refs=() phases=() missing=() scripts=() tbytes=()

add_target() { # name url method body headers conns ref phase [wrk-script]
    names+=("$1") urls+=("$2") methods+=("${3:-GET}") bodies+=("$4") headers+=("$5")
    target_conns+=("${6:-$conns}") refs+=("$7") phases+=("$8") missing+=(0) scripts+=("${9:-}") tbytes+=("-")
}

wanted() { [ -z "${BENCH_ONLY:-}" ] || [[ $1 =~ $BENCH_ONLY ]]; }

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
    if [ -n "${scripts[$i]}" ]; then
        echo "${scripts[$i]}"
        return 0
    fi
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

# check_target I: one request before measuring; 404 marks the endpoint missing, other non-2xx warn.
check_target() {
    local i=$1 code h
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
        404) missing[$i]=1; echo "bench: ${names[$i]} (${methods[$i]} ${urls[$i]}) answers 404: reported as missing" >&2 ;;
        *) echo "bench: warning: ${names[$i]} (${methods[$i]} ${urls[$i]}) answers $code" >&2 ;;
    esac
}

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

# measure PHASE: rounds × the phase's targets, alternating, so drift hits every target alike.
measure() {
    local phase=$1 r i out script e
    for r in $(seq "$rounds"); do
        for i in "${!names[@]}"; do
            [ "${phases[$i]}" = "$phase" ] && [ "${missing[$i]}" = 0 ] || continue
            out="$dir/wrk/${names[$i]}.$r.txt"
            script=$(make_script "$i")
            wrk_args=(-t"$wrk_threads" -c"${target_conns[$i]}" -d"${duration}s" --latency --timeout 10s)
            [ -n "$script" ] && wrk_args+=(-s "$script")
            printf 'bench: %s round %d/%d %-24s' "$phase" "$r" "$rounds" "${names[$i]}" >&2
            wrk "${wrk_args[@]}" "${urls[$i]}" >"$out" 2>&1 || { echo; cat "$out" >&2; exit 1; }
            rps[$i,$r]=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
            p50[$i,$r]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
            p99[$i,$r]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
            e=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$out")
            errs[$i]=$(( ${errs[$i]:-0} + e ))
            # Access log lines written during this run (sanity check), then truncate.
            if [ "${refs[$i]}" -ge 0 ]; then
                loglines[$i]=$(( ${loglines[$i]:-0} + $(wc -l <"$dir/server.log") ))
                : >"$dir/server.log"
            fi
            printf ' %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms\n' "${rps[$i,$r]}" "${p50[$i,$r]}" "${p99[$i,$r]}" >&2
            kill -0 "$server_pid" 2>/dev/null || { echo "bench: the server died" >&2; tail -n 30 "$dir/server.log" >&2; exit 1; }
        done
    done
}

med() { # med ARRAY-NAME INDEX
    local -n arr=$1
    local vals=() r
    for r in $(seq "$rounds"); do vals+=("${arr[$2,$r]}"); done
    median "${vals[@]}"
}

ratio() { # ratio I: median req/s of target I over its nginx reference's
    local m n
    m=$(med rps "$1")
    n=$(med rps "${refs[$1]}")
    awk -v a="$m" -v b="$n" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

warn_errors() { # warn_errors PHASE
    local i
    for i in "${!names[@]}"; do
        if [ "${phases[$i]}" = "$1" ] && [ "${errs[$i]:-0}" -gt 0 ]; then
            echo
            echo "WARNING: ${names[$i]} had ${errs[$i]} non-2xx responses or socket errors: its row is not valid"
        fi
    done
}

#------------------------------------------------------------------------------
# Phase 1: the demo catalog
#
db="$dir/bench.db"
mkdir -p "$dir/data" "$dir/www" "$dir/nginx-tmp" "$dir/wrk"
chmod 755 "$dir/www"
"$bin" migrate --database "$db" --data-dir "$dir/data" >"$dir/seed.log" 2>&1 ||
    { cat "$dir/seed.log" >&2; exit 1; }
"$bin" seed --demo --database "$db" --data-dir "$dir/data" >>"$dir/seed.log" 2>&1 ||
    { cat "$dir/seed.log" >&2; exit 1; }
nport=""
start_server "$db"

# A user for the authenticated targets (the token outlives the run: --access-token-ttl 7200).
bench_email="bench-$$@example.com"
bench_password="bench-Pa55word-$$-x"
reg=$(curl -fsS -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$bench_email\",\"password\":\"$bench_password\",\"display_name\":\"Bench\"}" \
    "$base/api/v1/auth/register") || { echo "bench: cannot register the bench user" >&2; exit 1; }
bench_token=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$reg")
[ -n "$bench_token" ] || { echo "bench: no access token in: $reg" >&2; exit 1; }

# nginx, serving files from $dir/www: first the same bytes as GET /api/v1/categories.
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

add_target "nginx-static" "http://127.0.0.1:$nport/categories.json" GET "" "" "$conns" -1 demo
for e in "${endpoints[@]}"; do
    IFS='|' read -r name path method body hdrs tconns <<<"$e"
    wanted "$name" || continue
    body=${body//@EMAIL@/$bench_email}
    body=${body//@PASSWORD@/$bench_password}
    add_target "$name" "$base$path" "${method:-GET}" "$body" "${hdrs//@TOKEN@/$bench_token}" "${tconns:-$conns}" 0 demo
done
for i in "${!names[@]}"; do check_target "$i"; done

echo "bench: demo phase: ${#names[@]} targets, $rounds rounds of ${duration}s, wrk -t$wrk_threads -c$conns, access log $access_log" >&2
measure demo

echo
echo "Artistry Cart benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
echo "command: make bench (BENCH_DURATION=$duration BENCH_ROUNDS=$rounds BENCH_CATALOG=$catalog_n), wrk -t$wrk_threads -c$conns --latency, loopback"
echo "server: $bin, access log $access_log, rate limits $rate_limits${BENCH_THREADS:+, --threads $BENCH_THREADS}; nginx: $nginx_workers workers, access_log off"
echo "median of $rounds rounds"
echo
echo "Phase 1 — data: seed --demo on SQLite: $ncat categories, GET /api/v1/categories = $body_bytes bytes; nginx serves the same bytes from a file"
echo
printf '%-24s %12s %10s %10s %9s %8s\n' endpoint "req/s" "p50 ms" "p99 ms" "vs nginx" errors
printf '%-24s %12s %10s %10s %9s %8s\n' ------------------------ ------------ ---------- ---------- --------- --------
for i in "${!names[@]}"; do
    [ "${phases[$i]}" = demo ] || continue
    if [ "${missing[$i]}" = 1 ]; then
        printf '%-24s %12s\n' "${names[$i]}" "missing (404)"
        continue
    fi
    r=$([ "${refs[$i]}" -ge 0 ] && ratio "$i" || echo "1.00")
    printf '%-24s %12.0f %10.3f %10.3f %9s %8d\n' "${names[$i]}" "$(med rps "$i")" "$(med p50 "$i")" "$(med p99 "$i")" \
        "$r" "${errs[$i]:-0}"
done
warn_errors demo
if [ "$access_log" = true ]; then
    # Sanity check that the server really logged: lines ≈ requests served.
    notes=()
    for i in "${!names[@]}"; do
        [ "${phases[$i]}" = demo ] && [ "${refs[$i]}" -ge 0 ] && notes+=("${names[$i]} ${loglines[$i]:-0}")
    done
    echo
    echo "access log lines written, all rounds: $(IFS=,; echo "${notes[*]}" | sed 's/,/, /g')"
fi

#------------------------------------------------------------------------------
# Reads during a login storm: categories measured while 32 connections hammer
# login (argon2id on the bounded slow pool). DESIGN.md §6 requires that
# hashing never stalls other requests: compare with the categories row above.
#
if wanted categories; then
    storm_lua="$dir/wrk/storm.lua"
    {
        echo 'wrk.method = "POST"'
        echo "wrk.body = $(lua_quote "{\"email\":\"$bench_email\",\"password\":\"$bench_password\"}")"
        echo 'wrk.headers["Content-Type"] = "application/json"'
    } >"$storm_lua"
    wrk -t1 -c32 -d"$((duration + 2))s" --timeout 10s -s "$storm_lua" "$base/api/v1/auth/login" >"$dir/wrk/storm.txt" 2>&1 &
    storm_pid=$!
    sleep 1
    wrk -t"$wrk_threads" -c"$conns" -d"${duration}s" --latency "$base/api/v1/categories" >"$dir/wrk/during-storm.txt" 2>&1
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

#------------------------------------------------------------------------------
# Phase 2: a generated catalog of $BENCH_CATALOG products
#
catalog_names=(product products-by-category search search-mixed suggestions similar for-me)
any=0
for n in "${catalog_names[@]}"; do wanted "$n" && any=1; done
if [ "$catalog_n" -eq 0 ] || [ "$any" = 0 ]; then
    exit 0
fi

stop_pid "$server_pid" TERM
server_pid=""
cdb="$dir/catalog.db"
"$bin" migrate --database "$cdb" --data-dir "$dir/data" >"$dir/catalog-seed.log" 2>&1 ||
    { cat "$dir/catalog-seed.log" >&2; exit 1; }
echo "bench: seeding $catalog_n products (seed $catalog_seed)..." >&2
t0=$(date +%s.%N)
"$bin" seed --catalog "$catalog_n" --seed "$catalog_seed" --database "$cdb" --data-dir "$dir/data" \
    >"$dir/catalog-seed.out" 2>>"$dir/catalog-seed.log" ||
    { cat "$dir/catalog-seed.log" "$dir/catalog-seed.out" >&2; exit 1; }
seed_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
seed_line=$(grep '^catalog:' "$dir/catalog-seed.out" || true)
db_mb=$(awk -v b="$(stat -c %s "$cdb")" 'BEGIN { printf "%.0f", b / 1048576 }')
echo "bench: $seed_line" >&2
start_server "$cdb"

# Real values from the database: a product with variants and reviews, the category, the matches.
sql() { sqlite3 -batch -noheader "$cdb" "$1"; }
product_id=$(sql "SELECT p.id FROM products p WHERE p.status = 'active' AND p.rating_count > 0 AND EXISTS
                  (SELECT 1 FROM product_variants v WHERE v.product_id = p.id) ORDER BY p.id LIMIT 1 OFFSET 100")
[ -n "$product_id" ] || product_id=$(sql "SELECT id FROM products WHERE status = 'active' ORDER BY id LIMIT 1")
category_id=$(sql "SELECT id FROM categories WHERE slug = '${category_slug//\'/}'")
category_path=$(sql "SELECT path FROM categories WHERE id = '$category_id'")
category_count=$(sql "SELECT count(*) FROM products p JOIN categories c ON c.id = p.category_id
                      WHERE p.status = 'active' AND (c.path = '$category_path' OR c.path LIKE '$category_path/%')")
[ -n "$category_id" ] || { echo "bench: no category with slug '$category_slug'" >&2; exit 1; }
read -r w1 w2 _ <<<"$search_q"
search_count=$(sql "SELECT count(*) FROM products WHERE status = 'active' AND (title || ' ' || tags || ' ' || description)
                    LIKE '%${w1//\'/}%' AND (title || ' ' || tags || ' ' || description) LIKE '%${w2//\'/}%'")
q_enc=${search_q// /%20}

first=${#names[@]}
add_target "product" "$base/api/v1/products/$product_id" GET "" "" "$conns" -1 catalog
add_target "products-by-category" "$base/api/v1/products?category=$category_id" GET "" "" "$conns" -1 catalog
add_target "search" "$base/api/v1/search?q=$q_enc" GET "" "" "$search_conns" -1 catalog
# Distinct two-word queries: adjacent words of the titles, in a random order per wrk connection.
sql "SELECT title FROM products WHERE status = 'active' ORDER BY id" |
    awk 'BEGIN { srand(1) } {
        n = split(tolower($0), w, /[^a-z0-9-]+/); k = 0
        for (i = 1; i <= n; i++) if (length(w[i]) >= 3) v[++k] = w[i]
        for (i = 1; i < k; i++) { q = v[i] "%20" v[i + 1]; if (!(q in seen)) { seen[q] = 1; print q } }
    }' | head -n 5000 >"$dir/mixed-queries.txt"
mixed_n=$(wc -l <"$dir/mixed-queries.txt")
{
    echo 'local queries = {'
    sed 's/.*/"&",/' "$dir/mixed-queries.txt"
    echo '}'
    echo 'local counter = 0'
    echo 'function init(args) math.randomseed(os.time() + counter) counter = counter + 1 end'
    echo 'function request() return wrk.format("GET", "/api/v1/search?q=" .. queries[math.random(#queries)]) end'
} >"$dir/wrk/search-mixed.lua"
add_target "search-mixed" "$base/api/v1/search?q=$q_enc" GET "" "" "$search_conns" -1 catalog "$dir/wrk/search-mixed.lua"
add_target "suggestions" "$base/api/v1/search/suggestions?q=$suggest_q" GET "" "" "$search_conns" -1 catalog
# Recommendations (recs): similar for the product; for-me as the generated buyer with the most history,
# once the updater's first pass over the seeded orders and wishlists is done (recs_state 'trending').
add_target "similar" "$base/api/v1/products/$product_id/similar" GET "" "" "$conns" -1 catalog
if wanted "for-me"; then
    for _ in $(seq 1 600); do
        [ "$(sql "SELECT value FROM recs_state WHERE name = 'trending'")" != 0 ] && break
        sleep 0.5
    done
    recs_email=$(sql "SELECT u.email FROM users u JOIN recs_interactions i ON i.user_id = u.id
                      WHERE u.email LIKE 'buyer%' GROUP BY u.id, u.email ORDER BY COUNT(*) DESC, u.id LIMIT 1")
    recs_token=$(curl -sS -X POST -H 'Content-Type: application/json' \
        --data "{\"email\":\"$recs_email\",\"password\":\"kiln-loom-anvil-2024\"}" "$base/api/v1/auth/login" |
        sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
    add_target "for-me" "$base/api/v1/recommendations/for-me" GET "" "Authorization: Bearer $recs_token" "$conns" -1 catalog
fi
# Each endpoint gets an nginx twin serving its own response bytes, at the same connection count.
last=${#names[@]}
for ((i = first; i < last; i++)); do
    name=${names[$i]}
    if ! wanted "$name"; then
        missing[$i]=2 # not selected
        continue
    fi
    check_target "$i"
    [ "${missing[$i]}" = 0 ] || continue
    if [ -n "${scripts[$i]}" ]; then
        # search-mixed: bodies vary; its reference is the search twin (made here if search is not selected).
        twin=-1
        for j in "${!names[@]}"; do [ "${names[$j]}" = nginx-search ] && twin=$j; done
        if [ "$twin" -lt 0 ]; then
            curl -sS -o "$dir/www/search.json" "${urls[$i]}"
            chmod 644 "$dir/www/search.json"
            add_target "nginx-search" "http://127.0.0.1:$nport/search.json" GET "" "" "${target_conns[$i]}" -1 catalog
            twin=$((${#names[@]} - 1))
        fi
        refs[$i]=$twin
        continue
    fi
    twin_h=()
    IFS=';' read -ra hs <<<"${headers[$i]}"
    for h in "${hs[@]}"; do [ -n "$h" ] && twin_h+=(-H "$h"); done
    curl -sS "${twin_h[@]}" -o "$dir/www/$name.json" "${urls[$i]}"
    chmod 644 "$dir/www/$name.json"
    tbytes[$i]=$(wc -c <"$dir/www/$name.json")
    add_target "nginx-$name" "http://127.0.0.1:$nport/$name.json" GET "" "" "${target_conns[$i]}" -1 catalog
    refs[$i]=$((${#names[@]} - 1))
done

echo "bench: catalog phase: $rounds rounds of ${duration}s" >&2
measure catalog

verdict() { # verdict I: the issue's target for this endpoint, met or not
    local i=$1
    case ${names[$i]} in
        product) awk -v r="$(ratio "$i")" 'BEGIN { printf "%s (>= 0.40x nginx)", (r >= 0.40 ? "met" : "NOT met") }' ;;
        search | search-mixed) awk -v p="$(med p99 "$i")" 'BEGIN { printf "%s (p99 < 20 ms)", (p < 20 ? "met" : "NOT met") }' ;;
        suggestions) awk -v p="$(med p99 "$i")" 'BEGIN { printf "%s (p99 < 5 ms)", (p < 5 ? "met" : "NOT met") }' ;;
        *) echo "-" ;;
    esac
}

echo
echo "Phase 2 — data: seed --catalog $catalog_n --seed $catalog_seed on SQLite took ${seed_s} s (${db_mb} MB):"
echo "  $seed_line"
echo "  product $product_id; category '$category_slug' ($category_id, $category_count active products in its subtree);"
echo "  search q='$search_q' (about $search_count active products contain both words), facets included;"
echo "  search-mixed: $mixed_n distinct two-word queries from the titles, at random (same nginx twin as search);"
echo "  suggestions q='$suggest_q'. Each endpoint's nginx twin serves that endpoint's response bytes."
echo
printf '%-22s %6s %8s %10s %9s %9s %12s %7s %7s  %s\n' endpoint conns bytes "req/s" "p50 ms" "p99 ms" "nginx req/s" "ratio" errors target
printf '%-22s %6s %8s %10s %9s %9s %12s %7s %7s  %s\n' ---------------------- ------ -------- ---------- --------- --------- ------------ ------- ------- ------
for ((i = first; i < last; i++)); do
    case ${missing[$i]} in
        1) printf '%-22s %s\n' "${names[$i]}" "missing (404): not built yet"; continue ;;
        2) continue ;;
    esac
    printf '%-22s %6d %8s %10.0f %9.3f %9.3f %12.0f %7s %7d  %s\n' "${names[$i]}" "${target_conns[$i]}" \
        "${tbytes[$i]}" "$(med rps "$i")" "$(med p50 "$i")" "$(med p99 "$i")" \
        "$(med rps "${refs[$i]}")" "$(ratio "$i")" "${errs[$i]:-0}" "$(verdict "$i")"
done
warn_errors catalog

# Commerce (orders): add-to-cart and checkout throughput on SQLite and on
# PostgreSQL (BENCH_PG_URL, or a throwaway cluster); see bench/commerce.sh.
ARTISTRY_BIN=$bin bash bench/commerce.sh

# Sockets (real-time): BENCH_SOCKETS (10 000) concurrent Socket.IO connections held
# idle, then a message fan-out, against the npm socket.io server; see bench/socket.sh.
ARTISTRY_BIN=$bin bash bench/socket.sh
