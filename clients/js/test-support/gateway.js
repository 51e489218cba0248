// Starts the real gateway jar (built by `mvn package`) as a child process on free loopback ports, and stops it by
// pid. Each test file owns its gateways and stops them in `after`, also when a test failed; a process exit
// handler kills any that are left (a crashed test file must not leave a JVM behind).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const JAR = fileURLToPath(new URL('../../../gateway-server/target/gateway-server.jar', import.meta.url));

const LISTENING = /Listening: WebSocket ws:\/\/([^:\s]+):(\d+)(\S*), TCP ([^:\s]+):(\d+)/;
const START_TIMEOUT_MS = 60000;
const STOP_TIMEOUT_MS = 15000;
const LOG_LINES = 400;

const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch (e) { /* gone */ }
  }
});

/** A random admin token, long enough for the gateway not to warn. */
export function randomToken() {
  return Array.from({ length: 40 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
}

export class Gateway {
  /** `settings`: GATEWAY_* variables (without the prefix handling: pass full names). */
  constructor(settings = {}) {
    this.settings = settings;
    this.child = null;
    this.httpPort = 0;
    this.tcpPort = 0;
    this.wsPath = '/ws';
    this.log = [];
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.httpPort}${this.wsPath}`;
  }

  get httpUrl() {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get pid() {
    return this.child ? this.child.pid : null;
  }

  /** Starts the gateway; after a `stop()` it comes back on the same ports. */
  async start() {
    if (this.child) throw new Error('gateway already running');
    if (!existsSync(JAR)) {
      throw new Error(`${JAR} is missing: build it first (mvn -B -q -DskipTests package)`);
    }
    const env = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!k.startsWith('GATEWAY_')) env[k] = v; // the test decides every setting
    }
    Object.assign(env, {
      GATEWAY_BIND: '127.0.0.1',
      GATEWAY_HTTP_PORT: String(this.httpPort),
      GATEWAY_TCP_PORT: String(this.tcpPort),
      GATEWAY_SHUTDOWN_TIMEOUT_SECONDS: '2',
      GATEWAY_IO_THREADS: '1',
    }, this.settings);
    const child = spawn('java', ['-Xms32m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
      '-jar', JAR], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }));
    this.exited = exited;
    const listening = new Promise((resolve, reject) => {
      let buffer = '';
      const onData = (chunk) => {
        buffer += chunk.toString('utf8');
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          this.log.push(line);
          if (this.log.length > LOG_LINES) this.log.shift();
          const m = LISTENING.exec(line);
          if (m) resolve({ httpPort: Number(m[2]), wsPath: m[3] || '/ws', tcpPort: Number(m[5]) });
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      exited.then(({ code, signal }) => reject(new Error(
        `gateway exited (${code ?? signal}) before listening:\n${this.log.join('\n')}`)));
    });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`gateway not listening after ${START_TIMEOUT_MS} ms:\n`
        + this.log.join('\n'))), START_TIMEOUT_MS);
    });
    try {
      const bound = await Promise.race([listening, timeout]);
      this.httpPort = bound.httpPort;
      this.tcpPort = bound.tcpPort;
      this.wsPath = bound.wsPath;
    } catch (e) {
      await this.stop();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return this;
  }

  /** SIGTERM (the gateway's graceful shutdown: `kicked shutdown` to everyone), SIGKILL if it hangs. */
  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      let timer;
      const killed = new Promise((resolve) => {
        timer = setTimeout(() => {
          try { child.kill('SIGKILL'); } catch (e) { /* gone */ }
          resolve();
        }, STOP_TIMEOUT_MS);
      });
      await Promise.race([this.exited, killed]);
      clearTimeout(timer);
      await this.exited;
    }
  }

  /** Calls the admin API (needs GATEWAY_ADMIN_TOKEN in the settings). */
  async admin(method, path, body) {
    const headers = { Authorization: `Bearer ${this.settings.GATEWAY_ADMIN_TOKEN}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.httpUrl + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  async clientConfig() {
    const res = await fetch(`${this.httpUrl}/client-config`);
    if (!res.ok) throw new Error(`GET /client-config: HTTP ${res.status}`);
    return res.json();
  }
}

/** Starts a gateway with `settings`; the caller stops it in `after`. */
export async function startGateway(settings = {}) {
  return new Gateway(settings).start();
}
