'use strict';
// bench/socket/ref-server.js — the reference for the socket benchmark: the npm
// `socket.io` server (Node, one process) with the same events as ours and no
// storage. Bench only; never part of the product.
//
//   node ref-server.js PORT [PING_INTERVAL_MS PING_TIMEOUT_MS]
//
// auth.token must be present (any value; not verified: a JWT's sub names the user);
// join_conversation joins "conv:<id>"; send_message acks {message} and emits
// receive_message to the room except the sender's socket, like the C server.
const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.argv[2]);
const pingInterval = Number(process.argv[3] || 25000);
const pingTimeout = Number(process.argv[4] || 20000);
const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/readyz' ? 200 : 404, { 'Content-Type': 'text/plain' });
    res.end(req.url === '/readyz' ? 'ok' : 'not found');
});
const io = new Server(server, { pingInterval, pingTimeout, serveClient: false, cors: { origin: '*' } });
let seq = 0;

io.use((socket, next) => {
    const t = socket.handshake.auth && socket.handshake.auth.token;
    if (typeof t !== 'string' || !t) return next(new Error('Not authorized'));
    let user = t;
    try {
        user = JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()).sub || t; // a JWT: its subject
    } catch {
        /* not a JWT: the token names the user */
    }
    socket.data.user = user;
    next();
});

io.on('connection', (socket) => {
    socket.join(`user:${socket.data.user}`);
    socket.on('join_conversation', (a, ack) => {
        if (!a || typeof a.conversation_id !== 'string') return ack && ack({ error: { code: 'validation_failed', message: 'conversation_id' } });
        socket.join(`conv:${a.conversation_id}`);
        if (ack) ack({ ok: true });
    });
    socket.on('send_message', (a, ack) => {
        if (!a || typeof a.conversation_id !== 'string' || typeof a.body !== 'string')
            return ack && ack({ error: { code: 'validation_failed', message: 'conversation_id and body' } });
        const msg = {
            id: `msg_${++seq}`,
            conversation_id: a.conversation_id,
            sender_id: socket.data.user,
            body: a.body,
            attachments: [],
            client_msg_id: a.client_msg_id || null,
            created_at: new Date().toISOString(),
        };
        socket.to(`conv:${a.conversation_id}`).emit('receive_message', msg);
        if (ack) ack({ message: msg });
    });
});

server.listen(port, '127.0.0.1', () => process.stderr.write(`ref-server: listening on 127.0.0.1:${port}\n`));
process.on('SIGTERM', () => process.exit(0));
