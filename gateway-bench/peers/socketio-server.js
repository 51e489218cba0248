'use strict';
// A socket.io 4 broadcast server speaking the same least of the gateway's protocol as ws-server.js, each frame the
// argument of one "m" event (42["m",{...}] on the wire, WebSocket transport only), so the bench's Java clients
// drive it through sio://HOST:PORT targets (SocketIoFraming). A room is a socket.io room; a publish is one
// broadcast to the room but the sender (socket.io encodes a broadcast once for all its members), then an ack with
// the recipient count. No tokens verified, no announcements, no history, no limits.
//
//   HOST=127.0.0.1 PORT=18091 node gateway-bench/peers/socketio-server.js
const http = require('http');
const { Server } = require('socket.io');

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 18091);
const server = http.createServer();
const io = new Server(server, { transports: ['websocket'], serveClient: false, perMessageDeflate: false,
  httpCompression: false, maxHttpBufferSize: 65536 });
let connections = 0;

io.on('connection', (socket) => {
  const conn = { id: 'c' + (++connections), user: null, rooms: new Set() };
  socket.on('m', (f) => {
    if (f === null || typeof f !== 'object') {
      return socket.emit('m', { type: 'error', code: 'malformed', message: 'not an object' });
    }
    if (f.type === 'ping') return socket.emit('m', { type: 'pong' });
    if (f.type === 'auth') {
      conn.user = String(f.token);
      return socket.emit('m', { type: 'welcome', user: conn.user, conn: conn.id, heartbeat: 60 });
    }
    if (conn.user === null) return socket.emit('m', error('unauthenticated', f.id));
    if (f.type === 'join') {
      socket.join('r:' + f.room);
      conn.rooms.add(f.room);
      return socket.emit('m', { type: 'ack', id: f.id });
    }
    if (f.type === 'publish') {
      if (!conn.rooms.has(f.room)) return socket.emit('m', error('not_member', f.id));
      const members = io.sockets.adapter.rooms.get('r:' + f.room);
      socket.to('r:' + f.room).emit('m', { type: 'message', room: f.room, from: conn.user, body: f.body,
        ts: Date.now() });
      return socket.emit('m', { type: 'ack', id: f.id, recipients: members ? members.size - 1 : 0 });
    }
    socket.emit('m', error('unknown_type', f.id));
  });
});

function error(code, id) {
  return { type: 'error', id, code, message: code };
}

server.listen(port, host, () => console.log(`socket.io ${require('socket.io/package.json').version} listening on sio://${host}:${port} (pid ${process.pid})`));
process.on('SIGTERM', () => process.exit(0));
