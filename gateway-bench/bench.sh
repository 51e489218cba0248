#!/usr/bin/env bash
# Starts a gateway with the recommended JVM flags, runs one bench scenario against it, and stops it.
#
#   gateway-bench/bench.sh <scenario> [bench options...]
#   e.g. gateway-bench/bench.sh direct --connections 10000 --rate 50000 --out results/direct
#
# Build first: mvn -B -DskipTests package (from the repository root).
# The gateway is configured the way a user would configure it, through GATEWAY_* variables; any GATEWAY_* variable
# you set wins over the defaults below. Other knobs:
#   GATEWAY_JAR        the gateway to run (default: gateway-server/target/gateway-server.jar), e.g. to compare builds
#   GATEWAY_JVM_OPTS   JVM flags of the gateway (default: see below)
#   BENCH_JVM_OPTS     JVM flags of the bench (default: -Xms1g -Xmx1g)
#   BENCH_HTTP_PORT, BENCH_TCP_PORT   ports of the gateway (default 18080, 19090)
#   BENCH_JFR=FILE     record a JFR profile of the gateway into FILE while the scenario runs
#   BENCH_GATEWAY_LOG  where the gateway's log goes (default: gateway.log in the --out directory, else /tmp)
#   BENCH_GATEWAY_CPUS, BENCH_CPUS   taskset CPU lists for the gateway and the bench (e.g. 0 and 1), unset: not pinned
#   BENCH_ROUNDS=N     run the scenario N times against the one gateway (round K writes to --out DIR/round-K), so
#                      that the later rounds meet a JVM whose JIT has finished compiling the path under test; on one
#                      pinned core the first round's gateway CPU is mostly the JIT's (docs/benchmarks.md, "Warm")
# It sets GATEWAY_MAX_CONNECTIONS_PER_IP=0 and GATEWAY_CONNECT_RATE_PER_IP=0 (the bench connects from a few loopback
# addresses) unless they are set, and prints every GATEWAY_* setting in force (secrets masked). Settings pass
# through, e.g. GATEWAY_HISTORY_SIZE=0 GATEWAY_INBOX_SIZE=0 gateway-bench/bench.sh room ... for a run without history.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario="${1:-}"
if [[ -z "$scenario" || "$scenario" == -* ]]; then
  echo "usage: $0 <connections|direct|room|capacity|refusals> [bench options...]" >&2
  exit 2
fi
shift
require_jars

http_port="${BENCH_HTTP_PORT:-18080}"
tcp_port="${BENCH_TCP_PORT:-19090}"

# Recommended gateway flags: a fixed, pre-touched heap (so RSS does not grow with the heap and per-connection
# numbers are not blurred by heap resizing), G1, and NMT summary so the bench can read direct memory (jcmd).
: "${GATEWAY_JVM_OPTS:=-Xms2g -Xmx2g -XX:+AlwaysPreTouch -XX:+UseG1GC -XX:NativeMemoryTracking=summary}"
: "${BENCH_JVM_OPTS:=-Xms1g -Xmx1g}"

# The gateway as a user would run it for a load test on one machine.
export GATEWAY_BIND="${GATEWAY_BIND:-127.0.0.1}"
export GATEWAY_HTTP_PORT="$http_port" GATEWAY_TCP_PORT="$tcp_port"
# The bench opens thousands of connections from a few loopback addresses, which the per-address limits of a
# production-mode gateway (1000 connections, 50 connects/s per address) would refuse: off unless set.
export GATEWAY_MAX_CONNECTIONS_PER_IP="${GATEWAY_MAX_CONNECTIONS_PER_IP:-0}"
export GATEWAY_CONNECT_RATE_PER_IP="${GATEWAY_CONNECT_RATE_PER_IP:-0}"
if [[ "$scenario" == capacity ]]; then
  # The capacity scenario shares one user between 100 connections (see its --help).
  export GATEWAY_SESSIONS="${GATEWAY_SESSIONS:-multi}"
  export GATEWAY_MAX_SESSIONS_PER_USER="${GATEWAY_MAX_SESSIONS_PER_USER:-1000}"
fi

target="ws://127.0.0.1:$http_port/ws"
for arg in "$@"; do
  case "$arg" in
    --transport=tcp|tcp) target="tcp://127.0.0.1:$tcp_port" ;;
  esac
done

out_dir="$(option_value out "$@")"
log="${BENCH_GATEWAY_LOG:-${out_dir:+$out_dir/gateway.log}}"
log="${log:-/tmp/gateway-bench-gateway.$$.log}"
mkdir -p "$(dirname "$log")"

jfr_opts=()
if [[ -n "${BENCH_JFR:-}" ]]; then
  jfr_opts=("-XX:StartFlightRecording=filename=${BENCH_JFR},settings=profile,dumponexit=true")
fi

# shellcheck disable=SC2086
${BENCH_GATEWAY_CPUS:+taskset -c "$BENCH_GATEWAY_CPUS"} java $GATEWAY_JVM_OPTS "${jfr_opts[@]}" -jar "$server_jar" >"$log" 2>&1 &
gateway_pid=$!
trap 'stop_pid "$gateway_pid"' EXIT

wait_port "$http_port" "the gateway" "$gateway_pid" || { echo "its log ($log):" >&2; cat "$log" >&2; exit 3; }
echo "gateway pid $gateway_pid ($GATEWAY_JVM_OPTS), log $log"
echo "gateway settings: $(gateway_settings)"

rounds="${BENCH_ROUNDS:-1}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS: $rounds (expected: a whole number > 0)" >&2; exit 2; }
status=0
for ((round = 1; round <= rounds; round++)); do
  args=("$@")
  if ((rounds > 1)); then
    echo "== round $round of $rounds"
    if [[ -n "$out_dir" ]]; then
      # Each round its own --out directory (the last --out given wins in the bench's options).
      args+=(--out "$out_dir/round-$round")
    fi
  fi
  set +e
  # shellcheck disable=SC2086
  ${BENCH_CPUS:+taskset -c "$BENCH_CPUS"} java $BENCH_JVM_OPTS -jar "$bench_jar" "$scenario" --target "$target" --server-pid "$gateway_pid" "${args[@]}"
  code=$?
  set -e
  if ((code != 0)); then status=$code; fi
done
exit $status
