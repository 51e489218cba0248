#!/usr/bin/env bash
# The same capacity scenario against the gateway and its peers, one server after the other on this machine, and
# one table: the gateway started as a user starts it (bin/gateway, no flags of the bench's), a Node `ws` 8 server
# and a socket.io 4 server (gateway-bench/peers/, each speaking the minimal protocol the bench's clients drive).
# For each, the bench reads the server's RSS (and, for the gateway, heap and direct memory from /metrics) before
# the first client and after every step, and its CPU per delivery from /proc; the table sets them side by side.
#
#   gateway-bench/compare.sh [capacity options...] [--out DIR]
#   e.g. gateway-bench/compare.sh --out bench-results/compare                        # capacity as far as each goes
#        gateway-bench/compare.sh --max 3000 --limit 5s --out bench-results/mem3k     # memory at 3,000 clients
#
# Build first (mvn -B -DskipTests package); Node.js 20+ with npm for the peers, whose dependencies are installed
# with `npm ci` from peers/package-lock.json on first use. Variables:
#   COMPARE_SERVERS     which servers, in this order (default: gateway ws socketio)
#   COMPARE_SERVER_CPUS taskset CPU list of the server (e.g. 0; default: not pinned)
#   COMPARE_BENCH_CPUS  taskset CPU list of the bench's processes (e.g. 1; default: not pinned)
#   COMPARE_TIME_LIMIT  seconds one server's run may take before it is stopped (default 300)
#   COMPARE_BASE_PORT   the gateway on BASE (WebSocket) and BASE+1 (TCP), ws on BASE+2, socket.io on BASE+3
#                       (default 18100)
#   BENCH_JVM_OPTS      the bench's JVM flags (default -Xms1g -Xmx1g)
#   BENCH_CLASSPATH     run the bench from this class path instead of gateway-bench.jar (the test suite does)
#   JAVA_OPTS, JVM_OPTS passed to bin/gateway (see there); any GATEWAY_* setting reaches the gateway
# Exit status: 0 when every run passed its checks, 1 when one failed, 2 for a bad command line, 3 when a server
# did not start, 4 when the peers' dependencies could not be installed.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
if [[ -n "${BENCH_CLASSPATH:-}" ]]; then
  bench=(-cp "$BENCH_CLASSPATH" io.chatgateway.bench.Main)
  table=(-cp "$BENCH_CLASSPATH" io.chatgateway.bench.CompareTable)
else
  bench=(-jar "$bench_jar")
  table=(-cp "$bench_jar" io.chatgateway.bench.CompareTable)
fi
jars=("$server_jar")
[[ -n "${BENCH_CLASSPATH:-}" ]] || jars+=("$bench_jar")
for jar in "${jars[@]}"; do
  [[ -f "$jar" ]] || { echo "$jar is missing: run 'mvn -B -DskipTests package' in $root first" >&2; exit 2; }
done
servers="${COMPARE_SERVERS:-gateway ws socketio}"
limit="${COMPARE_TIME_LIMIT:-300}"
base="${COMPARE_BASE_PORT:-18100}"
: "${BENCH_JVM_OPTS:=-Xms1g -Xmx1g}"
peers="$here/peers"

out="$(option_value out "$@")"
out="${out:-$(mktemp -d /tmp/compare.XXXXXX)}"
mkdir -p "$out"
args=()
skip=""
for arg in "$@"; do
  if [[ -n "$skip" ]]; then skip=""; continue; fi
  case "$arg" in
    --out|--target|--server-pid) skip=yes ;;
    --out=*|--target=*|--server-pid=*) ;;
    *) args+=("$arg") ;;
  esac
done

for s in $servers; do
  case "$s" in
    gateway) ;;
    ws|socketio)
      command -v node >/dev/null || { echo "node is not on PATH (Node.js 20+ runs the peers)" >&2; exit 2; }
      if [[ ! -d "$peers/node_modules/ws" || ! -d "$peers/node_modules/socket.io" ]]; then
        (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error) >"$out/npm-ci.log" 2>&1 || {
          echo "npm ci in $peers failed (see $out/npm-ci.log)" >&2; exit 4; }
      fi
      ;;
    *) echo "COMPARE_SERVERS: $s (expected: gateway, ws, socketio)" >&2; exit 2 ;;
  esac
done

for port in "$base" $((base + 1)) $((base + 2)) $((base + 3)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use: set COMPARE_BASE_PORT" >&2
    exit 2
  fi
done

server_pid=""
trap '[[ -n "$server_pid" ]] && stop_pid "$server_pid"' EXIT
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU seconds of this script's finished children (the bench's processes among them): cutime + cstime of /proc/self.
children_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($16 + $17) / hz}' /proc/$$/stat; }
# The servers start in the background with `exec`, so that $! is the server itself (whose /proc the bench reads).
pinned() { local cpus="$1"; shift; if [[ -n "$cpus" ]]; then exec taskset -c "$cpus" "$@"; else exec "$@"; fi; }

status=0
for s in $servers; do
  dir="$out/$s"
  mkdir -p "$dir"
  case "$s" in
    gateway)
      port="$base"
      # As for bench.sh: the capacity scenario shares a user between connections, and the bench connects from a
      # few loopback addresses, which a production gateway's per-address limits would refuse.
      GATEWAY_BIND=127.0.0.1 GATEWAY_HTTP_PORT="$port" GATEWAY_TCP_PORT=$((base + 1)) \
        GATEWAY_SESSIONS="${GATEWAY_SESSIONS:-multi}" GATEWAY_MAX_SESSIONS_PER_USER="${GATEWAY_MAX_SESSIONS_PER_USER:-1000}" \
        GATEWAY_MAX_CONNECTIONS_PER_IP="${GATEWAY_MAX_CONNECTIONS_PER_IP:-0}" \
        GATEWAY_CONNECT_RATE_PER_IP="${GATEWAY_CONNECT_RATE_PER_IP:-0}" \
        GATEWAY_JAR="$server_jar" pinned "${COMPARE_SERVER_CPUS:-}" "$root/bin/gateway" >"$dir/server.log" 2>&1 &
      target="ws://127.0.0.1:$port/ws"
      ;;
    ws)
      port=$((base + 2))
      HOST=127.0.0.1 PORT="$port" pinned "${COMPARE_SERVER_CPUS:-}" node "$peers/ws-server.js" >"$dir/server.log" 2>&1 &
      target="ws://127.0.0.1:$port/ws"
      ;;
    socketio)
      port=$((base + 3))
      HOST=127.0.0.1 PORT="$port" pinned "${COMPARE_SERVER_CPUS:-}" node "$peers/socketio-server.js" >"$dir/server.log" 2>&1 &
      target="sio://127.0.0.1:$port"
      ;;
  esac
  server_pid=$!
  wait_port "$port" "$s" "$server_pid" || { cat "$dir/server.log" >&2; exit 3; }
  sleep 3 # let it settle (a JVM is still compiling and collecting just after it listens): the baseline RSS is read when the bench starts
  cpu_before="$(cpu_ticks "$server_pid")"
  bench_before="$(children_cpu)"
  started="$(date +%s.%N)"
  echo "== $s (pid $server_pid, $target, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
  # shellcheck disable=SC2086
  if ! ${COMPARE_BENCH_CPUS:+taskset -c "$COMPARE_BENCH_CPUS"} timeout --signal=TERM "$limit" java $BENCH_JVM_OPTS "${bench[@]}" capacity \
      --target "$target" --server-pid "$server_pid" --quiet "${args[@]}" --out "$dir" >"$dir/bench.txt" 2>&1; then
    status=1
  fi
  cpu_after="$(cpu_ticks "$server_pid")"
  bench_after="$(children_cpu)"
  ended="$(date +%s.%N)"
  awk -v a="$cpu_before" -v b="$cpu_after" -v hz="$(getconf CLK_TCK)" -v t0="$started" -v t1="$ended" \
    -v pid="$server_pid" -v name="$s" -v ba="$bench_before" -v bb="$bench_after" \
    'BEGIN { printf "{\"server\":\"%s\",\"pid\":%d,\"cpu_seconds\":%.2f,\"bench_cpu_seconds\":%.2f,\"wall_seconds\":%.1f}\n", name, pid, (b - a) / hz, bb - ba, t1 - t0 }' \
    >"$dir/server.json"
  sed -n '/capacity summary/,/checks:/p' "$dir/bench.txt" | grep -E 'capacity  |RSS growth|before the first' || tail -5 "$dir/bench.txt"
  stop_pid "$server_pid"
  server_pid=""
done

echo
echo "$(date -u +%FT%TZ), $(nproc) cores, $(uname -sr), $(java -version 2>&1 | head -1), node $(node --version 2>/dev/null || echo -)"
echo "capacity ${args[*]}"
# shellcheck disable=SC2086
java "${table[@]}" "$out" $servers
exit $status
