#!/usr/bin/env bash
# Runs a command with a moto server of its own: starts one on a free loopback port,
# points the AWS SDKs at it (local-aws-env.sh), runs the command, stops the server.
#   with-moto.sh <command> [args...]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scripts="$root/infra/scripts"
port="$("$scripts/free-port.sh")"
pidfile="$root/.local/moto-$port.pid"
trap '"$scripts/moto.sh" stop "$pidfile"' EXIT
"$scripts/moto.sh" start "$port" "$pidfile"
# shellcheck source=local-aws-env.sh
. "$scripts/local-aws-env.sh" "$port"
echo "(moto server on 127.0.0.1:$port)"
"$@"
