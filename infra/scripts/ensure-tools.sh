#!/usr/bin/env bash
# Installs what the local stack, the tests and the builds need, from pinned lists:
#   .venv        moto server, cfn-lint, cargo-lambda, SAM CLI (infra/requirements.txt)
#   .venv-fuzz   schemathesis, the schema fuzzer (infra/requirements-fuzz.txt)
#   .local/redocly  the Redocly CLI, the OpenAPI linter (npm, pinned below)
#   .local/oidc-provider  npm oidc-provider, the OpenID Provider of the SSO tests
#   postgresql   Debian's PostgreSQL server and psql, for the lease tests (apt, if missing)
#   dnsmasq      Debian's dnsmasq-base, the DNS server of the domain verification tests (apt, if missing)
#   slapd        Debian's slapd and ldap-utils, the directory of the LDAP login tests (apt, if missing)
#   xmlsec1      Debian's xmlsec1, the signer of the SAML tests' responses (apt, if missing)
#   rsyslog      Debian's rsyslog and rsyslog-openssl, the SIEM tests' syslog receiver
#                (TCP, TLS, UDP; apt, if missing)
# Re-running is cheap: nothing is installed unless the pins changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
redocly_version="2.77.0"
# The OpenID Provider of the SSO tests (9.x runs on Node 20, with a warning).
oidc_provider_version="9.13.3"

if ! command -v python3 >/dev/null; then
  echo "ensure-tools: python3 is required" >&2
  exit 1
fi

# venv_from <venv dir> <requirements file>
venv_from() {
  local venv="$1" req="$2" stamp="$1/.requirements.sha256" want
  if [ ! -x "$venv/bin/python" ]; then
    echo "ensure-tools: creating $venv"
    python3 -m venv "$venv"
  fi
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "ensure-tools: installing pinned tools from ${req#"$root/"}"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
  fi
}
venv_from "$root/.venv" "$root/infra/requirements.txt"
venv_from "$root/.venv-fuzz" "$root/infra/requirements-fuzz.txt"

redocly="$root/.local/redocly"
if [ "$(cat "$redocly/.version" 2>/dev/null)" != "$redocly_version" ]; then
  if ! command -v npm >/dev/null; then
    echo "ensure-tools: npm is required (for the Redocly CLI)" >&2
    exit 1
  fi
  echo "ensure-tools: installing @redocly/cli@$redocly_version"
  mkdir -p "$redocly"
  npm install --silent --no-audit --no-fund --prefix "$redocly" "@redocly/cli@$redocly_version"
  echo "$redocly_version" > "$redocly/.version"
fi

oidc="$root/.local/oidc-provider"
if [ "$(cat "$oidc/.version" 2>/dev/null)" != "$oidc_provider_version" ]; then
  echo "ensure-tools: installing oidc-provider@$oidc_provider_version"
  mkdir -p "$oidc"
  npm install --silent --no-audit --no-fund --prefix "$oidc" "oidc-provider@$oidc_provider_version"
  echo "$oidc_provider_version" > "$oidc/.version"
fi

# The lease tests run OpenBao's database engine against a real PostgreSQL.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null; then
  echo "ensure-tools: installing PostgreSQL (Debian's postgresql package)"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi

# The SSO domain verification tests publish their TXT records with a real DNS server.
if ! command -v dnsmasq >/dev/null && [ ! -x /usr/sbin/dnsmasq ]; then
  echo "ensure-tools: installing dnsmasq (Debian's dnsmasq-base package)"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dnsmasq-base >/dev/null
fi

# The LDAP login tests run their own slapd (TLS, memberof) from a generated config.
if [ ! -x /usr/sbin/slapd ] || ! command -v ldapadd >/dev/null; then
  echo "ensure-tools: installing slapd and ldap-utils (Debian)"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq slapd ldap-utils >/dev/null
fi

# The SAML tests sign their IdP's responses (and the attack fixtures) with xmlsec1.
if ! command -v xmlsec1 >/dev/null; then
  echo "ensure-tools: installing xmlsec1 (Debian)"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq xmlsec1 >/dev/null
fi

# The SIEM tests send syslog (TCP, TLS, UDP) to their own rsyslogd; the service is
# not started.
if ! dpkg -s rsyslog rsyslog-openssl >/dev/null 2>&1; then
  echo "ensure-tools: installing rsyslog and rsyslog-openssl (Debian)"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq rsyslog rsyslog-openssl >/dev/null
fi
