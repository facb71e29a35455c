#!/usr/bin/env bash
# bench/socket.sh — Socket.IO at scale: N concurrent connections held idle, then
# a message fan-out; memory per connection and delivery latency, against the
# npm `socket.io` server (Node) as the reference, same client, same run.
# Called at the end of bench/run.sh; runs alone too. See bench/socket/README.md.
#
#   1. `artistry serve` on a fresh SQLite database; C buyers and one seller
#      (one registered through the API, the others copies of it in the
#      database), each signed in once; C conversations buyer_i ↔ seller.
#   2. bench/socket/load.js (Node, socket.io-client, W worker processes):
#      N sockets, websocket transport except the first BENCH_SOCKET_POLLING
#      (default transports: long-polling, then upgrade), at most
#      BENCH_SOCKET_BATCH handshakes in flight; socket i is in conversation
#      i % C, alternately as the buyer and the seller, and joins it.
#      Server RSS (/proc/<pid>/status VmRSS) before (after one warm-up socket)
#      and after the N connect: (after - before) / N is the memory per connection.
#   3. Idle BENCH_SOCKET_IDLE seconds (longer than the ping interval): after it,
#      every socket must still be connected and have answered at least one ping.
#   4. Fan-out: BENCH_SOCKET_ROUNDS rounds; in each, the first socket of every
#      conversation sends one message (send_message, acknowledged with the stored
#      message), which reaches every other socket of the conversation as
#      receive_message. Latency = receive time - the send time carried in the body.
#   5. The same client and plan against bench/socket/ref-server.js (socket.io on
#      Node, no storage), unless BENCH_SOCKET_REFERENCE=false.
#
# Environment:
#   BENCH_SOCKETS (10000)              concurrent connections
#   BENCH_SOCKET_CONVERSATIONS (1)     conversations the sockets are spread over (= messages per round)
#   BENCH_SOCKET_IDLE (auto)           idle seconds; default ping interval × 1.2 + 2 s
#   BENCH_SOCKET_PING_MS (10000)       ping interval for the bench, when the server has a *PING_INTERVAL* config
#                                      row (else its default); the reference gets the interval and timeout
#                                      that our server announced in its handshake
#   BENCH_SOCKET_ROUNDS (5)            fan-out rounds
#   BENCH_SOCKET_ROUND_GAP_MS (1000)   pause between rounds
#   BENCH_SOCKET_POLLING (20)          sockets that start with the default transports (polling + upgrade)
#   BENCH_SOCKET_WORKERS (2)           client processes
#   BENCH_SOCKET_BATCH (200)           handshakes in flight at once
#   BENCH_SOCKET_REFERENCE (true)      also measure the Node socket.io reference
#   ARTISTRY_BIN (build/artistry), BENCH_KEEP=1 (keep the temp dir), BENCH_ONLY (regex; "socket" selects this)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${ARTISTRY_BIN:-build/artistry}
nsock=${BENCH_SOCKETS:-10000}
nconv=${BENCH_SOCKET_CONVERSATIONS:-1}
rounds=${BENCH_SOCKET_ROUNDS:-5}
gap_ms=${BENCH_SOCKET_ROUND_GAP_MS:-1000}
npoll=${BENCH_SOCKET_POLLING:-20}
workers=${BENCH_SOCKET_WORKERS:-2}
batch=${BENCH_SOCKET_BATCH:-200}
ping_ms=${BENCH_SOCKET_PING_MS:-10000}
reference=${BENCH_SOCKET_REFERENCE:-true}
password=kiln-loom-anvil-2024

if [ -n "${BENCH_ONLY:-}" ] && ! [[ socket =~ $BENCH_ONLY ]]; then exit 0; fi
for v in nsock nconv rounds gap_ms npoll workers batch ping_ms; do
    case ${!v} in '' | *[!0-9]*) echo "bench-socket: $v must be a number" >&2; exit 2 ;; esac
done
if [ "$nsock" -lt 1 ] || [ "$nconv" -lt 1 ] || [ "$nconv" -gt "$nsock" ]; then
    echo "bench-socket: need 1 <= BENCH_SOCKET_CONVERSATIONS <= BENCH_SOCKETS" >&2
    exit 2
fi
for tool in node npm curl sqlite3 "$bin"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench-socket: $tool not found" >&2; exit 1; }
done

# File descriptors: the server holds N sockets, each client worker N/W. Raise the soft
# limit to the hard one; as root, the hard one too.
need=$((nsock + 1024))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
    ulimit -Hn "$need" 2>/dev/null && hard=$need ||
        echo "bench-socket: warning: the hard file limit is $hard (< $need needed) and cannot be raised (not root?)" >&2
fi
ulimit -n "$hard" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
    echo "bench-socket: warning: open files limited to $(ulimit -n): fewer than $nsock sockets will connect" >&2
fi
read -r plo phi </proc/sys/net/ipv4/ip_local_port_range
if [ $((phi - plo)) -lt "$nsock" ]; then
    echo "bench-socket: warning: the ephemeral port range ($plo-$phi) is smaller than $nsock connections" >&2
fi

# The client and the reference server: bench/socket/package-lock.json (socket.io-client, socket.io).
if [ ! -d bench/socket/node_modules/socket.io-client ] || [ ! -d bench/socket/node_modules/socket.io ] ||
    [ bench/socket/package-lock.json -nt bench/socket/node_modules/.package-lock.json ]; then
    echo "bench-socket: npm ci --prefix bench/socket" >&2
    npm ci --prefix bench/socket --no-audit --no-fund --loglevel=error >&2
fi

dir=$(mktemp -d /tmp/artistry-socket.XXXXXX)
pid=
cleanup() {
    local p
    for p in $pid ${load_pid:-}; do
        kill "$p" 2>/dev/null || continue
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-socket: kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stop_server NAME LOG: SIGTERM, 15 s to exit, then SIGKILL (reported: a shutdown that hangs is a bug).
stop_server() {
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "bench-socket: warning: $1 (pid $pid) did not exit within 15 s of SIGTERM; killed. Its log ends:" >&2
        tail -n 5 "$2" >&2 || true
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    pid=
}

free_port() {
    local p
    for _ in $(seq 100); do
        p=$((10000 + RANDOM % 22000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    echo "bench-socket: no free port" >&2
    return 1
}

wait_ready() { # wait_ready URL LOG
    for _ in $(seq 150); do
        curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { echo "bench-socket: server exited during start-up:" >&2; tail -n 30 "$2" >&2; exit 1; }
        sleep 0.1
    done
    echo "bench-socket: server not ready after 15 s" >&2; tail -n 30 "$2" >&2; exit 1
}

post() { # post PATH JSON [TOKEN] → body; the HTTP status in $dir/status
    curl -sS -o "$dir/post.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        ${3:+-H "Authorization: Bearer $3"} --data "$2" "$base$1" >"$dir/status" || true
    cat "$dir/post.out"
}
json_field() { grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | sed 's/.*:"//; s/"$//'; } # the first "NAME":"value"
sql() { sqlite3 -batch -noheader "$db" "$1"; }

# run_load LABEL SERVER_PID URL: the plan, the client; the result in $dir/LABEL.json
run_load() {
    local label=$1 spid=$2 url=$3
    PLAN="$dir/$label.plan.json" node -e '
        const fs = require("fs");
        const [label, url, spid, n, poll, w, batch, idle, rounds, gap, convs] = process.argv.slice(1);
        const conversations = fs.readFileSync(convs, "utf8").trim().split("\n").map((l) => {
            const [id, ...tokens] = l.split(" ");
            return { id, tokens };
        });
        fs.writeFileSync(process.env.PLAN, JSON.stringify({ label, url, server_pid: +spid, sockets: +n, polling: +poll,
            workers: +w, batch: +batch, idle_s: +idle, rounds: +rounds, round_gap_ms: +gap, conversations }));
    ' "$label" "$url" "$spid" "$nsock" "$npoll" "$workers" "$batch" "$idle" "$rounds" "$gap_ms" "$dir/conversations"
    node bench/socket/load.js run "$dir/$label.plan.json" "$dir/$label.json" &
    load_pid=$!
    wait "$load_pid" || { load_pid=; echo "bench-socket: $label: the load client failed" >&2; return 1; }
    load_pid=
}

#------------------------------------------------------------------------------ ours
db="$dir/socket.db"
port=$(free_port)
base="http://127.0.0.1:$port"
"$bin" migrate --database "$db" --data-dir "$dir/data" >"$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; exit 1; }
# Connection limit above N; the heartbeat at BENCH_SOCKET_PING_MS when the server has the config row.
export ARTISTRY_MAX_CONNECTIONS=$((2 * nsock + 1024))
# The ping interval config row, if the server has one (its name read from `artistry help`).
ping_env=$("$bin" help 2>&1 | grep -o 'ARTISTRY_[A-Z_]*PING_INTERVAL[A-Z_]*' | head -n 1 || true)
case $ping_env in
    '') ;;
    *_MS) export "$ping_env=$ping_ms" ;;
    *) export "$ping_env=$(((ping_ms + 999) / 1000))" ;;
esac
"$bin" serve --listen "127.0.0.1:$port" --database "$db" --data-dir "$dir/data" --rate-limits false \
    --access-log "${BENCH_ACCESS_LOG:-true}" --access-token-ttl 7200 --log-level warn </dev/null >"$dir/server.log" 2>&1 &
pid=$!
wait_ready "$base/readyz" "$dir/server.log"
open=$(curl -sS --max-time 5 "$base/socket.io/?EIO=4&transport=polling" || true)
case $open in
    0\{*) ;;
    *) echo "bench-socket: /socket.io/ does not answer an Engine.IO open packet (got: ${open:0:80}); skipped" >&2; exit 0 ;;
esac
srv_ping=$(sed -n 's/.*"pingInterval":\([0-9]*\).*/\1/p' <<<"$open")
srv_timeout=$(sed -n 's/.*"pingTimeout":\([0-9]*\).*/\1/p' <<<"$open")
[ -n "$srv_ping" ] || srv_ping=25000
[ -n "$srv_timeout" ] || srv_timeout=20000
# Idle long enough for every socket to see at least one ping (the first comes one interval after its connect).
idle=${BENCH_SOCKET_IDLE:-$(((srv_ping * 6 / 5 + 999) / 1000 + 2))}

# Users: one seller and C buyers; the copies share the registered buyer's password hash.
post /api/v1/auth/register "{\"email\":\"seller@bench.test\",\"password\":\"$password\",\"display_name\":\"Seller\"}" >/dev/null
post /api/v1/auth/register "{\"email\":\"b0@bench.test\",\"password\":\"$password\",\"display_name\":\"Buyer 0\"}" >/dev/null
now=$(date +%s000)
hash=$(sql "SELECT password_hash FROM users WHERE email = 'b0@bench.test'")
[ -n "$hash" ] || { echo "bench-socket: registration failed: $(cat "$dir/post.out")" >&2; exit 1; }
{
    echo "BEGIN; UPDATE users SET role = 'seller' WHERE email = 'seller@bench.test';"
    for ((i = 1; i < nconv; i++)); do
        printf "INSERT INTO users (id, email, email_normalized, password_hash, role, display_name, created_at, updated_at) VALUES ('usr_%026d', 'b%d@bench.test', 'b%d@bench.test', '%s', 'buyer', 'Buyer %d', %s, %s);\n" \
            "$i" "$i" "$i" "$hash" "$i" "$now" "$now"
    done
    echo "COMMIT;"
} >"$dir/users.sql"
sqlite3 "$db" <"$dir/users.sql"
login() { post /api/v1/auth/login "{\"email\":\"$1\",\"password\":\"$password\"}" | json_field access_token; }
seller_token=$(login seller@bench.test)
seller_id=$(sql "SELECT id FROM users WHERE email = 'seller@bench.test'")
[ -n "$seller_token" ] || { echo "bench-socket: seller sign-in failed: $(cat "$dir/post.out")" >&2; exit 1; }
echo "bench-socket: $((nconv + 1)) users signed in; creating $nconv conversation(s)" >&2
: >"$dir/conversations"
for ((i = 0; i < nconv; i++)); do
    tok=$(login "b$i@bench.test")
    [ -n "$tok" ] || { echo "bench-socket: b$i sign-in failed: $(cat "$dir/post.out")" >&2; exit 1; }
    cid=$(post /api/v1/conversations "{\"seller_id\":\"$seller_id\"}" "$tok" | json_field id)
    if [ -z "$cid" ] || [ "${cid:0:4}" != cnv_ ]; then
        echo "bench-socket: POST /api/v1/conversations answered $(cat "$dir/status"): $(head -c 200 "$dir/post.out")" >&2
        exit 1
    fi
    echo "$cid $tok $seller_token" >>"$dir/conversations"
done

echo "bench-socket: artistry (pid $pid, port $port): pingInterval ${srv_ping} ms$([ -n "$ping_env" ] && echo " ($ping_env)" || echo ' (its default: no ping config row)'), pingTimeout ${srv_timeout} ms, idle ${idle} s" >&2
run_load artistry "$pid" "$base/"
stop_server artistry "$dir/server.log"

#------------------------------------------------------------------------------ reference
results=("artistry=$dir/artistry.json")
if [ "$reference" = true ]; then
    rport=$(free_port)
    node bench/socket/ref-server.js "$rport" "$srv_ping" "$srv_timeout" </dev/null >"$dir/ref.log" 2>&1 &
    pid=$!
    wait_ready "http://127.0.0.1:$rport/readyz" "$dir/ref.log"
    run_load node-socket.io "$pid" "http://127.0.0.1:$rport/"
    results+=("node-socket.io=$dir/node-socket.io.json")
    stop_server node-socket.io "$dir/ref.log"
fi

echo
echo "Sockets: $nsock concurrent ($npoll with default transports, the rest websocket-only), $nconv conversation(s),"
echo "  idle ${idle} s at pingInterval ${srv_ping} ms, then $rounds fan-out rounds of $nconv message(s) (${gap_ms} ms apart);"
echo "  client: node socket.io-client $(node -p 'require("./bench/socket/node_modules/socket.io-client/package.json").version'), $workers processes;"
echo "  reference: socket.io $(node -p 'require("./bench/socket/node_modules/socket.io/package.json").version') on Node $(node --version) (one process, no storage)."
echo "  KB/conn: server RSS growth over the N connect (and joins) / N; latency: receive_message time - send time."
node bench/socket/load.js report "${results[@]}"
