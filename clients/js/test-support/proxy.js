// A TCP proxy on loopback between a client and the gateway, to break connections the way networks do: `freeze()`
// blackholes the current connections (bytes are swallowed both ways, nothing is closed), `freezeUpstream()` only
// swallows what the client sends, `cut()` resets them. New connections are forwarded normally.
import net from 'node:net';

export async function startProxy(targetPort, targetHost = '127.0.0.1') {
  const pairs = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    const pair = { client, upstream, frozen: false, upstreamFrozen: false };
    pairs.add(pair);
    client.on('data', (d) => {
      if (!pair.frozen && !pair.upstreamFrozen) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!pair.frozen) client.write(d);
    });
    const end = () => {
      pairs.delete(pair);
      if (pair.frozen) return; // a blackholed peer never learns that the other side went away
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = server.address().port;
  return {
    port,
    wsUrl: (path = '/ws') => `ws://127.0.0.1:${port}${path}`,
    get connections() {
      return pairs.size;
    },
    freeze() {
      for (const p of pairs) p.frozen = true;
    },
    freezeUpstream() {
      for (const p of pairs) p.upstreamFrozen = true;
    },
    cut() {
      for (const p of [...pairs]) {
        p.client.resetAndDestroy ? p.client.resetAndDestroy() : p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
    },
    async close() {
      for (const p of [...pairs]) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
