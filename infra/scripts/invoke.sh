#!/usr/bin/env bash
# `make invoke FUNCTION=<handler> EVENT=<file>`: one function, one sample event, through
# the real bootstrap and a local Lambda Runtime API on an ephemeral port, with exactly
# the environment template.yaml gives that function, against the local stack that
# `make dev` runs (moto on MOTO_PORT, default 4566; stack STACK, default gatehouse-local).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
function="${1:-}"
event="${2:-}"
if [ -z "$function" ] || [ -z "$event" ]; then
  echo "usage: make invoke FUNCTION=authorizer EVENT=events/authorizer/deny-malformed-key.json" >&2
  exit 2
fi
moto_port="${MOTO_PORT:-4566}"
if ! curl -fsS "http://127.0.0.1:$moto_port/moto-api/" >/dev/null 2>&1; then
  echo "invoke: no local stack on 127.0.0.1:$moto_port; start it with 'make dev' (or set MOTO_PORT)" >&2
  exit 1
fi
cargo build --quiet -p gatehouse-functions -p gatehouse-devtools
# shellcheck source=local-aws-env.sh
. "$root/infra/scripts/local-aws-env.sh" "$moto_port"
bin="${CARGO_TARGET_DIR:-$root/target}/debug"
exec "$bin/gatehouse-admin" invoke --function "$function" --event "$event" \
  --stack "${STACK:-gatehouse-local}" --bin-dir "$bin"
