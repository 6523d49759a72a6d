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

echo "== cargo test"
"$scripts/with-moto.sh" cargo test --workspace --quiet
echo "== all tests passed in $(( $(date +%s) - started )) s"
