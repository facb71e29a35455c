// socketio_hostile.test.mjs — hostile clients against /socket.io/: raw
// Engine.IO over polling (fetch), a raw WebSocket (ws) and hand-made frames
// over node:net. Each test is for a denial of service or protocol defect
// that was fixed in src/realtime (see its README, "Limits").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { startServer, waitFor } from './server.mjs';

const MAX_PENDING = 4;
let srv;

before(async () => {
  srv = await startServer({ ARTISTRY_RT_MAX_PENDING_SESSIONS: String(MAX_PENDING) });
});

after(async () => {
  if (srv) await srv.stop();
});

const eio = (q = '') => `${srv.base}/socket.io/?EIO=4&transport=polling${q}`;

async function handshake() {
  const r = await fetch(eio());
  const body = await r.text();
  return { status: r.status, hs: r.status === 200 ? JSON.parse(body.slice(1)) : null };
}

const closeSession = (sid) => fetch(eio(`&sid=${sid}`), { method: 'POST', body: '1' }).then((r) => r.text());

test('a client ping ("2") is a protocol error in Engine.IO v4: the session closes, nothing is queued', async () => {
  const { hs } = await handshake();
  // Before: each "2" of a POST queued a "3" (500,000 packets from one 1 MB body).
  const r = await fetch(eio(`&sid=${hs.sid}`), { method: 'POST', body: Array(1000).fill('2').join('\x1e') });
  assert.equal(r.status, 400);
  assert.equal((await fetch(eio(`&sid=${hs.sid}`))).status, 400);
});

test('sessions that never CONNECT are capped: the handshake after the cap is refused (503)', async () => {
  const sids = [];
  for (let i = 0; i < MAX_PENDING; i++) {
    const { status, hs } = await handshake();
    assert.equal(status, 200);
    sids.push(hs.sid);
  }
  const over = await handshake();
  assert.equal(over.status, 503);
  const metrics = await (await fetch(`${srv.base}/metrics`)).text();
  assert.match(metrics, new RegExp(`^realtime_pending_sessions ${MAX_PENDING}$`, 'm'));
  assert.match(metrics, /^realtime_connected_sockets 0$/m);
  // A WebSocket handshake without sid is refused too, before the 101.
  const r = await fetch(`${srv.base}/socket.io/?EIO=4&transport=websocket`, {
    headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13' },
  }).catch(() => null);
  assert.ok(r === null || r.status === 503, `websocket handshake: ${r && r.status}`);
  // Closing one frees a place.
  assert.equal(await closeSession(sids.pop()), 'ok');
  const again = await handshake();
  assert.equal(again.status, 200);
  sids.push(again.hs.sid);
  for (const sid of sids) await closeSession(sid);
});

test('WebSocket ping frames from a client that never reads: the pong queue is bounded, the socket dropped', async () => {
  const N = 100000;
  const ws = new WebSocket(`${srv.base.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  ws.pause(); // read nothing: our receive buffer fills, then the server's send buffer, then its queue
  let pongs = 0, closed = false;
  ws.on('pong', () => { pongs++; });
  ws.on('close', () => { closed = true; });
  ws.on('error', () => {});
  const payload = Buffer.alloc(125, 0x61);
  for (let i = 0; i < N && !closed; i++) {
    ws.ping(payload);
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 500));
  ws.resume();
  // Before: every ping got its pong (about 13 MB queued for one socket) and the socket stayed.
  await waitFor(() => closed || pongs === N, 'the socket to close or every pong', 60000);
  assert.ok(closed, `server answered all ${pongs} pings and kept the socket`);
  assert.ok(pongs < N);
});

// A raw WebSocket on node:net: a flood of tiny frames, faster than the server parses them.
function rawWebSocket() {
  return new Promise((res, rej) => {
    const u = new URL(srv.base);
    const sock = tcpConnect(Number(u.port), u.hostname);
    sock.once('error', rej);
    sock.once('connect', () => {
      sock.write('GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n' +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    });
    let head = '';
    const onData = (d) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        sock.off('data', onData);
        if (!head.startsWith('HTTP/1.1 101')) return rej(new Error(head));
        sock.on('data', () => {}); // drain what the server sends
        res(sock);
      }
    };
    sock.on('data', onData);
  });
}

test('a client flooding tiny frames does not keep the I/O thread (and rt.mu) to itself', async () => {
  const sock = await rawWebSocket();
  sock.on('error', () => {});
  // "6" (noop) in a masked text frame with a zero mask key: 7 bytes a frame.
  const frame = Buffer.from([0x81, 0x81, 0, 0, 0, 0, 0x36]);
  const chunk = Buffer.concat(Array(150000).fill(frame));
  let flooding = true;
  (async () => {
    while (flooding && !sock.destroyed) {
      if (sock.writableLength < 8 * 1024 * 1024) sock.write(chunk);
      await new Promise((r) => setImmediate(r));
    }
  })();
  await new Promise((r) => setTimeout(r, 1500));
  // The flood goes on while three handshakes are made. Before, a handshake waited for rt.mu
  // until the flood stopped (69 s after a 1.5 s flood): with the flood going on it never
  // completed. The deadline is for liveness, not speed: now they take milliseconds.
  const handshakes = (async () => {
    for (let i = 0; i < 3; i++) {
      const { status, hs } = await handshake();
      assert.equal(status, 200);
      await closeSession(hs.sid);
    }
  })();
  let timer;
  const deadline = new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error('no handshake completed during the flood within 20 s')), 20000);
  });
  try {
    await Promise.race([handshakes, deadline]);
  } finally {
    clearTimeout(timer);
    flooding = false;
    sock.destroy();
  }
});

test('one socket blasting events cannot fill its worker: past its own cap, events are refused, none lost', async () => {
  const buyer = await srv.account('blaster');
  const seller = await srv.account('blasted', 'seller');
  const r = await srv.api('POST', '/api/v1/conversations', buyer.token, { seller_id: seller.id });
  assert.equal(r.status, 201, r.text);
  const s = io(srv.base, { auth: { token: buyer.token }, transports: ['websocket'], reconnection: false });
  try {
    await new Promise((res, rej) => { s.once('connect', res); s.once('connect_error', rej); });
    // 400 events in one burst, each asking for an ack: far more than a session may have waiting.
    const acks = await Promise.all(Array.from({ length: 400 }, () =>
      s.timeout(20000).emitWithAck('typing_start', { conversation_id: r.json.id })));
    const ok = acks.filter((a) => a && a.ok === true).length;
    const busy = acks.filter((a) => a && a.error && a.error.code === 'service_unavailable').length;
    assert.equal(ok + busy, 400, `every event answered: ${JSON.stringify(acks.find((a) => !(a && (a.ok || a.error))))}`);
    assert.ok(busy > 0, 'some events were refused once the session had its cap of tasks waiting');
    assert.ok(ok >= 32, `the session's own share still ran (${ok})`);
    // Afterwards the socket works normally.
    assert.deepEqual(await s.timeout(5000).emitWithAck('typing_stop', { conversation_id: r.json.id }), { ok: true });
  } finally {
    s.close();
  }
});
