#!/usr/bin/env bash
# Installs from Debian's packages what the test suite (`mvn -B verify`) needs beyond Java and Maven and the
# machine lacks: redis-server and redis-sentinel for the cluster tests (redis-sentinel for the failover test),
# Chromium and its driver for the browser tests, docker-compose, haproxy, nginx (with its stream module),
# systemd-analyze and openssl (test certificates) for the deployment-file tests. The tests start their own servers (Redis, nginx, ...) on free ports and stop them by pid;
# a service a package would start on install (Redis, Sentinel, nginx) is kept from starting.
set -euo pipefail
cd "$(dirname "$0")/.."

# package:command-it-provides, or package:/path/of/a/file-it-provides (for packages without a command)
required=(
  redis-server:redis-server
  redis-sentinel:redis-sentinel
  chromium:chromium
  chromium-driver:chromedriver
  docker-compose:docker-compose
  haproxy:haproxy
  nginx:nginx
  libnginx-mod-stream:/usr/lib/nginx/modules/ngx_stream_module.so
  systemd:systemd-analyze
  openssl:openssl
)
missing=()
for entry in "${required[@]}"; do
  provides="${entry#*:}"
  if [[ "$provides" == /* ]]; then
    [ -e "$provides" ] || missing+=("${entry%%:*}")
  else
    command -v "$provides" >/dev/null 2>&1 || missing+=("${entry%%:*}")
  fi
done

if ((${#missing[@]})); then
  echo "Installing test prerequisites: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # Keep package scripts from starting system services (e.g. a Redis on the default port).
  policy=/usr/sbin/policy-rc.d
  placed_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    placed_policy=1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  [ -z "$placed_policy" ] || $sudo rm -f "$policy"
fi

# clients/js runs its tests with Node.js's own runner (node --test) and installs its one dev dependency with npm
# ci; Debian's nodejs is older than the Node 20 it needs, so it is checked here rather than installed.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ] || ! command -v npm >/dev/null 2>&1; then
  echo "clients/js needs Node.js 20 or later with npm on the PATH (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
