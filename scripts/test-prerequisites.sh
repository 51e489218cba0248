#!/usr/bin/env bash
# Installs from Debian's packages what the test suite (`mvn -B verify`) needs beyond Java and Maven and the
# machine lacks: redis-server for the cluster tests, Chromium and its driver for the browser tests,
# docker-compose and haproxy for the deployment-file tests. The tests start their own servers (Redis, ...) on
# free ports and stop them by pid; a service a package would start on install is kept from starting.
set -euo pipefail
cd "$(dirname "$0")/.."

# package:command-it-provides
required=(
  redis-server:redis-server
  chromium:chromium
  chromium-driver:chromedriver
  docker-compose:docker-compose
  haproxy:haproxy
)
missing=()
for entry in "${required[@]}"; do
  command -v "${entry#*:}" >/dev/null 2>&1 || missing+=("${entry%%:*}")
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
