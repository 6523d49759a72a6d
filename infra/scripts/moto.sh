#!/usr/bin/env bash
# Starts or stops a moto server (real DynamoDB, SQS, KMS, Secrets Manager wire
# protocols) on loopback.
#   moto.sh start <port> <pidfile>   waits until it answers
#   moto.sh stop <pidfile>
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
case "${1:-}" in
  start)
    port="$2"; pidfile="$3"
    mkdir -p "$(dirname "$pidfile")"
    # moto_server.py: moto with DynamoDB writes applied atomically, as DynamoDB does.
    MOTO_PORT="$port" "$root/.venv/bin/python" "$root/infra/scripts/moto_server.py" -H 127.0.0.1 -p "$port" \
      > "${pidfile%.pid}.log" 2>&1 &
    echo $! > "$pidfile"
    for _ in $(seq 1 100); do
      if curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then exit 0; fi
      if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "moto server failed to start; see ${pidfile%.pid}.log" >&2; exit 1
      fi
      sleep 0.1
    done
    echo "moto server did not answer on port $port" >&2; exit 1
    ;;
  stop)
    pidfile="$2"
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
    ;;
  *) echo "usage: moto.sh start <port> <pidfile> | stop <pidfile>" >&2; exit 2 ;;
esac
