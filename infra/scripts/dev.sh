#!/usr/bin/env bash
# `make dev`: the whole of Gatehouse on this machine, no AWS account and no Docker.
# moto server on 127.0.0.1:4566, the template's resources, a bootstrap tenant with an
# admin key, and the local API gateway on 127.0.0.1:3000 (Ctrl-C stops everything).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
scripts="$root/infra/scripts"
moto_port="${MOTO_PORT:-4566}"
listen="${GATEWAY_LISTEN:-127.0.0.1:3000}"
stack="${STACK:-gatehouse-local}"

"$scripts/ensure-tools.sh"
echo "dev: building the local gateway and admin CLI"
cargo build --quiet -p gatehouse-devtools

pidfile="$root/.local/dev-moto.pid"
stop_moto=""
bao_pid=""
oidc_pid=""
rsyslog_pid=""
cleanup() {
  [ -n "$bao_pid" ] && kill "$bao_pid" 2>/dev/null || true
  [ -n "$rsyslog_pid" ] && kill "$rsyslog_pid" 2>/dev/null || true
  [ -n "$oidc_pid" ] && kill "$oidc_pid" 2>/dev/null || true
  [ -n "$stop_moto" ] && "$scripts/moto.sh" stop "$pidfile" || true
}
trap cleanup EXIT
if curl -fsS "http://127.0.0.1:$moto_port/moto-api/" >/dev/null 2>&1; then
  echo "dev: reusing the moto server already on 127.0.0.1:$moto_port"
else
  stop_moto=1
  "$scripts/moto.sh" start "$moto_port" "$pidfile"
  echo "dev: moto server on 127.0.0.1:$moto_port"
fi

# A local OpenBao (a Vault), for pointing the tenant's secrets at a Vault of its own.
bao_port="${BAO_PORT:-8200}"
bao_token="dev-root-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
"$root/.venv/bin/bao" server -dev -dev-listen-address="127.0.0.1:$bao_port" \
  -dev-root-token-id="$bao_token" -dev-no-store-token >"$root/.local/dev-openbao.log" 2>&1 &
bao_pid=$!
echo "dev: OpenBao (bao server -dev) on 127.0.0.1:$bao_port"

# A local OpenID Provider (npm oidc-provider), for SSO logins: its interaction logs in
# the account `login_hint` names, so a browser (or curl) needs no form.
oidc_port="${OIDC_PORT:-8300}"
oidc_secret="dev-client-secret-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
oidc_config="$(python3 - "$oidc_port" "$listen" "$oidc_secret" <<'PY'
import json, sys
port, listen, secret = sys.argv[1:]
print(json.dumps({
    "port": int(port), "issuer": f"http://127.0.0.1:{port}",
    "clients": [{"client_id": "gatehouse-dev", "client_secret": secret,
                 "redirect_uris": [f"http://{listen}/v2/sso/callback"],
                 "grant_types": ["authorization_code"], "response_types": ["code"],
                 "token_endpoint_auth_method": "client_secret_basic"}],
    "accounts": {"dev": {"email": "dev@example.com", "email_verified": True, "name": "Dev",
                         "groups": ["gatehouse-admins"]}},
    "claims": {"openid": ["sub"], "email": ["email", "email_verified"], "profile": ["name"],
               "groups": ["groups"]},
}))
PY
)"
OIDC_PROVIDER_DIR="$root/.local/oidc-provider" node "$root/tests/oidc/provider.mjs" "$oidc_config" \
  >"$root/.local/dev-oidc-provider.log" 2>&1 &
oidc_pid=$!
echo "dev: OpenID Provider (oidc-provider) on 127.0.0.1:$oidc_port"

# A local syslog receiver (Debian's rsyslog, not the system service), for SIEM
# forwarding: what it receives over TCP (octet counting) lands in a file, one line each.
siem_port="${SIEM_SYSLOG_PORT:-5514}"
siem_dir="$root/.local/dev-siem"
mkdir -p "$siem_dir"
cat >"$siem_dir/rsyslog.conf" <<CONF
global(workDirectory="$siem_dir" maxMessageSize="64k")
module(load="imtcp")
template(name="raw" type="string" string="%rawmsg%\n")
ruleset(name="siem") { action(type="omfile" file="$siem_dir/received.log" template="raw") }
input(type="imtcp" port="$siem_port" address="127.0.0.1" ruleset="siem")
CONF
/usr/sbin/rsyslogd -n -f "$siem_dir/rsyslog.conf" -i "$siem_dir/rsyslogd.pid" \
  >"$root/.local/dev-rsyslog.log" 2>&1 &
rsyslog_pid=$!
echo "dev: syslog receiver (rsyslog) on 127.0.0.1:$siem_port, writing $siem_dir/received.log"
# shellcheck source=local-aws-env.sh
. "$scripts/local-aws-env.sh" "$moto_port"

bin="${CARGO_TARGET_DIR:-$root/target}/debug"
# The functions' environment, exactly as the template gives it, for the admin CLI.
set -a
eval "$("$bin/gatehouse-admin" bootstrap --stack "$stack")"
set +a
tenant_json="$("$bin/gatehouse-admin" create-tenant --name "Local development" --principal user:dev@localhost --json)"
key="$(printf '%s' "$tenant_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')"
tenant="$(printf '%s' "$tenant_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tenant_id"])')"

cat <<MSG

  Gatehouse is running locally.
    tenant:     $tenant
    admin key:  $key   (shown once; only its argon2id verifier is stored)

  Create a key:
    curl -s -X POST http://$listen/v2/api-keys -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"name":"my first key","scopes":["keys:read"]}'
  List keys:
    curl -s http://$listen/v2/api-keys -H "Authorization: Bearer $key"
  Send key events to a webhook receiver of yours on 127.0.0.1:8900 (signed, Standard Webhooks):
    curl -s -X POST http://$listen/v2/webhooks -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"url":"http://127.0.0.1:8900/hooks","event_types":["*"]}'
  Store a secret (in Gatehouse's own store), and read it back:
    curl -s -X POST http://$listen/v2/secrets/data/app/db -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"data":{"password":"s3cret"}}'
    curl -s http://$listen/v2/secrets/data/app/db -H "Authorization: Bearer $key"
  Issue short-lived AWS credentials for the tenant (a lease; STS is moto here):
    curl -s -X POST http://$listen/v2/leases -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"role":"tenant-files","ttl_seconds":900}'
  Keep the tenant's secrets in the local OpenBao instead:
    curl -s -X POST http://$listen/v2/integrations/vault -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"address":"http://127.0.0.1:$bao_port","auth":{"method":"token","token":"$bao_token"}}'
  Log in with SSO through the local OpenID Provider: connect it, then open the answer's
  login_url with ?login_hint=dev in a browser (the callback answers with a session token,
  which works as a Bearer credential like a key):
    curl -s -X POST http://$listen/v2/integrations/sso -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"name":"Local IdP","preset":"custom","issuer":"http://127.0.0.1:$oidc_port","client_id":"gatehouse-dev","client_secret":"$oidc_secret","scopes":["email","profile","groups"],"domains":["example.com"],"rules":[{"claim":"groups","value":"gatehouse-admins","scopes":["keys:read"]}]}'
  Forward the tenant's security events as CEF to the local syslog receiver, then watch
  them arrive (this tenant is the platform operator's: add "all_tenants":true for every
  tenant's):
    curl -s -X POST http://$listen/v2/integrations/siem -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"name":"Local ArcSight","preset":"arcsight","transport":{"kind":"syslog","host":"127.0.0.1","port":$siem_port,"protocol":"tcp"}}'
    tail -f $siem_dir/received.log

  Metrics: every function writes CloudWatch Embedded Metric Format lines, as it would
  to CloudWatch Logs; here they go to $root/.local/metrics.jsonl, with every request
  the gateway served in $root/.local/requests.jsonl. The last minutes as tables
  (requests per route with p50/p99 and errors, metrics by dimension):
    make metrics            (or MINUTES=30 make metrics)

MSG
# Webhooks may reach these local receivers (plain HTTP); everything else must be public HTTPS.
webhook_hosts="${WEBHOOK_ALLOW_HOSTS:-127.0.0.1:8900,localhost:8900}"
"$bin/gatehouse-gateway" --stack "$stack" --listen "$listen" --metrics-dir "$root/.local" --param "WebhookAllowHosts=$webhook_hosts" \
  --param "IntegrationAllowHosts=127.0.0.1:$bao_port,127.0.0.1:$oidc_port,127.0.0.1:$siem_port" \
  --param "PlatformTenantId=$tenant" \
  --param "PublicBaseUrl=http://$listen"
