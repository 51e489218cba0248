#!/usr/bin/env bash
# Starts a Redis and a cluster of gateway nodes on this machine, runs one bench scenario across them, and stops
# everything it started (by pid), within a time bound.
#
#   gateway-bench/cluster-bench.sh <mode> [bench options...]
#
# Modes:
#   connections   one bench process per node, at once, each holding its share of --connections against its own
#                 node with --server-pid (memory per connection per node); the cluster's statistics
#                 (GET /api/stats on node 1: every node and the total) are saved while they hold.
#   direct        one bench run with --target listing every node: connection i goes to node i mod n, so every
#                 direct pair (2k, 2k+1) spans two nodes and every message crosses Redis.
#   direct-local  the same load with each pair on one node (the target list names each node twice:
#                 i mod 2n puts 2k and 2k+1 on the same node), pairs spread over all nodes: the same-node baseline
#                 for 'direct' at the same rate.
#   room          one bench run with --target listing every node: each room's members are spread over the nodes,
#                 so each publish is delivered by its own node and, through one Redis PUBLISH, by the others.
# In direct, direct-local and room the bench gets --server-pid (every node) and --broker-pid (Redis): its summary
# and results.json then give the nodes' CPU per delivery and Redis's CPU per message over the measuring window.
# With CLUSTER_SHARDS=n (n >= 1) the nodes share a Redis Cluster of n primaries instead (redis-cluster:// URI,
# sharded keys and pub/sub, see docs/cluster.md): --broker-pid is then the first shard, and the script itself reads
# every shard's CPU from /proc over the bench run and prints each, their total and the total per message sent.
# With --reconnect-rate, connection i's attempt k goes to node (i + k) mod n: every reconnect changes node.
#
# e.g. gateway-bench/cluster-bench.sh connections --connections 45000 --connect-rate 3000 --duration 20s --out bench-results/cluster-conns
#      gateway-bench/cluster-bench.sh direct --connections 6000 --rate 5000 --duration 20s --out bench-results/cluster-direct
#
# Build first: mvn -B -DskipTests package (from the repository root). Needs redis-server on PATH (Debian's package).
# Variables:
#   CLUSTER_NODES          gateway nodes (default 3)
#   CLUSTER_BASE_PORT      node k (1..n) listens on BASE+k (WebSocket) and BASE+1000+k (TCP); Redis on BASE
#                          (default 18300: nodes on 18301.., TCP 19301.., Redis 18300)
#   CLUSTER_SHARDS         0 (default): one Redis; n >= 1: a Redis Cluster of n primaries on BASE-100+i (i = 0..n-1),
#                          no replicas, created with redis-cli --cluster create (one shard: given every slot)
#   GATEWAY_JVM_OPTS       JVM flags of each node (default: 1 GiB pre-touched heap, G1, NMT summary)
#   BENCH_JVM_OPTS         JVM flags of each bench process (default: -Xms1g -Xmx1g)
#   CLUSTER_TIME_LIMIT     seconds after which the bench is stopped and everything torn down (default 900)
#   GATEWAY_JAR            the gateway to run (default: gateway-server/target/gateway-server.jar)
#   any GATEWAY_* setting  passed to every node (e.g. GATEWAY_IO_THREADS=1, GATEWAY_HISTORY_SIZE=0); the script
#                          sets GATEWAY_MAX_CONNECTIONS_PER_IP=0 and GATEWAY_CONNECT_RATE_PER_IP=0 unless given
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
mode="${1:-}"
case "$mode" in
  connections|direct|direct-local|room) shift ;;
  *) echo "usage: $0 <connections|direct|direct-local|room> [bench options...]" >&2; exit 2 ;;
esac
require_jars
redis_bin="$(command -v redis-server || true)"
[[ -n "$redis_bin" ]] || { echo "redis-server is not on PATH (apt-get install -y redis-server)" >&2; exit 2; }

nodes="${CLUSTER_NODES:-3}"
base="${CLUSTER_BASE_PORT:-18300}"
shards="${CLUSTER_SHARDS:-0}"
limit="${CLUSTER_TIME_LIMIT:-900}"
: "${GATEWAY_JVM_OPTS:=-Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:+UseG1GC -XX:NativeMemoryTracking=summary}"
: "${BENCH_JVM_OPTS:=-Xms1g -Xmx1g}"

# Bench options this script reads: --out (where everything goes) and --connections (split per node in
# 'connections' mode).
out_dir="$(option_value out "$@")"
connections="$(option_value connections "$@")"
out_dir="${out_dir:-$(mktemp -d /tmp/cluster-bench.XXXXXX)}"
mkdir -p "$out_dir"
# Absolute: Redis opens its log file after changing into its --dir, so a relative path would not be found.
out_dir="$(cd "$out_dir" && pwd)"

shard_ports=()
for i in $(seq 0 $((shards - 1))); do shard_ports+=($((base - 100 + i))); done
for port in "$base" "${shard_ports[@]}" $(seq $((base + 1)) $((base + nodes))) $(seq $((base + 1001)) $((base + 1000 + nodes))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use: set CLUSTER_BASE_PORT" >&2
    exit 2
  fi
done

pids=()
redis_pid=""
redis_pids=()
node_pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do stop_pid "$p"; done
}
trap cleanup EXIT

# Redis: no persistence, on loopback.
if [[ "$shards" -eq 0 ]]; then
  redis_dir="$out_dir/redis"
  mkdir -p "$redis_dir"
  "$redis_bin" --port "$base" --bind 127.0.0.1 --save "" --appendonly no --protected-mode no --daemonize no \
    --dir "$redis_dir" --logfile "$redis_dir/redis.log" --maxclients 1000 &
  redis_pid=$!
  pids+=("$redis_pid")
  redis_pids=("$redis_pid")
  wait_port "$base" "redis-server" "$redis_pid"
  redis_uri="redis://127.0.0.1:$base"
else
  command -v redis-cli >/dev/null || { echo "CLUSTER_SHARDS needs redis-cli on PATH" >&2; exit 2; }
  redis_uri="redis-cluster://"
  for i in "${!shard_ports[@]}"; do
    port="${shard_ports[$i]}"
    shard_dir="$out_dir/redis-shard$i"
    mkdir -p "$shard_dir"
    "$redis_bin" --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 5000 --save "" --appendonly no --protected-mode no --daemonize no \
      --dir "$shard_dir" --logfile "$shard_dir/redis.log" --maxclients 1000 &
    redis_pids+=($!)
    pids+=($!)
    if [[ $i -gt 0 ]]; then redis_uri+=","; fi
    redis_uri+="127.0.0.1:$port"
  done
  redis_pid="${redis_pids[0]}"
  for i in "${!shard_ports[@]}"; do wait_port "${shard_ports[$i]}" "redis shard $i" "${redis_pids[$i]}"; done
  if [[ "$shards" -eq 1 ]]; then
    redis-cli -p "${shard_ports[0]}" cluster addslotsrange 0 16383 >/dev/null
  else
    create=()
    for port in "${shard_ports[@]}"; do create+=("127.0.0.1:$port"); done
    redis-cli --cluster create "${create[@]}" --cluster-replicas 0 --cluster-yes >"$out_dir/cluster-create.log" 2>&1 \
      || { echo "redis-cli --cluster create failed: $out_dir/cluster-create.log" >&2; exit 3; }
  fi
  for port in "${shard_ports[@]}"; do
    for _ in $(seq 1 300); do
      redis-cli -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break
      sleep 0.1
    done
    redis-cli -p "$port" cluster info | grep -q 'cluster_state:ok' \
      || { echo "Redis Cluster not ok on :$port within 30 s" >&2; exit 3; }
  done
fi

admin_token="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
# The bench opens thousands of connections from a few loopback addresses, which the per-address limits of a
# production-mode gateway would refuse: off on every node unless set.
export GATEWAY_MAX_CONNECTIONS_PER_IP="${GATEWAY_MAX_CONNECTIONS_PER_IP:-0}"
export GATEWAY_CONNECT_RATE_PER_IP="${GATEWAY_CONNECT_RATE_PER_IP:-0}"
targets=()
for k in $(seq 1 "$nodes"); do
  http_port=$((base + k))
  tcp_port=$((base + 1000 + k))
  # shellcheck disable=SC2086
  GATEWAY_BIND=127.0.0.1 GATEWAY_HTTP_PORT=$http_port GATEWAY_TCP_PORT=$tcp_port GATEWAY_NODE_ID="node$k" \
    GATEWAY_REDIS_URI="$redis_uri" GATEWAY_ADMIN_TOKEN="$admin_token" \
    java $GATEWAY_JVM_OPTS -jar "$server_jar" >"$out_dir/node$k.log" 2>&1 &
  node_pids+=($!)
  pids+=($!)
  targets+=("ws://127.0.0.1:$http_port/ws")
done
for k in $(seq 1 "$nodes"); do
  wait_port $((base + k)) "node$k" "${node_pids[$((k - 1))]}"
done
# Ready = joined the cluster (/readyz follows the broker).
for k in $(seq 1 "$nodes"); do
  for _ in $(seq 1 300); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((base + k))/readyz" || true)"
    [[ "$code" == 200 ]] && break
    sleep 0.1
  done
  [[ "$code" == 200 ]] || { echo "node$k not ready within 30 s (readyz $code); log: $out_dir/node$k.log" >&2; exit 3; }
done
echo "redis pids ${redis_pids[*]} ($redis_uri); nodes ${node_pids[*]} on ${targets[*]} ($GATEWAY_JVM_OPTS); logs in $out_dir"
echo "gateway settings (every node): $(gateway_settings)"

cpu_ticks() { # pid -> utime+stime in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
stats() { # file
  curl -s -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$((base + 1))/api/stats" >"$1" || true
}
cpu_report() { # label, then "name:ticks_before" pairs for each process
  local hz
  hz="$(getconf CLK_TCK)"
  echo "CPU during the run ($1):"
  local all=("${redis_pids[@]}" "${node_pids[@]}") names=() i
  if [[ "$shards" -eq 0 ]]; then names=(redis); else for i in "${!redis_pids[@]}"; do names+=("redis-shard$i"); done; fi
  for k in $(seq 1 "$nodes"); do names+=("node$k"); done
  for i in "${!all[@]}"; do
    echo "  ${names[$i]}: $(awk -v a="${cpu_before[$i]}" -v b="$(cpu_ticks "${all[$i]}")" -v hz="$hz" 'BEGIN{printf "%.1f", (b-a)/hz}') s"
  done
}
cpu_before=()
for p in "${redis_pids[@]}" "${node_pids[@]}"; do cpu_before+=("$(cpu_ticks "$p")"); done

list() { local IFS=,; echo "$*"; }
# The message modes measure the nodes' CPU (added up) and Redis's over the bench's measuring window, per message.
cpu_args=()
[[ -n "$(option_value server-pid "$@")" ]] || cpu_args+=(--server-pid "$(list "${node_pids[@]}")")
[[ -n "$(option_value broker-pid "$@")" ]] || cpu_args+=(--broker-pid "$redis_pid")
status=0
case "$mode" in
  connections)
    n="${connections:-45000}"
    per=$(( (n + nodes - 1) / nodes ))
    # Every option but --connections and --out goes to each per-node run.
    args=()
    skip=""
    for arg in "$@"; do
      if [[ -n "$skip" ]]; then skip=""; continue; fi
      case "$arg" in
        --connections|--out) skip=yes ;;
        --connections=*|--out=*) ;;
        *) args+=("$arg") ;;
      esac
    done
    redis_used() { redis-cli -p "$base" info memory 2>/dev/null | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}'; }
    redis_before=""
    command -v redis-cli >/dev/null && redis_before="$(redis_used)"
    bench_pids=()
    for k in $(seq 1 "$nodes"); do
      # shellcheck disable=SC2086
      timeout --signal=TERM "$limit" java $BENCH_JVM_OPTS -jar "$bench_jar" connections --target "${targets[$((k - 1))]}" \
        --server-pid "${node_pids[$((k - 1))]}" --connections "$per" --user-prefix "n$k" --quiet \
        --out "$out_dir/node$k" "${args[@]}" >"$out_dir/bench-node$k.txt" 2>&1 &
      bench_pids+=($!)
      pids+=($!)
    done
    # While they hold: the cluster's statistics once every node has its share.
    want=$((per * nodes))
    for _ in $(seq 1 "$limit"); do
      stats "$out_dir/cluster-stats.json"
      got="$(grep -o '"total":{"connections":[0-9]*' "$out_dir/cluster-stats.json" | grep -o '[0-9]*$' || echo 0)"
      [[ "${got:-0}" -ge "$want" ]] && break
      alive=""
      for p in "${bench_pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=yes; done
      [[ -n "$alive" ]] || break
      sleep 1
    done
    sleep 2
    stats "$out_dir/cluster-stats.json"
    echo "cluster statistics while holding (GET /api/stats on node1): $out_dir/cluster-stats.json"
    for k in $(seq 1 "$nodes"); do
      echo "  node$k: $(grep -o '"node":"node'"$k"'","self":[a-z]*,"updatedAtMillis":[0-9]*,"connections":[0-9]*' \
        "$out_dir/cluster-stats.json" | grep -o '"connections":[0-9]*$' || echo '?')"
    done
    echo "  total: $(grep -o '"total":{"connections":[0-9]*' "$out_dir/cluster-stats.json" || echo '?')"
    # What the shared registry costs Redis while they hold.
    if [[ -n "$redis_before" ]]; then
      redis-cli -p "$base" info memory >"$out_dir/redis-memory.txt" 2>&1 || true
      redis_after="$(redis_used)"
      echo "  redis used_memory: $redis_before -> $redis_after bytes" \
        "($(( (redis_after - redis_before) / (per * nodes) )) B per connection)," \
        "$(redis-cli -p "$base" dbsize 2>/dev/null | tr -d '\r') keys; INFO memory in $out_dir/redis-memory.txt"
    fi
    for k in $(seq 1 "$nodes"); do
      wait "${bench_pids[$((k - 1))]}" || status=$?
      echo "== node$k (bench exit status $status) ====================================="
      sed -n '/== connections summary/,$p' "$out_dir/bench-node$k.txt"
    done
    ;;
  direct|room)
    scenario="$mode"
    # shellcheck disable=SC2086
    timeout --signal=TERM "$limit" java $BENCH_JVM_OPTS -jar "$bench_jar" "$scenario" --target "$(list "${targets[@]}")" \
      "${cpu_args[@]}" "$@" &
    bench_pid=$!
    pids+=("$bench_pid")
    wait "$bench_pid" || status=$?
    stats "$out_dir/cluster-stats.json"
    ;;
  direct-local)
    doubled=()
    for t in "${targets[@]}"; do doubled+=("$t" "$t"); done
    # shellcheck disable=SC2086
    timeout --signal=TERM "$limit" java $BENCH_JVM_OPTS -jar "$bench_jar" direct --target "$(list "${doubled[@]}")" \
      "${cpu_args[@]}" "$@" &
    bench_pid=$!
    pids+=("$bench_pid")
    wait "$bench_pid" || status=$?
    stats "$out_dir/cluster-stats.json"
    ;;
esac
cpu_report "$mode"
if [[ "$shards" -gt 0 && -f "$out_dir/results.json" ]]; then
  # Every shard's CPU over the whole bench run (warm-up and drain included), per message the bench sent.
  hz="$(getconf CLK_TCK)"
  total=0
  for i in "${!redis_pids[@]}"; do
    total=$((total + $(cpu_ticks "${redis_pids[$i]}") - ${cpu_before[$i]}))
  done
  sent="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["counters"]["sent"])' \
    "$out_dir/results.json" 2>/dev/null || echo 0)"
  echo "Redis Cluster ($shards shards): $(awk -v t="$total" -v hz="$hz" 'BEGIN{printf "%.1f", t/hz}') s of CPU in all," \
    "$(awk -v t="$total" -v hz="$hz" -v n="${sent:-0}" 'BEGIN{if (n > 0) printf "%.1f", t/hz*1e6/n; else printf "?"}') us per message sent ($sent sent)"
fi
exit $status
