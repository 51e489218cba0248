'use strict';
// A Node `ws` 8 broadcast server speaking the least of the gateway's protocol (docs/protocol.md) that the bench's
// capacity scenario uses, so the same Java clients, checks and clock measure it: auth -> welcome, join -> ack,
// publish -> one message frame to every other member and an ack with the recipient count, ping -> pong. No
// tokens are verified, no join/left announcements, no history, no limits: the least work a broadcast server
// does, which is the point of the comparison. Each broadcast is serialised once and the same bytes go to every
// member (a Buffer, sent as a text frame), as the gateway does.
//
//   HOST=127.0.0.1 PORT=18090 node gateway-bench/peers/ws-server.js
const { WebSocketServer } = require('ws');

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 18090);
const rooms = new Map(); // room name -> Set of sockets
let connections = 0;

const wss = new WebSocketServer({ host, port, path: '/ws', perMessageDeflate: false, clientTracking: false,
  maxPayload: 65536 });

wss.on('connection', (ws) => {
  const conn = { id: 'c' + (++connections), user: null, rooms: new Set() };
  ws.on('message', (data, isBinary) => {
    let f;
    try {
      f = JSON.parse(data);
    } catch {
      ws.send('{"type":"error","code":"malformed","message":"not JSON"}');
      return;
    }
    handle(ws, conn, f);
  });
  ws.on('close', () => {
    for (const name of conn.rooms) {
      const members = rooms.get(name);
      if (members) {
        members.delete(ws);
        if (members.size === 0) rooms.delete(name);
      }
    }
  });
  ws.on('error', () => {});
});

function handle(ws, conn, f) {
  if (f.type === 'ping') return ws.send('{"type":"pong"}');
  if (f.type === 'auth') {
    conn.user = String(f.token);
    return ws.send(JSON.stringify({ type: 'welcome', user: conn.user, conn: conn.id, heartbeat: 60 }));
  }
  if (conn.user === null) return ws.send(error('unauthenticated', f.id));
  if (f.type === 'join') {
    let members = rooms.get(f.room);
    if (!members) rooms.set(f.room, members = new Set());
    members.add(ws);
    conn.rooms.add(f.room);
    return ws.send(JSON.stringify({ type: 'ack', id: f.id }));
  }
  if (f.type === 'publish') {
    const members = rooms.get(f.room);
    if (!members || !members.has(ws)) return ws.send(error('not_member', f.id));
    const frame = Buffer.from(JSON.stringify({ type: 'message', room: f.room, from: conn.user, body: f.body,
      ts: Date.now() }));
    let recipients = 0;
    for (const m of members) {
      if (m !== ws && m.readyState === 1) {
        m.send(frame, { binary: false });
        recipients++;
      }
    }
    return ws.send(JSON.stringify({ type: 'ack', id: f.id, recipients }));
  }
  ws.send(error('unknown_type', f.id));
}

function error(code, id) {
  return JSON.stringify({ type: 'error', id, code, message: code });
}

wss.on('listening', () => console.log(`ws ${require('ws/package.json').version} listening on ws://${host}:${port}/ws (pid ${process.pid})`));
process.on('SIGTERM', () => process.exit(0));
