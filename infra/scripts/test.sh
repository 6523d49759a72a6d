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
echo "== redocly lint shared/openapi.json"
.local/redocly/node_modules/.bin/redocly lint shared/openapi.json --format=summary
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== cargo test, then least privilege (what every function called, against its policy)"
# One moto server for both: the least-privilege check reads what the whole suite did.
# Then the schema fuzzer, bounded (seeded; about 15 s), on a gateway of its own.
"$scripts/with-moto.sh" bash -c 'cargo test --workspace --quiet &&
  cargo test --quiet -p gatehouse-integration-tests --test least_privilege -- --ignored &&
  echo "== schemathesis: no schema-valid request refused, no 5xx, responses as documented" &&
  infra/scripts/fuzz.sh'

echo "== all tests passed in $(( $(date +%s) - started )) s"
