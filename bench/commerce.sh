#!/usr/bin/env bash
# bench/commerce.sh — add-to-cart and checkout throughput (orders), on SQLite
# and on PostgreSQL: BENCH_PG_URL (postgres://…/db of a server we may CREATE
# DATABASE on), or else a throwaway cluster on loopback (scripts/pg-cluster.sh;
# BENCH_SKIP_PG=1 skips PostgreSQL). Called at the end of bench/run.sh; runs
# alone too.
#
# Set-up per engine: a fresh database; one seller with BENCH_COMMERCE_PRODUCTS
# products (stock 10^9, so stock never runs out: we measure the write path,
# not sold-out refusals) and a free "everywhere" rate table; BENCH_COMMERCE_BUYERS
# buyers (one registered through the API, the rest copies of it in the
# database, each signed in for a token).
#
#   add-to-cart  wrk POST /api/v1/cart/items, buyer and product chosen at
#                random per request (the line's quantity grows; one line per
#                buyer and product).
#   checkout     wrk alternates, per buyer in turn, POST /cart/items then
#                POST /orders: every checkout needs a cart refill, so both are
#                in the loop. Reported: checkouts/s = 201 answers of POST
#                /orders per second (the refills are extra requests), and the
#                wrk latency over both kinds. A checkout that runs before its
#                refill (concurrent connections) answers 422 cart_empty: counted
#                apart, not as a checkout.
#
# Environment: BENCH_DURATION (10), BENCH_COMMERCE_CONNECTIONS (16),
# BENCH_COMMERCE_BUYERS (200), BENCH_COMMERCE_PRODUCTS (50), BENCH_PG_URL,
# ARTISTRY_BIN (build/artistry), BENCH_ONLY (regex over "add-to-cart", "checkout").
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${ARTISTRY_BIN:-build/artistry}
duration=${BENCH_DURATION:-10}
conns=${BENCH_COMMERCE_CONNECTIONS:-16}
nbuyers=${BENCH_COMMERCE_BUYERS:-200}
nproducts=${BENCH_COMMERCE_PRODUCTS:-50}
dir=$(mktemp -d /tmp/artistry-commerce.XXXXXX)
pid=
pgdb=
pgdir=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    [ -n "$pgdb" ] && psql -q "${BENCH_PG_URL}" -c "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1 || true
    [ -n "$pgdir" ] && sh scripts/pg-cluster.sh stop "$pgdir" >/dev/null 2>&1 || true
    [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$dir"
}
trap cleanup EXIT
wanted() { [ -z "${BENCH_ONLY:-}" ] || [[ $1 =~ $BENCH_ONLY ]]; }
wanted add-to-cart || wanted checkout || exit 0

sql() { # sql TEXT: run on the bench database, print the first column
    if [ -n "$pgdb" ]; then psql -qtA "$dburl" -c "$1"; else sqlite3 "$dburl" "$1"; fi
}

post() { # post PATH JSON [TOKEN]
    curl -sS -X POST -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} --data "$2" "$base$1"
}

setup() {
    local port now hash i
    port=$((20000 + RANDOM % 10000))
    base="http://127.0.0.1:$port"
    "$bin" serve --listen "127.0.0.1:$port" --database "$dburl" --data-dir "$dir/data-$1" --rate-limits false \
        --log-level warn >"$dir/server-$1.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 200); do curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break; sleep 0.1; done
    now=$(date +%s000)
    post /api/v1/auth/register '{"email":"seller@bench.test","password":"kiln-loom-anvil-2024","display_name":"Seller"}' >/dev/null
    post /api/v1/auth/register '{"email":"b0@bench.test","password":"kiln-loom-anvil-2024","display_name":"Buyer"}' >/dev/null
    sql "UPDATE users SET role = 'seller' WHERE email = 'seller@bench.test';
         INSERT INTO shops (id, seller_id, slug, name, created_at, updated_at)
           SELECT 'shp_00000000000000000000000001', id, 'bench', 'Bench shop', $now, $now FROM users WHERE email = 'seller@bench.test';
         INSERT INTO shipping_rate_tables (id, seller_id, shop_id, name, basis, currency, is_default, created_at, updated_at)
           SELECT 'srt_00000000000000000000000001', seller_id, id, 'Standard', 'flat', 'USD', 1, $now, $now FROM shops;
         INSERT INTO shipping_rates (id, table_id, seller_id, zone, amount, currency, created_at, updated_at)
           SELECT 'srr_00000000000000000000000001', id, seller_id, 'everywhere', 0, 'USD', $now, $now FROM shipping_rate_tables;" >/dev/null
    hash=$(sql "SELECT password_hash FROM users WHERE email = 'b0@bench.test'")
    {
        for ((i = 1; i <= nproducts; i++)); do
            printf "INSERT INTO products (id, seller_id, shop_id, slug, title, price_amount, currency, status, stock, in_stock, published_at, created_at, updated_at) SELECT 'prd_%026d', seller_id, id, 'p%d', 'Bench bowl %d', 2500, 'USD', 'active', 1000000000, 1, %s, %s, %s FROM shops;\n" "$i" "$i" "$i" "$now" "$now" "$now"
        done
        for ((i = 1; i < nbuyers; i++)); do
            printf "INSERT INTO users (id, email, email_normalized, password_hash, role, display_name, created_at, updated_at) VALUES ('usr_%026d', 'b%d@bench.test', 'b%d@bench.test', '%s', 'buyer', 'Buyer', %s, %s);\n" "$i" "$i" "$i" "$hash" "$now" "$now"
        done
    } >"$dir/fixtures.sql"
    if [ -n "$pgdb" ]; then psql -q "$dburl" -f "$dir/fixtures.sql" >/dev/null; else sqlite3 "$dburl" <"$dir/fixtures.sql"; fi
    : >"$dir/tokens"
    for ((i = 0; i < nbuyers; i++)); do
        printf '%s\n' "$(post /api/v1/auth/login "{\"email\":\"b$i@bench.test\",\"password\":\"kiln-loom-anvil-2024\"}" |
            sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')" >>"$dir/tokens"
    done
    [ "$(grep -c . "$dir/tokens")" = "$nbuyers" ] || { echo "commerce bench: buyer sign-in failed" >&2; exit 1; }
}

lua() { # lua MODE (add | checkout)
    cat <<LUA
local tokens, n, i = {}, 0, 0
for line in io.lines("$dir/tokens") do n = n + 1; tokens[n] = line end
local threads = {}
function setup(t) table.insert(threads, t) end
created, empty, other = 0, 0, 0
local function add(tok)
  local body = string.format('{"product_id":"prd_%026d","quantity":1}', math.random($nproducts))
  return wrk.format("POST", "/api/v1/cart/items", {["Content-Type"] = "application/json",
                    ["Authorization"] = "Bearer " .. tok}, body)
end
function request()
  i = i + 1
  local tok = tokens[(math.floor(i / 2) % n) + 1]
  if "$1" == "add" then return add(tokens[math.random(n)]) end
  if i % 2 == 0 then return add(tok) end
  return wrk.format("POST", "/api/v1/orders", {["Content-Type"] = "application/json",
                    ["Authorization"] = "Bearer " .. tok},
                    '{"shipping_address":{"full_name":"B","line1":"1 Road","city":"Leeds","country":"GB"}}')
end
function response(status)
  if status == 201 then created = created + 1 elseif status == 422 then empty = empty + 1
  elseif status >= 300 then other = other + 1 end
end
function done(summary, latency, requests)
  local c, e, o = 0, 0, 0
  for _, t in ipairs(threads) do c = c + t:get("created"); e = e + t:get("empty"); o = o + t:get("other") end
  io.write(string.format("COUNTS %d %d %d %d %.3f %.3f\n", summary.requests, c, e, o,
           latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA
}

run() { # run ENGINE NAME MODE
    local out req c e o p50 p99 secs
    lua "$3" >"$dir/$2.lua"
    out=$(wrk -t1 -c"$conns" -d"${duration}s" -s "$dir/$2.lua" "$base" 2>&1)
    read -r _ req c e o p50 p99 <<<"$(grep '^COUNTS' <<<"$out")"
    secs=$duration
    if [ "$3" = add ]; then
        # every add answers 200/201: created counts new lines only
        printf '%-10s %-12s %10.0f %12s %9s %9s %7d\n' "$1" "$2" "$(awk -v r="$req" -v s="$secs" 'BEGIN{print r/s}')" \
            "-" "$p50" "$p99" "$o"
    else
        # created = 201s of POST /orders + 201s of refills that made a new line; the refills of a buyer
        # whose line was bought are always new lines, so checkouts = created / 2.
        printf '%-10s %-12s %10.0f %12.0f %9s %9s %7d  (cart_empty: %d)\n' "$1" "$2" \
            "$(awk -v r="$req" -v s="$secs" 'BEGIN{print r/s}')" "$(awk -v c="$c" -v s="$secs" 'BEGIN{print c/2/s}')" \
            "$p50" "$p99" "$o" "$e"
    fi
}

engine() { # engine NAME
    setup "$1"
    wanted add-to-cart && run "$1" add-to-cart add
    wanted checkout && run "$1" checkout checkout
    echo "  $1: orders $(sql 'SELECT COUNT(*) FROM orders'), checkouts $(sql 'SELECT COUNT(*) FROM checkouts')" >&2
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

echo
echo "Commerce (orders): $nbuyers buyers, $nproducts products, wrk -t1 -c$conns, ${duration}s per run"
printf '%-10s %-12s %10s %12s %9s %9s %7s\n' engine endpoint "req/s" "checkouts/s" "p50 ms" "p99 ms" errors
dburl="$dir/commerce.db"
engine sqlite
if [ -z "${BENCH_PG_URL:-}" ] && [ "${BENCH_SKIP_PG:-0}" != 1 ]; then
    pgdir=$(mktemp -d /tmp/acpg.XXXXXX)
    BENCH_PG_URL=$(sh scripts/pg-cluster.sh start "$pgdir") || { echo "commerce: no PostgreSQL cluster" >&2; pgdir=; }
fi
if [ -n "${BENCH_PG_URL:-}" ]; then
    pgdb=bench_commerce_$$
    psql -q "$BENCH_PG_URL" -c "CREATE DATABASE $pgdb" >/dev/null
    dburl=$(sed "s#/[^/?]*\(?.*\)\?\$#/$pgdb\1#" <<<"$BENCH_PG_URL")
    engine postgresql
fi
