# Shared by bench.sh and cluster-bench.sh (sourced, not run): the jars, options they read, processes they start.

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
server_jar="${GATEWAY_JAR:-$root/gateway-server/target/gateway-server.jar}"
bench_jar="$root/gateway-bench/target/gateway-bench.jar"

require_jars() {
  local jar
  for jar in "$server_jar" "$bench_jar"; do
    [[ -f "$jar" ]] || { echo "$jar is missing: run 'mvn -B -DskipTests package' in $root first" >&2; exit 2; }
  done
}

# option_value NAME ARGS...: the value of --NAME VALUE or --NAME=VALUE among the bench options, else empty.
option_value() {
  local name="$1" prev="" arg value=""
  shift
  for arg in "$@"; do
    [[ "$prev" == "--$name" ]] && value="$arg"
    [[ "$arg" == --$name=* ]] && value="${arg#--"$name"=}"
    prev="$arg"
  done
  echo "$value"
}

# stop_pid PID: SIGTERM (a gateway's graceful shutdown), SIGKILL after 15 s.
stop_pid() {
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 150); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}

# wait_port PORT WHAT PID: until something listens on 127.0.0.1:PORT; fails if PID exits first or after 30 s.
wait_port() {
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    kill -0 "$3" 2>/dev/null || { echo "$2 exited before listening on port $1" >&2; return 1; }
    sleep 0.1
  done
  echo "$2 did not listen on port $1 within 30 s" >&2
  return 1
}

# gateway_settings: every GATEWAY_* variable in this environment, on one line, with secrets masked.
gateway_settings() {
  env | grep '^GATEWAY_' | grep -v '^GATEWAY_JVM_OPTS=' | sort | sed -E 's/^(GATEWAY_[A-Z_]*(SECRET|TOKEN)[A-Z_]*)=.*/\1=(set)/' | tr '\n' ' '
}
