#!/usr/bin/env bash
# `make bench`: builds the benchmarks in release, starts a moto server on a free port
# for the ones that need storage, runs them (each prints its figures) and stops it.
# Copy the output into bench/RESULTS.md with the date, the machine and this command.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
scripts="$root/infra/scripts"
"$scripts/ensure-tools.sh"
cargo build --release --quiet -p gatehouse-bench -p gatehouse-functions
bin="${CARGO_TARGET_DIR:-target}/release"

echo "== key verification (one core)"
"$bin/key-verification"

echo "== authorizer validation (one core; storage is moto on loopback)"
if command -v taskset >/dev/null; then pin=(taskset -c 0); else pin=(); fi
"$scripts/with-moto.sh" "${pin[@]}" "$bin/authorizer-validation"

echo "== quota accuracy (20 concurrent clients; storage is moto on loopback)"
"$scripts/with-moto.sh" "$bin/quota-accuracy"

echo "== end to end through the local gateway (50 connections; storage is moto on loopback)"
"$scripts/with-moto.sh" "$bin/gateway-load"

echo "== management routes through the local gateway: p50, p99 and AWS calls per request (moto on loopback)"
"$scripts/with-moto.sh" "$bin/route-costs"

echo "== release bootstraps: size, and cold start of the authorizer and of every function with a sample event, through a local Lambda Runtime API"
python3 - "$bin/gatehouse" "$bin/gatehouse-sso" <<'PY'
import io, os, sys, zipfile
for path in sys.argv[1:]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, "bootstrap")
    print(f"{os.path.basename(path)}: {os.path.getsize(path):,} bytes, zipped {len(buf.getvalue()):,} bytes")
PY
"$scripts/with-moto.sh" "$bin/cold-start" "$bin"

echo "== webhook delivery: one dispatcher to a local receiver (storage and queues are moto on loopback)"
"$scripts/with-moto.sh" "$bin/webhook-delivery"

echo "== SIEM forwarding: encoding per format (one core), one forwarder to rsyslog over TLS, commit to receipt (moto and rsyslog on loopback)"
"$scripts/with-moto.sh" "$bin/siem-forwarding"

echo "== tenant secret reads on both backends (moto and OpenBao on loopback)"
"$scripts/with-moto.sh" "$bin/secret-reads"

echo "== AWS leases: issue, renew, revoke (STS, IAM and DynamoDB are moto on loopback)"
"$scripts/with-moto.sh" "$bin/lease-ops"

echo "== SSO sessions: a login's session opened, and refreshed (DynamoDB and KMS are moto on loopback)"
"$scripts/with-moto.sh" "$bin/sso-sessions"

echo "== SAML: a response's validation, and logins through the ACS (DynamoDB and KMS are moto on loopback; responses signed by xmlsec1)"
"$scripts/with-moto.sh" "$bin/saml-acs"
