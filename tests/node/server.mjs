// server.mjs — start `$ARTISTRY_BIN serve` for a Node test: a free loopback
// port, a fresh SQLite database in a temporary directory, ready when /readyz
// answers 200 (or, with ARTISTRY_TEST_DATABASE_URL, a fresh PostgreSQL
// database on that server). Accounts are made through the REST API; a seller's
// role and shop are set with the sqlite3 or psql CLI, as tests/api/api_client.c
// does with SQL.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const PASSWORD = 'correct horse battery staple 1';

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll fn until it returns a truthy value or the deadline passes (no timed assertions). */
export async function waitFor(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export async function startServer(env = {}) {
  const bin = resolve(process.env.ARTISTRY_BIN || join(here, '../../build/artistry'));
  const dir = mkdtempSync(join(tmpdir(), 'artistry-node-'));
  const port = await freePort();
  const pgAdmin = process.env.ARTISTRY_TEST_DATABASE_URL;
  let db = join(dir, 'test.db');
  let pgName = null;
  if (pgAdmin) {
    pgName = `artistry_node_${process.pid}_${port}`;
    execFileSync('psql', [pgAdmin, '-qc', `CREATE DATABASE ${pgName}`]);
    const u = new URL(pgAdmin);
    u.pathname = `/${pgName}`;
    db = u.toString();
  }
  const childEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ARTISTRY_')) childEnv[k] = v;
  Object.assign(childEnv, { ARTISTRY_RATE_LIMITS: 'false', ARTISTRY_ACCESS_LOG: 'false' }, env);
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--database', db, '--data-dir', dir,
    '--threads', '2', '--job-workers', '1'];
  const { openSync } = await import('node:fs');
  const log = join(dir, 'server.log');
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { env: childEnv, stdio: ['ignore', fd, fd] });
  let exited = null;
  child.on('exit', (code, sig) => { exited = { code, sig }; });
  const base = `http://127.0.0.1:${port}`;
  const timeout = Number(process.env.ARTISTRY_TEST_START_TIMEOUT || 15) * 1000;
  await waitFor(async () => {
    if (exited) throw new Error(`server exited ${JSON.stringify(exited)}:\n${readFileSync(log, 'utf8').slice(-3000)}`);
    try { return (await fetch(base + '/readyz')).status === 200; } catch { return false; }
  }, 'the server to be ready', timeout);
  let n = 0;
  const srv = {
    base, db, dir, log,
    async api(method, path, token, body) {
      const headers = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: r.status, json, text };
    },
    sql(statement) {
      if (pgName) execFileSync('psql', [db, '-qc', statement]);
      else execFileSync('sqlite3', ['-cmd', '.timeout 5000', db, statement]);
    },
    async account(tag, role = 'buyer') {
      const email = `${tag}.${++n}.${Date.now()}@example.com`;
      const reg = await srv.api('POST', '/api/v1/auth/register', null, { email, password: PASSWORD, display_name: tag });
      if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.text}`);
      const id = reg.json.user.id;
      if (role !== 'buyer') {
        srv.sql(`UPDATE users SET role = '${role}' WHERE id = '${id}'`);
        if (role === 'seller') {
          const now = Date.now();
          const shop = `shp_${String(n).padStart(26, '0')}`;
          srv.sql(`INSERT INTO shops (id, seller_id, slug, name, created_at, updated_at) VALUES ` +
            `('${shop}', '${id}', '${tag}-${n}-${now}', '${tag} shop ${n}', ${now}, ${now})`);
        }
      }
      const login = await srv.api('POST', '/api/v1/auth/login', null, { email, password: PASSWORD });
      if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
      return { id, email, token: login.json.access_token };
    },
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        await waitFor(() => exited, 'the server to stop', 15000).catch(() => child.kill('SIGKILL'));
      }
      if (exited && exited.code !== 0) {
        process.stderr.write(readFileSync(log, 'utf8').slice(-4000));
        throw new Error(`server exited ${JSON.stringify(exited)}`);
      }
      if (pgName) execFileSync('psql', [pgAdmin, '-qc', `DROP DATABASE IF EXISTS ${pgName}`]);
      if (!process.env.ARTISTRY_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
  return srv;
}
