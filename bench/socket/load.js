'use strict';
// bench/socket/load.js — the socket benchmark's load client (see bench/socket/README.md).
//
//   node load.js run PLAN.json RESULT.json   connect, idle, fan out; write the figures
//   node load.js report LABEL=RESULT.json…   print the table of one or more results
//
// The master forks W workers (one Node process holds 10k sockets, but decoding a
// 10k-message fan-out on one core would make the client the bottleneck); each holds
// a slice of the N sockets. Sockets are io(url, {forceNew}) — one Engine.IO
// connection each (without forceNew, io() multiplexes every socket of a URL on
// one connection). The plan (JSON):
//   url, server_pid, sockets (N), polling (how many use the default transports),
//   workers, batch (handshakes in flight at once), idle_s, rounds, round_gap_ms,
//   conversations: [{id, tokens: [token, …]}] — socket i is in conversation
//   i % C and uses that conversation's tokens in turn (buyer, seller, …).
const { fork } = require('child_process');
const fs = require('fs');
const path = require('path');

const now = () => performance.timeOrigin + performance.now(); // epoch ms, µs resolution, same clock in every process

function rssKb(pid) {
    try {
        const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        return m ? Number(m[1]) : null;
    } catch {
        return null;
    }
}

function fdCount(pid) {
    try {
        return fs.readdirSync(`/proc/${pid}/fd`).length;
    } catch {
        return null;
    }
}

//---------------------------------------------------------------------------- worker
function worker() {
    const { io } = require('socket.io-client');
    const socks = []; // {idx, conv, s, joined, pings, transport}
    let lat = [];
    let dup = 0;
    let seen = new Set();
    let acks = [];
    let ackErrors = [];
    let disconnects = 0;
    let disconnectReasons = {};
    let connectErrors = {};

    function open(spec, url) {
        return new Promise((resolve) => {
            const opts = { auth: { token: spec.token }, forceNew: true, reconnection: false, timeout: 30000 };
            if (!spec.polling) opts.transports = ['websocket'];
            const s = io(url, opts);
            const rec = { idx: spec.idx, conv: spec.conv, s, joined: false, pings: 0, everConnected: false };
            s.io.on('ping', () => rec.pings++);
            s.on('receive_message', (m) => {
                const t = now();
                let b;
                try {
                    b = JSON.parse(m.body);
                } catch {
                    return;
                }
                const key = `${rec.idx}/${b.r}/${b.c}`;
                if (seen.has(key)) {
                    dup++;
                    return;
                }
                seen.add(key);
                lat.push(t - b.t);
            });
            s.on('disconnect', (reason) => {
                disconnects++;
                disconnectReasons[reason] = (disconnectReasons[reason] || 0) + 1;
            });
            s.once('connect', () => {
                rec.everConnected = true;
                socks.push(rec);
                resolve(true);
            });
            s.once('connect_error', (e) => {
                const k = String((e && e.message) || e);
                connectErrors[k] = (connectErrors[k] || 0) + 1;
                s.close();
                resolve(false);
            });
        });
    }

    function emitAck(s, ev, arg, ms) {
        return new Promise((resolve) => {
            s.timeout(ms).emit(ev, arg, (err, res) => resolve(err ? { error: { code: 'timeout' } } : res));
        });
    }

    const handlers = {
        async connect({ url, specs, batch }) {
            let ok = 0;
            for (let i = 0; i < specs.length; i += batch) {
                const r = await Promise.all(specs.slice(i, i + batch).map((sp) => open(sp, url)));
                ok += r.filter(Boolean).length;
            }
            return { ok, failed: specs.length - ok, connectErrors };
        },
        // One socket through connect, join, send and close, before the baseline RSS is read,
        // so lazily made server state (worker threads, their database connections) is not
        // counted as per-connection memory.
        async warmup({ url, spec }) {
            const s = io(url, { auth: { token: spec.token }, forceNew: true, reconnection: false, transports: ['websocket'] });
            const ok = await new Promise((resolve) => {
                s.once('connect', () => resolve(true));
                s.once('connect_error', (e) => resolve(String((e && e.message) || e)));
            });
            if (ok !== true) return { error: ok };
            const j = await emitAck(s, 'join_conversation', { conversation_id: spec.conv }, 10000);
            const m = await emitAck(s, 'send_message', { conversation_id: spec.conv, body: 'warm-up' }, 10000);
            s.close();
            return { join: j, send: m && m.message ? 'ok' : m };
        },
        async join({ batch }) {
            const joinedPerConv = {};
            const errors = {};
            for (let i = 0; i < socks.length; i += batch) {
                await Promise.all(
                    socks.slice(i, i + batch).map(async (r) => {
                        const res = await emitAck(r.s, 'join_conversation', { conversation_id: r.conv }, 30000);
                        if (res && res.ok) {
                            r.joined = true;
                            joinedPerConv[r.conv] = (joinedPerConv[r.conv] || 0) + 1;
                        } else {
                            const k = (res && res.error && res.error.code) || JSON.stringify(res);
                            errors[k] = (errors[k] || 0) + 1;
                        }
                    })
                );
            }
            return { joinedPerConv, errors };
        },
        async status() {
            let connected = 0,
                pinged = 0,
                websocket = 0,
                polling = 0,
                pingsMin = Infinity;
            for (const r of socks) {
                if (r.s.connected) connected++;
                if (r.pings > 0) pinged++;
                pingsMin = Math.min(pingsMin, r.pings);
                const t = r.s.io.engine && r.s.io.engine.transport && r.s.io.engine.transport.name;
                if (t === 'websocket') websocket++;
                else if (t === 'polling') polling++;
            }
            return {
                held: socks.length,
                connected,
                pinged,
                pingsMin: socks.length ? pingsMin : 0,
                websocket,
                polling,
                disconnects,
                disconnectReasons,
                rss: process.memoryUsage().rss,
            };
        },
        // Senders: the first joined socket of each listed conversation in this worker.
        async send({ convs, round }) {
            const sent = [];
            const firstOf = {};
            for (const r of socks) if (r.joined && r.s.connected && !(r.conv in firstOf)) firstOf[r.conv] = r;
            await Promise.all(
                convs.map(async (c) => {
                    const r = firstOf[c];
                    if (!r) return;
                    sent.push({ conv: c, idx: r.idx });
                    const t = now();
                    const body = JSON.stringify({ t, r: round, c });
                    const res = await emitAck(
                        r.s,
                        'send_message',
                        { conversation_id: c, body, client_msg_id: `bench-${round}-${r.idx}` },
                        30000
                    );
                    if (res && res.message) acks.push(now() - t);
                    else {
                        const k = (res && res.error && res.error.code) || JSON.stringify(res);
                        ackErrors.push(k);
                    }
                })
            );
            return { sent };
        },
        async collect() {
            const out = { lat, dup, acks, ackErrors };
            lat = [];
            acks = [];
            ackErrors = [];
            dup = 0;
            seen = new Set();
            return out;
        },
        async close() {
            for (const r of socks) r.s.close();
            return {};
        },
    };

    process.on('message', async (m) => {
        const res = await handlers[m.cmd](m);
        process.send({ id: m.id, res });
        if (m.cmd === 'close') setTimeout(() => process.exit(0), 100);
    });
    process.on('disconnect', () => process.exit(0));
}

//---------------------------------------------------------------------------- master
function pct(sorted, p) {
    if (!sorted.length) return null;
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => process.stderr.write(`bench-socket: ${a.join(' ')}\n`);

async function master(planFile, resultFile) {
    const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
    // Watchdog: the run finishes by itself even if a server stops answering.
    setTimeout(() => {
        log(`${plan.label}: gave up after ${plan.idle_s + 300} s`);
        process.exit(1);
    }, (plan.idle_s + 300) * 1000).unref();
    const N = plan.sockets;
    const W = Math.max(1, Math.min(plan.workers || 2, N));
    const C = plan.conversations.length;
    const workers = [];
    let seq = 0;
    const pending = new Map();
    for (let w = 0; w < W; w++) {
        const child = fork(__filename, ['worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        child.on('message', (m) => {
            pending.get(m.id)(m.res);
            pending.delete(m.id);
        });
        child.on('exit', (code) => {
            if (code) log(`worker ${w} exited with ${code}`);
        });
        workers.push(child);
    }
    const call = (w, cmd, args = {}) =>
        new Promise((resolve) => {
            const id = ++seq;
            pending.set(id, resolve);
            workers[w].send({ id, cmd, ...args });
        });
    const all = (cmd, argsOf = () => ({})) => Promise.all(workers.map((_, w) => call(w, cmd, argsOf(w))));
    const sumStatus = async () => {
        const st = await all('status');
        const tot = { held: 0, connected: 0, pinged: 0, pingsMin: Infinity, websocket: 0, polling: 0, disconnects: 0, reasons: {}, clientRss: 0 };
        for (const s of st) {
            for (const k of ['held', 'connected', 'pinged', 'websocket', 'polling', 'disconnects']) tot[k] += s[k];
            tot.pingsMin = Math.min(tot.pingsMin, s.pingsMin);
            tot.clientRss += s.rss;
            for (const [k, v] of Object.entries(s.disconnectReasons)) tot.reasons[k] = (tot.reasons[k] || 0) + v;
        }
        return tot;
    };

    // Socket i: conversation i % C, the conversation's tokens in turn; the first `polling` sockets use default transports.
    const specs = workers.map(() => []);
    for (let i = 0; i < N; i++) {
        const conv = plan.conversations[i % C];
        const token = conv.tokens[Math.floor(i / C) % conv.tokens.length];
        specs[i % W].push({ idx: i, conv: conv.id, token, polling: i < (plan.polling || 0) });
    }
    const batch = Math.max(1, Math.floor((plan.batch || 200) / W));
    const pid = plan.server_pid;
    const result = { label: plan.label, sockets: N, conversations: C, polling: plan.polling || 0, workers: W };

    const warm = await call(0, 'warmup', { url: plan.url, spec: specs[0][0] });
    if (warm.error) throw new Error(`${plan.label}: the warm-up socket could not connect: ${warm.error}`);
    if (!warm.join || !warm.join.ok || warm.send !== 'ok') log(`${plan.label}: warm-up: join ${JSON.stringify(warm.join)}, send ${JSON.stringify(warm.send)}`);
    await sleep(1000);
    result.rss_before_kb = rssKb(pid);
    result.fds_before = fdCount(pid);
    log(`${plan.label}: connecting ${N} sockets (${plan.polling || 0} with default transports, ${W} workers, ${batch * W} handshakes in flight)`);
    let t0 = now();
    const conn = await all('connect', (w) => ({ url: plan.url, specs: specs[w], batch }));
    result.connect_s = (now() - t0) / 1000;
    result.connected = conn.reduce((a, c) => a + c.ok, 0);
    result.connect_errors = {};
    for (const c of conn) for (const [k, v] of Object.entries(c.connectErrors)) result.connect_errors[k] = (result.connect_errors[k] || 0) + v;
    log(`${plan.label}: ${result.connected}/${N} connected in ${result.connect_s.toFixed(1)} s`);

    t0 = now();
    const joins = await all('join', () => ({ batch }));
    result.join_s = (now() - t0) / 1000;
    const joinedPerConv = {};
    result.join_errors = {};
    for (const j of joins) {
        for (const [k, v] of Object.entries(j.joinedPerConv)) joinedPerConv[k] = (joinedPerConv[k] || 0) + v;
        for (const [k, v] of Object.entries(j.errors)) result.join_errors[k] = (result.join_errors[k] || 0) + v;
    }
    result.joined = Object.values(joinedPerConv).reduce((a, b) => a + b, 0);
    await sleep(500);
    result.rss_connected_kb = rssKb(pid);
    result.fds_connected = fdCount(pid);
    let st = await sumStatus();
    result.client_rss_connected_kb = Math.round(st.clientRss / 1024);
    log(`${plan.label}: ${result.joined} joined in ${result.join_s.toFixed(1)} s; server RSS ${result.rss_before_kb} → ${result.rss_connected_kb} kB; idle ${plan.idle_s} s`);

    // Idle: nothing but heartbeats.
    const idleEnd = now() + plan.idle_s * 1000;
    while (now() < idleEnd) await sleep(Math.min(5000, Math.max(0, idleEnd - now())));
    st = await sumStatus();
    result.rss_idle_kb = rssKb(pid);
    result.after_idle = { connected: st.connected, pinged: st.pinged, pings_min: st.pingsMin, websocket: st.websocket, polling: st.polling, disconnects: st.disconnects, reasons: st.reasons };
    log(`${plan.label}: after idle ${st.connected}/${result.connected} connected, ${st.pinged} got a ping (${st.websocket} websocket, ${st.polling} polling)`);

    // Fan-out: per round, the first joined socket of every conversation sends one message at once.
    const convIds = plan.conversations.map((c) => c.id);
    const owner = {}; // conversation → the worker holding its first socket (socket index c)
    convIds.forEach((id, c) => (owner[id] = c % W));
    let expected = 0;
    const lat = [];
    const acks = [];
    const ackErrors = {};
    let dup = 0;
    t0 = now();
    for (let r = 0; r < plan.rounds; r++) {
        const sends = await Promise.all(workers.map((_, w) => call(w, 'send', { convs: convIds.filter((id) => owner[id] === w), round: r })));
        for (const s of sends) for (const x of s.sent) expected += (joinedPerConv[x.conv] || 1) - 1;
        await sleep(plan.round_gap_ms);
    }
    await sleep(1000);
    result.fanout_s = (now() - t0) / 1000;
    for (const c of await all('collect')) {
        for (const v of c.lat) lat.push(v);
        for (const v of c.acks) acks.push(v);
        for (const k of c.ackErrors) ackErrors[k] = (ackErrors[k] || 0) + 1;
        dup += c.dup;
    }
    lat.sort((a, b) => a - b);
    acks.sort((a, b) => a - b);
    result.delivered = lat.length;
    result.expected = expected;
    result.duplicates = dup;
    result.ack_errors = ackErrors;
    result.latency_ms = { p50: pct(lat, 50), p90: pct(lat, 90), p99: pct(lat, 99), max: lat.length ? lat[lat.length - 1] : null };
    result.ack_ms = { p50: pct(acks, 50), p99: pct(acks, 99), n: acks.length };
    st = await sumStatus();
    result.after_fanout_connected = st.connected;
    result.client_rss_kb = Math.round(st.clientRss / 1024);
    result.rss_after_kb = rssKb(pid);
    log(`${plan.label}: fan-out ${lat.length}/${expected} delivered, p99 ${result.latency_ms.p99 && result.latency_ms.p99.toFixed(1)} ms`);

    await all('close');
    fs.writeFileSync(resultFile, JSON.stringify(result, null, 1) + '\n');
}

//---------------------------------------------------------------------------- report
function report(args) {
    const rows = args.map((a) => {
        const [label, file] = a.split('=');
        return { label, r: JSON.parse(fs.readFileSync(file, 'utf8')) };
    });
    const f = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? '-' : Number(v).toFixed(d));
    const perConn = (r, k) => (r[k] && r.rss_before_kb ? ((r[k] - r.rss_before_kb) / Math.max(1, r.connected)) : null);
    const line = (cols) => console.log(cols.map((c, i) => (i === 0 ? String(c).padEnd(14) : String(c).padStart(11))).join(' '));
    line(['server', 'sockets', 'connected', 'idle ok', 'KB/conn', 'client KB/c', 'connect s', 'delivered', 'p50 ms', 'p99 ms', 'max ms', 'ack p99']);
    line(['-'.repeat(14), ...Array(11).fill('-'.repeat(11))]);
    for (const { label, r } of rows) {
        line([
            label,
            r.sockets,
            r.connected,
            `${r.after_idle.connected}`,
            f(perConn(r, 'rss_connected_kb')),
            f(r.client_rss_connected_kb / Math.max(1, r.connected)),
            f(r.connect_s),
            `${r.delivered}/${r.expected}`,
            f(r.latency_ms.p50),
            f(r.latency_ms.p99),
            f(r.latency_ms.max),
            f(r.ack_ms.p99),
        ]);
    }
    if (rows.length === 2 && rows[1].r.latency_ms.p99) {
        const [a, b] = rows.map((x) => x.r);
        console.log(
            `ratios ${rows[0].label}/${rows[1].label}: memory per connection ${f(perConn(a, 'rss_connected_kb') / perConn(b, 'rss_connected_kb'), 2)}x, ` +
                `fan-out p99 ${f(a.latency_ms.p99 / b.latency_ms.p99, 2)}x (lower is better)`
        );
    }
    for (const { label, r } of rows) {
        const notes = [];
        const ai = r.after_idle;
        notes.push(`${ai.pinged}/${r.connected} sockets got a ping while idle (fewest pings per socket: ${ai.pings_min})`);
        notes.push(`transports after idle: ${ai.websocket} websocket, ${ai.polling} polling (of ${r.polling} started with default transports)`);
        if (ai.disconnects) notes.push(`disconnects: ${JSON.stringify(ai.reasons)}`);
        if (Object.keys(r.connect_errors).length) notes.push(`connect errors: ${JSON.stringify(r.connect_errors)}`);
        if (Object.keys(r.join_errors).length) notes.push(`join errors: ${JSON.stringify(r.join_errors)}`);
        if (Object.keys(r.ack_errors).length) notes.push(`send_message errors: ${JSON.stringify(r.ack_errors)}`);
        if (r.duplicates) notes.push(`duplicate deliveries: ${r.duplicates}`);
        if (r.fds_connected !== null && r.fds_before !== null) notes.push(`server fds ${r.fds_before} → ${r.fds_connected}`);
        notes.push(`server RSS kB: before ${r.rss_before_kb}, connected ${r.rss_connected_kb}, after idle ${r.rss_idle_kb}, after fan-out ${r.rss_after_kb}`);
        console.log(`  ${label}: ${notes.join('; ')}`);
    }
}

if (process.argv[2] === 'worker') worker();
else if (process.argv[2] === 'run')
    master(process.argv[3], process.argv[4]).then(
        () => process.exit(0),
        (e) => {
            log(e.stack || e);
            process.exit(1);
        }
    );
else if (process.argv[2] === 'report') report(process.argv.slice(3));
else {
    process.stderr.write(`usage: node ${path.basename(__filename)} run PLAN.json RESULT.json | report LABEL=RESULT.json…\n`);
    process.exit(2);
}
