#!/usr/bin/env bash
# `make build`: `sam build` of every function (release, arm64, via cargo-lambda and
# zig from the project venv), then the size of each bootstrap, raw and zipped.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
"$root/infra/scripts/ensure-tools.sh"
export PATH="$root/.venv/bin:$PATH" SAM_CLI_TELEMETRY=0
started=$(date +%s)
sam build --build-in-source --beta-features
echo "sam build took $(( $(date +%s) - started )) s"
printf '%-28s %12s %12s\n' function bootstrap zipped
for dir in .aws-sam/build/*/; do
  [ -f "$dir/bootstrap" ] || continue
  zipped=$(python3 -c 'import io,sys,zipfile
b=io.BytesIO(); z=zipfile.ZipFile(b,"w",zipfile.ZIP_DEFLATED); z.write(sys.argv[1],"bootstrap"); z.close(); print(len(b.getvalue()))' "$dir/bootstrap")
  printf '%-28s %12s %12s\n' "$(basename "$dir")" "$(stat -c %s "$dir/bootstrap")" "$zipped"
done
