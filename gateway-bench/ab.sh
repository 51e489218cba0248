#!/usr/bin/env bash
# Alternating A/B runs of one bench command under two gateway configurations, and a table of the figures that
# compare them: A, B, A, B, ... so that a drift of the machine (other jobs, heat, caches) falls on both sides.
#
#   gateway-bench/ab.sh [options] -- <scenario> [bench options...] --out DIR
#   (with --runner cluster-bench.sh, a cluster-bench.sh mode in place of the scenario)
#
# Options (before --):
#   --a 'VAR=value ...'   the environment of side A, e.g. '' (the defaults) or 'GATEWAY_HISTORY_SIZE=100'
#   --b 'VAR=value ...'   the environment of side B, e.g. 'GATEWAY_HISTORY_SIZE=0 GATEWAY_INBOX_SIZE=0'
#   --rounds N            pairs of runs (default 3)
#   --runner NAME         bench.sh (one gateway, default) or cluster-bench.sh (Redis and CLUSTER_NODES nodes)
#
# Each run writes DIR/a-1, DIR/b-1, DIR/a-2, ... (results.json, report.html, logs); the table at the end reads
# their results.json: the gateway's CPU per delivery (all nodes together in a cluster), the bench's, the deliveries
# per second that arrived in real time, Redis's CPU per message and per delivery (cluster runs), and whether every
# check passed. Its exit status is 0 when every run passed.
#
# e.g. history on vs off, one node:
#   gateway-bench/ab.sh --a '' --b 'GATEWAY_HISTORY_SIZE=0 GATEWAY_INBOX_SIZE=0' -- room --rooms 10 --members 1000 --rate 300 --duration 20s --out bench-results/history-ab
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
a_env=""
b_env=""
rounds=3
runner=bench.sh
while [[ $# -gt 0 ]]; do
  case "$1" in
    --a) a_env="$2"; shift 2 ;;
    --b) b_env="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --runner) runner="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 --a 'ENV' --b 'ENV' [--rounds N] [--runner bench.sh|cluster-bench.sh] -- <scenario> [options] --out DIR" >&2; exit 2 ;;
  esac
done
case "$runner" in
  bench.sh|cluster-bench.sh) ;;
  *) echo "--runner: $runner (expected: bench.sh or cluster-bench.sh)" >&2; exit 2 ;;
esac
[[ $# -gt 0 ]] || { echo "no bench command after --" >&2; exit 2; }

# shellcheck source=lib.sh
source "$here/lib.sh"
out="$(option_value out "$@")"
[[ -n "$out" ]] || { echo "the bench command needs --out DIR (each run writes DIR/a-1, DIR/b-1, ...)" >&2; exit 2; }
# The command without its --out, which each run gets its own of.
args=()
skip=""
for arg in "$@"; do
  if [[ -n "$skip" ]]; then skip=""; continue; fi
  case "$arg" in
    --out) skip=yes ;;
    --out=*) ;;
    *) args+=("$arg") ;;
  esac
done
mkdir -p "$out"

echo "A: ${a_env:-(defaults)}"
echo "B: ${b_env:-(defaults)}"
echo "runs: $rounds x (A, B) of $runner ${args[*]}"
status=0
for k in $(seq 1 "$rounds"); do
  for side in a b; do
    envs="$a_env"
    [[ "$side" == b ]] && envs="$b_env"
    dir="$out/$side-$k"
    echo "== $side-$k: ${envs:-(defaults)} ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
    # shellcheck disable=SC2086
    if ! env $envs "$here/$runner" "${args[@]}" --out "$dir" >"$out/$side-$k.txt" 2>&1; then
      status=1
    fi
    sed -n '/summary ====/,$p' "$out/$side-$k.txt" | grep -E 'throughput|latency|CPU|result:' || tail -5 "$out/$side-$k.txt"
  done
done

metric() { # file name -> value or -
  local v
  v="$(grep -o "\"$2\" : [-0-9.]*" "$1" 2>/dev/null | head -1 | sed 's/.* : //')"
  echo "${v:--}"
}
names=(gateway_cpu_us_per_delivery bench_cpu_us_per_delivery received_per_second_in_window broker_cpu_us_per_message broker_cpu_us_per_delivery)
echo
echo "run   | gateway us/delivery | bench us/delivery | deliveries/s in real time | redis us/message | redis us/delivery | passed"
for side in a b; do
  for k in $(seq 1 "$rounds"); do
    f="$out/$side-$k/results.json"
    row="$side-$k"
    for n in "${names[@]}"; do row+=" | $(metric "$f" "$n")"; done
    row+=" | $(grep -o '"passed" : [a-z]*' "$f" 2>/dev/null | head -1 | sed 's/.* : //')"
    echo "$row"
  done
  means="$side mean"
  for n in "${names[@]}"; do
    means+=" | $(for k in $(seq 1 "$rounds"); do metric "$out/$side-$k/results.json" "$n"; done \
      | awk '$1 != "-" {s += $1; c++} END {if (c) printf "%.2f", s / c; else printf "-"}')"
  done
  echo "$means |"
done
exit $status
