#!/usr/bin/env bash
# Installs what the local stack, the tests and the builds need into the project's .venv
# (moto server, cfn-lint, cargo-lambda, SAM CLI), from the pinned infra/requirements.txt.
# Re-running is cheap: nothing is installed unless the pins changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv"
req="$root/infra/requirements.txt"
stamp="$venv/.requirements.sha256"

if ! command -v python3 >/dev/null; then
  echo "ensure-tools: python3 is required" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "ensure-tools: creating $venv"
  python3 -m venv "$venv"
fi
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "ensure-tools: installing pinned tools from infra/requirements.txt"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi
