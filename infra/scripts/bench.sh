#!/usr/bin/env bash
# `make bench`: builds the benchmarks in release and runs them; each prints its figures.
# Copy the output into bench/RESULTS.md with the date, the machine and this command.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cargo build --release --quiet -p gatehouse-bench
echo "== key verification (one core)"
"${CARGO_TARGET_DIR:-target}/release/key-verification"
