#!/usr/bin/env bash
# Chaos run: a three-node cluster under the soak load, with one node SIGKILLed and the Redis primary SIGKILLed
# (failed over by Sentinel) mid-run; the clients of the dead node come back to the others with since. Stops
# everything it started (by pid) within a time bound.
#
#   gateway-bench/chaos.sh [soak options...]
#   e.g. gateway-bench/chaos.sh --rooms 6 --members 100 --rate 150 --duration 3m --out bench-results/chaos
#
# What it starts: a Redis primary and one replica, three Sentinels watching them (Debian's redis-server and
# redis-sentinel), and three gateway nodes with GATEWAY_REDIS_URI=redis-sentinel://s1,s2,s3/0#NAME. Then one soak
# run across the three nodes (--outages: 'unavailable' refusals and connections closed by the dead node are
# counted, not failures; everything acknowledged must still arrive or be recovered, once and in order). At
# CHAOS_KILL_NODE_AT seconds after the load starts it SIGKILLs node 3; at CHAOS_FAILOVER_AT it SIGKILLs the Redis
# primary and times how long until the surviving nodes are ready again (/readyz follows the broker). The times of
# both, and the bench's own account of every disturbance (results.json "disturbances"), go to the --out directory.
#
# Build first: mvn -B -DskipTests package (from the repository root).
# Variables:
#   CHAOS_REDIS          sentinel (default): primary + replica + 3 Sentinels, the primary killed and failed over;
#                        single: one Redis with appendfsync always, killed and restarted on its port after
#                        CHAOS_REDIS_DOWN seconds (for a gateway without Sentinel support)
#   CHAOS_REDIS_DOWN     single mode: seconds Redis stays down (default 3)
#   CHAOS_KILL_NODE_AT   seconds after the load starts (after connecting) to SIGKILL node 3 (default: a third of
#                        --warmup + --duration); off: no node killed
#   CHAOS_FAILOVER_AT    seconds after the load starts to SIGKILL the Redis primary (default: two thirds); off:
#                        Redis left alone
#   CHAOS_BASE_PORT      Redis primary on BASE, replica BASE+1, Sentinels BASE+11..13, node k on BASE+20+k
#                        (WebSocket) (default 18500)
#   CHAOS_TIME_LIMIT     seconds after which the bench is stopped and everything torn down (default 900)
#   GATEWAY_JVM_OPTS     JVM flags of each node (default: 512 MiB pre-touched heap, G1)
#   BENCH_JVM_OPTS       JVM flags of the bench (default: -Xms1g -Xmx1g)
#   GATEWAY_JAR          the gateway to run (default: gateway-server/target/gateway-server.jar)
#   any GATEWAY_* setting  passed to every node
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_jars
redis_mode="${CHAOS_REDIS:-sentinel}"
case "$redis_mode" in
  sentinel|single) ;;
  *) echo "CHAOS_REDIS: $redis_mode (expected: sentinel or single)" >&2; exit 2 ;;
esac
redis_bin="$(command -v redis-server || true)"
sentinel_bin="$(command -v redis-sentinel || true)"
[[ -n "$redis_bin" ]] || { echo "redis-server is not on PATH (apt-get install -y redis-server)" >&2; exit 2; }
if [[ "$redis_mode" == sentinel && -z "$sentinel_bin" ]]; then
  echo "redis-sentinel is not on PATH (apt-get install -y redis-sentinel)" >&2
  exit 2
fi
command -v redis-cli >/dev/null || { echo "redis-cli is not on PATH (apt-get install -y redis-tools)" >&2; exit 2; }

base="${CHAOS_BASE_PORT:-18500}"
limit="${CHAOS_TIME_LIMIT:-900}"
nodes=3
primary_name=chaos
: "${GATEWAY_JVM_OPTS:=-Xms512m -Xmx512m -XX:+AlwaysPreTouch -XX:+UseG1GC}"
: "${BENCH_JVM_OPTS:=-Xms1g -Xmx1g}"

out_dir="$(option_value out "$@")"
out_dir="${out_dir:-$(mktemp -d /tmp/chaos.XXXXXX)}"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
events="$out_dir/chaos-events.txt"
: >"$events"

seconds_of() { # duration as the bench writes it (500ms, 30s, 2m, 90) -> whole seconds
  local v="$1"
  case "$v" in
    *ms) echo $(( ${v%ms} / 1000 )) ;;
    *s) echo "${v%s}" | awk '{printf "%d", $1}' ;;
    *m) echo "${v%m}" | awk '{printf "%d", $1 * 60}' ;;
    *) echo "$v" | awk '{printf "%d", $1}' ;;
  esac
}
warmup="$(seconds_of "$(option_value warmup "$@" | sed 's/^$/30s/')")"
duration="$(seconds_of "$(option_value duration "$@" | sed 's/^$/3m/')")"
load=$((warmup + duration))
kill_at="${CHAOS_KILL_NODE_AT:-$((load / 3))}"
failover_at="${CHAOS_FAILOVER_AT:-$((2 * load / 3))}"

ports=("$base" $((base + 1)) $((base + 11)) $((base + 12)) $((base + 13)))
for k in $(seq 1 "$nodes"); do ports+=($((base + 20 + k)) $((base + 1020 + k))); done
for port in "${ports[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use: set CHAOS_BASE_PORT" >&2
    exit 2
  fi
done

pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do stop_pid "$p"; done
}
trap cleanup EXIT
# A TERM (e.g. from an outer timeout) ends the script through its EXIT trap, which stops what it started.
trap 'exit 143' TERM INT

note() { # an event, with the time since the load started
  local now
  now="$(date +%s.%N)"
  echo "$(date -u +%T.%3N) t=$(awk -v a="${load_start:-$now}" -v b="$now" 'BEGIN{printf "%.1f", b-a}')s $*" | tee -a "$events"
}

redis_dir="$out_dir/redis"
mkdir -p "$redis_dir"
start_redis() { # port, extra args...
  local port="$1"
  shift
  "$redis_bin" --port "$port" --bind 127.0.0.1 --save "" --protected-mode no --daemonize no \
    --dir "$redis_dir" --dbfilename "dump-$port.rdb" --logfile "$redis_dir/redis-$port.log" --maxclients 1000 "$@" &
  pids+=($!)
  last_pid=$!
  wait_port "$port" "redis-server on $port" "$last_pid"
}

if [[ "$redis_mode" == sentinel ]]; then
  start_redis "$base" --appendonly no
  primary_pid=$last_pid
  start_redis $((base + 1)) --appendonly no --replicaof 127.0.0.1 "$base"
  replica_pid=$last_pid
  sentinels=()
  for s in 1 2 3; do
    sport=$((base + 10 + s))
    conf="$redis_dir/sentinel-$sport.conf"
    # Sentinel rewrites its configuration as it learns the topology: each needs a writable file of its own.
    cat >"$conf" <<EOF
port $sport
bind 127.0.0.1
protected-mode no
daemonize no
dir $redis_dir
logfile $redis_dir/sentinel-$sport.log
sentinel monitor $primary_name 127.0.0.1 $base 2
sentinel down-after-milliseconds $primary_name 1000
sentinel failover-timeout $primary_name 5000
sentinel parallel-syncs $primary_name 1
EOF
    "$sentinel_bin" "$conf" >"$redis_dir/sentinel-$sport.out" 2>&1 &
    pids+=($!)
    wait_port "$sport" "redis-sentinel on $sport" $!
    sentinels+=("127.0.0.1:$sport")
  done
  # Ready for a failover once every Sentinel sees the replica and a quorum.
  for s in 1 2 3; do
    for _ in $(seq 1 200); do
      ok="$(redis-cli -p $((base + 10 + s)) sentinel ckquorum "$primary_name" 2>/dev/null | grep -c '^OK 3' || true)"
      replicas="$(redis-cli -p $((base + 10 + s)) sentinel replicas "$primary_name" 2>/dev/null | grep -c '^flags$' || true)"
      [[ "$ok" == 1 && "$replicas" -ge 1 ]] && break
      sleep 0.1
    done
    [[ "$ok" == 1 ]] || { echo "sentinel $((base + 10 + s)) has no quorum; logs in $redis_dir" >&2; exit 3; }
  done
  redis_uri="redis-sentinel://$(IFS=,; echo "${sentinels[*]}")/0#$primary_name"
  echo "redis primary pid $primary_pid on :$base, replica pid $replica_pid on :$((base + 1)), sentinels ${sentinels[*]}"
else
  # No Sentinel: one Redis that survives its own restart (every write on disk before the answer).
  start_redis "$base" --appendonly yes --appendfsync always --appendfilename "appendonly-$base.aof"
  primary_pid=$last_pid
  redis_uri="redis://127.0.0.1:$base"
  echo "redis pid $primary_pid on :$base (appendfsync always; restarted after the kill)"
fi

export GATEWAY_MAX_CONNECTIONS_PER_IP="${GATEWAY_MAX_CONNECTIONS_PER_IP:-0}"
export GATEWAY_CONNECT_RATE_PER_IP="${GATEWAY_CONNECT_RATE_PER_IP:-0}"
node_pids=()
targets=()
metrics=()
for k in $(seq 1 "$nodes"); do
  http_port=$((base + 20 + k))
  # shellcheck disable=SC2086
  GATEWAY_BIND=127.0.0.1 GATEWAY_HTTP_PORT=$http_port GATEWAY_TCP_PORT=$((base + 1020 + k)) GATEWAY_NODE_ID="node$k" \
    GATEWAY_REDIS_URI="$redis_uri" java $GATEWAY_JVM_OPTS -jar "$server_jar" >"$out_dir/node$k.log" 2>&1 &
  node_pids+=($!)
  pids+=($!)
  targets+=("ws://127.0.0.1:$http_port/ws")
  metrics+=("http://127.0.0.1:$http_port/metrics")
done
ready() { # node k -> 0 when /readyz answers 200
  [[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((base + 20 + $1))/readyz" || true)" == 200 ]]
}
for k in $(seq 1 "$nodes"); do
  wait_port $((base + 20 + k)) "node$k" "${node_pids[$((k - 1))]}" || { tail -20 "$out_dir/node$k.log" >&2; exit 3; }
  for _ in $(seq 1 300); do ready "$k" && break; sleep 0.1; done
  ready "$k" || { echo "node$k not ready within 30 s; log: $out_dir/node$k.log" >&2; exit 3; }
done
echo "nodes ${node_pids[*]} on ${targets[*]} ($GATEWAY_JVM_OPTS), GATEWAY_REDIS_URI=$redis_uri; logs in $out_dir"
echo "gateway settings (every node): $(gateway_settings)"

list() { local IFS=,; echo "$*"; }
# shellcheck disable=SC2086
timeout --signal=TERM "$limit" java $BENCH_JVM_OPTS -jar "$bench_jar" soak --target "$(list "${targets[@]}")" \
  --server-pid "$(list "${node_pids[@]}")" --metrics-url "$(list "${metrics[@]}")" --outages "$@" \
  >"$out_dir/bench.txt" 2>&1 &
bench_pid=$!
pids+=("$bench_pid")

# The load starts when the bench leaves its connect phase.
for _ in $(seq 1 "$limit"); do
  grep -q '\] warmup\|\] measure' "$out_dir/bench.txt" 2>/dev/null && break
  kill -0 "$bench_pid" 2>/dev/null || break
  sleep 0.2
done
load_start="$(date +%s.%N)"
note "load started (kill node3 at ${kill_at}s, redis primary at ${failover_at}s)"

sleep_until() { # seconds after the load start
  local left
  left="$(awk -v a="$load_start" -v b="$(date +%s.%N)" -v t="$1" 'BEGIN{l=t-(b-a); print (l > 0 ? l : 0)}')"
  sleep "$left"
}

if [[ "$kill_at" != off ]]; then
  sleep_until "$kill_at"
fi
if [[ "$kill_at" != off ]] && kill -0 "$bench_pid" 2>/dev/null; then
  kill -KILL "${node_pids[2]}" 2>/dev/null || true
  note "SIGKILL node3 (pid ${node_pids[2]})"
fi

if [[ "$failover_at" != off ]]; then
  sleep_until "$failover_at"
fi
if [[ "$failover_at" != off ]] && kill -0 "$bench_pid" 2>/dev/null; then
  kill -KILL "$primary_pid" 2>/dev/null || true
  killed_at="$(date +%s.%N)"
  note "SIGKILL redis primary (pid $primary_pid, :$base)"
  if [[ "$redis_mode" == single ]]; then
    sleep "${CHAOS_REDIS_DOWN:-3}"
    start_redis "$base" --appendonly yes --appendfsync always --appendfilename "appendonly-$base.aof"
    note "redis restarted (pid $last_pid, :$base, its append-only file replayed)"
  else
    for _ in $(seq 1 600); do
      promoted="$(redis-cli -p $((base + 11)) sentinel get-master-addr-by-name "$primary_name" 2>/dev/null | tr '\n' ' ')"
      [[ "$promoted" == *"$((base + 1))"* ]] && break
      sleep 0.1
    done
    note "sentinel names the new primary: $promoted"
  fi
  # Time to serve again: both survivors ready (their broker connection back).
  seen_down=""
  for _ in $(seq 1 1200); do
    if ready 1 && ready 2; then break; fi
    seen_down=yes
    sleep 0.1
  done
  back="$(awk -v a="$killed_at" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')"
  note "node1 and node2 ready again ${back}s after the primary was killed${seen_down:+ (not ready in between)}"
fi

status=0
wait "$bench_pid" || status=$?
note "bench finished (exit status $status)"
sed -n '/== soak summary/,$p' "$out_dir/bench.txt"
echo "events:"
cat "$events"
exit $status
