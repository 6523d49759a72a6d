#!/usr/bin/env bash
# `make test`: installs what is missing, lints, starts moto server on a free port, runs
# every unit and integration test against it, and stops what it started.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
scripts="$root/infra/scripts"
started=$(date +%s)

"$scripts/ensure-tools.sh"

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cfn-lint template.yaml"
.venv/bin/cfn-lint template.yaml
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

port="$("$scripts/free-port.sh")"
pidfile="$root/.local/test-moto-$port.pid"
trap '"$scripts/moto.sh" stop "$pidfile"' EXIT
"$scripts/moto.sh" start "$port" "$pidfile"
# shellcheck source=local-aws-env.sh
. "$scripts/local-aws-env.sh" "$port"
echo "== cargo test (moto server on 127.0.0.1:$port)"
export GATEHOUSE_TEMPLATE="$root/template.yaml"
cargo test --workspace --quiet
echo "== all tests passed in $(( $(date +%s) - started )) s"
