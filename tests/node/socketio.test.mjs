// socketio.test.mjs — the unmodified npm socket.io-client against artistry:
// WebSocket and polling-with-upgrade transports, chat events with acks,
// refusals, heartbeats, reconnect-and-fetch; plus raw Engine.IO polling
// checks (handshake keys, errors, malformed packets, ping timeout).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { startServer, waitFor } from './server.mjs';

let srv, buyer, seller, outsider, conv;
const sockets = [];

// Short heartbeats so the ping/pong and timeout paths run within the test.
const PING_INTERVAL = 300, PING_TIMEOUT = 400;

before(async () => {
  srv = await startServer({
    ARTISTRY_RT_PING_INTERVAL_MS: String(PING_INTERVAL),
    ARTISTRY_RT_PING_TIMEOUT_MS: String(PING_TIMEOUT),
    ARTISTRY_RT_CONNECT_TIMEOUT_MS: '1500',
  });
  buyer = await srv.account('buyer');
  seller = await srv.account('seller', 'seller');
  outsider = await srv.account('outsider');
  const r = await srv.api('POST', '/api/v1/conversations', buyer.token, { seller_id: seller.id });
  assert.equal(r.status, 201, r.text);
  conv = r.json.id;
});

after(async () => {
  for (const s of sockets) s.close();
  if (srv) await srv.stop();
});

function connect(token, opts = {}) {
  const s = io(srv.base, { auth: token === undefined ? undefined : { token }, reconnection: false, ...opts });
  sockets.push(s);
  return s;
}

function connected(s) {
  return new Promise((res, rej) => {
    if (s.connected) return res(s);
    s.once('connect', () => res(s));
    s.once('connect_error', rej);
  });
}

function refused(s) {
  return new Promise((res, rej) => {
    s.once('connect', () => rej(new Error('connected, expected a refusal')));
    s.once('connect_error', res);
  });
}

function next(s, event, pred = () => true) {
  return new Promise((res) => {
    const fn = (data) => { if (pred(data)) { s.off(event, fn); res(data); } };
    s.on(event, fn);
  });
}

test('websocket transport: join, send with ack, the other side receives the message and typing', async () => {
  const b = await connected(connect(buyer.token, { transports: ['websocket'] }));
  const s = await connected(connect(seller.token, { transports: ['websocket'] }));
  assert.equal(b.io.engine.transport.name, 'websocket');
  assert.deepEqual(await b.timeout(5000).emitWithAck('join_conversation', { conversation_id: conv }), { ok: true });
  assert.deepEqual(await s.timeout(5000).emitWithAck('join_conversation', { conversation_id: conv }), { ok: true });

  let echoed = 0;
  b.on('receive_message', () => { echoed++; });
  const got = next(s, 'receive_message');
  const ack = await b.timeout(5000).emitWithAck('send_message', { conversation_id: conv, body: 'hello over ws', client_msg_id: 'c1' });
  assert.ok(ack.message, JSON.stringify(ack));
  assert.equal(ack.message.body, 'hello over ws');
  assert.equal(ack.message.conversation_id, conv);
  assert.equal(ack.message.sender_id, buyer.id);
  const m = await got;
  assert.equal(m.id, ack.message.id);
  assert.equal(m.body, 'hello over ws');

  const ts = next(s, 'typing_start');
  b.emit('typing_start', { conversation_id: conv });
  assert.deepEqual(await ts, { conversation_id: conv, user_id: buyer.id });
  const tp = next(s, 'typing_stop');
  b.emit('typing_stop', { conversation_id: conv });
  assert.deepEqual(await tp, { conversation_id: conv, user_id: buyer.id });

  // The seller answers; the buyer gets it. The sender never got its own message back.
  const back = next(b, 'receive_message');
  const ack2 = await s.timeout(5000).emitWithAck('send_message', { conversation_id: conv, body: 'hi buyer' });
  assert.equal((await back).id, ack2.message.id);
  assert.equal(echoed, 1);
  b.close();
  s.close();
});

test('default options: polling, then upgrade to websocket; delivery across transports', async () => {
  const b = connect(buyer.token);
  let upgradedTo = null;
  b.io.on('open', () => {
    assert.equal(b.io.engine.transport.name, 'polling'); // the default client opens with polling
    b.io.engine.on('upgrade', (t) => { upgradedTo = t.name; });
  });
  await connected(b);
  await waitFor(() => upgradedTo === 'websocket', 'the upgrade to websocket');
  assert.equal(b.io.engine.transport.name, 'websocket');
  const s = await connected(connect(seller.token, { transports: ['polling'] }));
  assert.equal(s.io.engine.transport.name, 'polling');
  assert.deepEqual(await s.timeout(5000).emitWithAck('join_conversation', { conversation_id: conv }), { ok: true });
  assert.deepEqual(await b.timeout(5000).emitWithAck('join_conversation', { conversation_id: conv }), { ok: true });
  const got = next(s, 'receive_message', (m) => m.body === 'after upgrade');
  const ack = await b.timeout(5000).emitWithAck('send_message', { conversation_id: conv, body: 'after upgrade' });
  assert.equal((await got).id, ack.message.id);
  const got2 = next(b, 'receive_message', (m) => m.body === 'from polling');
  await s.timeout(5000).emitWithAck('send_message', { conversation_id: conv, body: 'from polling' });
  await got2;
  b.close();
  s.close();
});

test('join is refused for a conversation the user is not part of', async () => {
  const o = await connected(connect(outsider.token, { transports: ['websocket'] }));
  const r = await o.timeout(5000).emitWithAck('join_conversation', { conversation_id: conv });
  assert.ok(r.error, JSON.stringify(r));
  assert.ok(['not_found', 'forbidden'].includes(r.error.code), JSON.stringify(r));
  const r2 = await o.timeout(5000).emitWithAck('send_message', { conversation_id: conv, body: 'intrusion' });
  assert.ok(r2.error, JSON.stringify(r2));
  o.close();
});

test('connect_error for a bad token, for no token, and for an unknown namespace', async () => {
  const bad = await refused(connect('not-a-jwt', { transports: ['websocket'] }));
  assert.equal(bad.data.code, 'invalid_token');
  const none = await refused(connect(undefined));
  assert.match(none.message, /token/);
  const forged = await refused(connect(buyer.token.slice(0, -4) + 'AAAA', { transports: ['websocket'] }));
  assert.equal(forged.data.code, 'invalid_token');
  const ns = io(srv.base + '/admin', { auth: { token: buyer.token }, reconnection: false, transports: ['websocket'] });
  sockets.push(ns);
  const e = await refused(ns);
  assert.equal(e.message, 'Invalid namespace');
  ns.close();
});

test('an unknown event with an ack gets an error ack', async () => {
  const b = await connected(connect(buyer.token, { transports: ['websocket'] }));
  const r = await b.timeout(5000).emitWithAck('no_such_event', 1);
  assert.equal(r.error.code, 'not_found');
  b.close();
});

test('heartbeat: the client answers pings and stays connected', async () => {
  const b = await connected(connect(buyer.token, { transports: ['websocket'] }));
  let pings = 0;
  b.io.engine.on('ping', () => { pings++; });
  await waitFor(() => pings >= 4, 'four server pings');
  assert.ok(b.connected);
  b.close();
});

test('a reconnecting client fetches what it missed through REST', async () => {
  const b = await connected(connect(buyer.token, { transports: ['websocket'] }));
  await b.timeout(5000).emitWithAck('join_conversation', { conversation_id: conv });
  let s = await connected(connect(seller.token, { transports: ['websocket'] }));
  s.close();
  const sent = [];
  for (const body of ['missed 1', 'missed 2']) {
    const a = await b.timeout(5000).emitWithAck('send_message', { conversation_id: conv, body });
    sent.push(a.message.id);
  }
  s = await connected(connect(seller.token, { transports: ['websocket'] }));
  const r = await srv.api('GET', `/api/v1/conversations/${conv}/messages?limit=10`, seller.token);
  assert.equal(r.status, 200, r.text);
  const ids = r.json.data.map((m) => m.id);
  for (const id of sent) assert.ok(ids.includes(id), `message ${id} in ${ids}`);
  b.close();
  s.close();
});

// Raw Engine.IO over polling (fetch), for what the client library hides.
const eio = (q = '') => `${srv.base}/socket.io/?EIO=4&transport=polling${q}`;

async function handshake() {
  const r = await fetch(eio('&t=1'));
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  const body = await r.text();
  assert.equal(body[0], '0');
  return JSON.parse(body.slice(1));
}

test('raw polling: handshake keys, errors, malformed packets close the session', async () => {
  const hs = await handshake();
  assert.deepEqual(Object.keys(hs).sort(), ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades']);
  assert.deepEqual(hs.upgrades, ['websocket']);
  assert.equal(hs.pingInterval, PING_INTERVAL);
  assert.equal(hs.maxPayload, 1000000);

  let r = await fetch(eio('&sid=nope'));
  assert.equal(r.status, 400);
  assert.deepEqual(await r.json(), { code: 1, message: 'Session ID unknown' });
  r = await fetch(`${srv.base}/socket.io/?EIO=3&transport=polling`);
  assert.deepEqual(await r.json(), { code: 5, message: 'Unsupported protocol version' });
  r = await fetch(`${srv.base}/socket.io/?EIO=4&transport=carrier-pigeon`);
  assert.deepEqual(await r.json(), { code: 0, message: 'Transport unknown' });
  r = await fetch(eio(), { method: 'POST', body: '40' });
  assert.deepEqual(await r.json(), { code: 2, message: 'Bad handshake method' });

  // CONNECT without a token over polling: 44 with a message, the session stays.
  r = await fetch(eio(`&sid=${hs.sid}`), { method: 'POST', body: '40' });
  assert.equal(await r.text(), 'ok');
  r = await fetch(eio(`&sid=${hs.sid}`));
  assert.match(await r.text(), /^44\{"message":/);

  // A malformed Socket.IO packet closes the session.
  r = await fetch(eio(`&sid=${hs.sid}`), { method: 'POST', body: '42{}' });
  assert.equal(r.status, 400);
  r = await fetch(eio(`&sid=${hs.sid}`));
  assert.equal(r.status, 400);

  // Several packets in one POST, joined by 0x1e; the CONNECT with a token is answered with 40{"sid"}.
  const hs2 = await handshake();
  r = await fetch(eio(`&sid=${hs2.sid}`), { method: 'POST', body: `6\x1e40${JSON.stringify({ token: buyer.token })}` });
  assert.equal(await r.text(), 'ok');
  const body = await waitFor(async () => {
    const t = await (await fetch(eio(`&sid=${hs2.sid}`))).text();
    return t.split('\x1e').find((p) => p.startsWith('40')) ;
  }, 'the CONNECT answer');
  assert.match(body, /^40\{"sid":"[^"]+"\}$/);
  await fetch(eio(`&sid=${hs2.sid}`), { method: 'POST', body: '1' });
});

test('raw polling: a session that never answers pings is dropped', async () => {
  const hs = await handshake();
  const first = await (await fetch(eio(`&sid=${hs.sid}`))).text();
  assert.equal(first, '2'); // the server's ping, within pingInterval
  // No pong: within pingTimeout the session is gone.
  await waitFor(async () => {
    const r = await fetch(eio(`&sid=${hs.sid}`));
    const t = await r.text();
    return r.status === 400 || t === '1';
  }, 'the ping timeout');
});

test('raw polling: no CONNECT within connect_timeout closes the session', async () => {
  const hs = await handshake();
  await waitFor(async () => {
    const r = await fetch(eio(`&sid=${hs.sid}`), { method: 'POST', body: '3' }); // keep answering pings
    return r.status === 400;
  }, 'the connect timeout');
});

test('in-app notifications arrive live as "notification"; an offline recipient gets message.new', async () => {
  // Live: an applicant's open socket hears the admin's decision.
  const applicant = await srv.account('applicant');
  const admin = await srv.account('admin', 'admin');
  const a = await connected(connect(applicant.token, { transports: ['websocket'] }));
  const heard = next(a, 'notification', (n) => n.type === 'seller_application.decided');
  const app = await srv.api('POST', '/api/v1/sellers/apply', applicant.token, { shop_name: 'Clay and Kiln' });
  assert.equal(app.status, 201, app.text);
  const rej = await srv.api('POST', `/api/v1/admin/seller-applications/${app.json.id}/reject`, admin.token,
    { reason: 'portfolio missing' });
  assert.equal(rej.status, 200, rej.text);
  const n = await Promise.race([heard, new Promise((_, rej2) => setTimeout(() => rej2(new Error('no notification')), 10000))]);
  assert.equal(n.type, 'seller_application.decided');
  assert.ok(n.id && n.title, JSON.stringify(n));
  const list = await srv.api('GET', '/api/v1/notifications', applicant.token);
  assert.equal(list.status, 200, list.text);
  assert.ok(list.json.data.some((x) => x.id === n.id), 'the pushed notification is the stored one');
  a.close();

  // Offline: no socket for the seller, so the buyer's message becomes a message.new notification.
  await waitFor(async () => {
    const r = await srv.api('GET', `/api/v1/conversations/${conv}`, seller.token);
    return r.status === 200;
  }, 'the conversation');
  const before = (await srv.api('GET', '/api/v1/notifications', seller.token)).json.data
    .filter((x) => x.type === 'message.new').length;
  const sent = await srv.api('POST', `/api/v1/conversations/${conv}/messages`, buyer.token, { body: 'are you there?' });
  assert.equal(sent.status, 201, sent.text);
  await waitFor(async () => {
    const r = await srv.api('GET', '/api/v1/notifications', seller.token);
    return r.json.data.filter((x) => x.type === 'message.new').length === before + 1;
  }, 'a message.new notification for the offline seller');
});
