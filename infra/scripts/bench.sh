#!/usr/bin/env bash
# `make bench`: builds the benchmarks in release, starts a moto server on a free port
# for the ones that need storage, runs them (each prints its figures) and stops it.
# Copy the output into bench/RESULTS.md with the date, the machine and this command.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
scripts="$root/infra/scripts"
"$scripts/ensure-tools.sh"
cargo build --release --quiet -p gatehouse-bench
bin="${CARGO_TARGET_DIR:-target}/release"

echo "== key verification (one core)"
"$bin/key-verification"

port="$("$scripts/free-port.sh")"
pidfile="$root/.local/bench-moto-$port.pid"
trap '"$scripts/moto.sh" stop "$pidfile"' EXIT
"$scripts/moto.sh" start "$port" "$pidfile"
# shellcheck source=local-aws-env.sh
. "$scripts/local-aws-env.sh" "$port"
echo "== authorizer validation (one core; storage is moto on loopback)"
taskset -c 0 "$bin/authorizer-validation" 2>/dev/null || "$bin/authorizer-validation"
