// scale.mjs — the HTTP and Socket.IO half of tests/scale/run.sh.
//
//   node scale.mjs <command> [args...]      state in $SCALE_STATE (JSON file)
//
// Commands (each exits 0 on success, else prints why on stderr and exits 1):
//   register BASE                 register buyer, seller and admin; write their ids and emails
//   login BASE                    log every account in again (after run.sh changed roles); write tokens
//   conversation BASE             buyer opens a conversation with the seller; write its id
//   chat URL_FROM URL_TO [TRANSPORT]
//                                 the buyer on URL_FROM and the seller on URL_TO join the
//                                 conversation; the buyer sends with an ack, the seller must receive
//                                 it (TRANSPORT: websocket | default = polling then upgrade)
//   chat-until URL_FROM URL_TO SECONDS
//                                 like chat, retried until a message gets across or the deadline
//   category BASE SLUG            the admin creates a category
//   has-category BASE SLUG        GET /categories on BASE lists SLUG
//
// socket.io-client comes from tests/node/node_modules (npm ci --prefix tests/node).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'node', 'package.json'));
const { io } = require('socket.io-client');

const statePath = process.env.SCALE_STATE;
const PASSWORD = 'correct horse battery staple';
const load = () => (existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : {});
const save = (s) => writeFileSync(statePath, JSON.stringify(s, null, 2));
const die = (msg) => {
  process.stderr.write(`scale.mjs: ${msg}\n`);
  process.exit(1);
};

async function http(base, method, p, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + p, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text };
}

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([
    promise,
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

function connect(url, token, transport) {
  const opts = { auth: { token }, reconnection: false, forceNew: true, timeout: 10000 };
  if (transport === 'websocket') opts.transports = ['websocket'];
  const s = io(url, opts);
  return withTimeout(
    new Promise((resolve, reject) => {
      s.on('connect', () => resolve(s));
      s.on('connect_error', (e) => reject(new Error(`connect ${url}: ${e.message}`)));
    }),
    15000,
    `connect ${url}`,
  ).catch((e) => {
    s.close();
    throw e;
  });
}

async function join(s, conv) {
  const ack = await withTimeout(s.emitWithAck('join_conversation', { conversation_id: conv }), 10000, 'join ack');
  if (!ack || ack.error) throw new Error(`join refused: ${JSON.stringify(ack)}`);
}

// One message from the buyer on urlFrom to the seller on urlTo. Resolves with the received message.
async function chatOnce(st, urlFrom, urlTo, transport) {
  const a = await connect(urlFrom, st.buyer.token, transport);
  const b = await connect(urlTo, st.seller.token, transport);
  try {
    await join(a, st.conversation);
    await join(b, st.conversation);
    if (transport !== 'websocket') {
      // Default options: wait for the polling -> websocket upgrade so the test covers both legs.
      for (const s of [a, b]) {
        const eio = s.io.engine;
        if (eio.transport.name !== 'websocket')
          await withTimeout(new Promise((r) => eio.once('upgrade', r)), 15000, 'transport upgrade');
      }
    }
    // Two messages: when the second arrives, the first must have arrived exactly once (a socket's
    // messages are delivered in order, so a duplicate of the first would come before the second).
    const tag = `${Date.now()} ${Math.random()}`;
    const bodies = [`hello across instances ${tag} #1`, `hello across instances ${tag} #2`];
    const seen = new Map();
    const got = new Promise((resolve) =>
      b.on('receive_message', (m) => {
        if (!m || !bodies.includes(m.body)) return;
        seen.set(m.body, (seen.get(m.body) || 0) + 1);
        if (m.body === bodies[1]) resolve(m);
      }),
    );
    const acks = [];
    for (const body of bodies) {
      const ack = await withTimeout(
        a.emitWithAck('send_message', { conversation_id: st.conversation, body }),
        10000,
        'send_message ack',
      );
      if (!ack || !ack.message || ack.message.body !== body) throw new Error(`bad ack: ${JSON.stringify(ack)}`);
      acks.push(ack.message);
    }
    const m = await withTimeout(got, 10000, 'receive_message on the other client');
    if (m.id !== acks[1].id) throw new Error(`received ${m.id}, acked ${acks[1].id}`);
    if (seen.get(bodies[0]) !== 1) throw new Error(`first message received ${seen.get(bodies[0]) || 0} times`);
    return m;
  } finally {
    a.close();
    b.close();
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const [cmd, ...args] = process.argv.slice(2);
const st = load();
try {
  switch (cmd) {
    case 'register': {
      const [base] = args;
      const stamp = `${Date.now()}${process.pid}`;
      for (const who of ['buyer', 'seller', 'admin']) {
        const email = `scale.${who}.${stamp}@example.com`;
        const r = await http(base, 'POST', '/api/v1/auth/register', { email, password: PASSWORD, display_name: who });
        if (r.status !== 201) die(`register ${who}: ${r.status} ${r.text}`);
        st[who] = { id: r.json.user.id, email };
      }
      save(st);
      process.stdout.write(`${st.buyer.id} ${st.seller.id} ${st.admin.id}\n`);
      break;
    }
    case 'login': {
      const [base] = args;
      for (const who of ['buyer', 'seller', 'admin']) {
        const r = await http(base, 'POST', '/api/v1/auth/login', { email: st[who].email, password: PASSWORD });
        if (r.status !== 200) die(`login ${who}: ${r.status} ${r.text}`);
        st[who].token = r.json.access_token;
      }
      save(st);
      break;
    }
    case 'conversation': {
      const [base] = args;
      const r = await http(base, 'POST', '/api/v1/conversations', { recipient_id: st.seller.id }, st.buyer.token);
      if (r.status !== 201 && r.status !== 200) die(`create conversation: ${r.status} ${r.text}`);
      st.conversation = r.json.id ?? r.json.conversation?.id;
      if (!st.conversation) die(`no conversation id in ${r.text}`);
      save(st);
      break;
    }
    case 'chat': {
      const [from, to, transport] = args;
      await chatOnce(st, from, to, transport || 'websocket');
      break;
    }
    case 'chat-until': {
      const [from, to, seconds] = args;
      const deadline = Date.now() + Number(seconds) * 1000;
      let last;
      for (;;) {
        try {
          await chatOnce(st, from, to, 'websocket');
          break;
        } catch (e) {
          last = e;
        }
        if (Date.now() > deadline) die(`no message got across within ${seconds} s: ${last && last.message}`);
        await sleep(250);
      }
      break;
    }
    case 'category': {
      const [base, slug] = args;
      const r = await http(base, 'POST', '/api/v1/categories', { name: slug, slug }, st.admin.token);
      if (r.status !== 201) die(`create category: ${r.status} ${r.text}`);
      break;
    }
    case 'has-category': {
      const [base, slug] = args;
      const r = await http(base, 'GET', '/api/v1/categories');
      if (r.status !== 200) die(`GET /categories: ${r.status} ${r.text}`);
      const walk = (nodes) => nodes.some((n) => n.slug === slug || walk(n.children || []));
      if (!walk(r.json.data)) die(`category ${slug} missing on ${base}`);
      break;
    }
    default:
      die(`unknown command ${cmd}`);
  }
  process.exit(0);
} catch (e) {
  die(e && e.stack ? e.stack : String(e));
}
