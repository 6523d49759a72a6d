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

echo "== authorizer validation (one core; storage is moto on loopback)"
if command -v taskset >/dev/null; then pin=(taskset -c 0); else pin=(); fi
"$scripts/with-moto.sh" "${pin[@]}" "$bin/authorizer-validation"
