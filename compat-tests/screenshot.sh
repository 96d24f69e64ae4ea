#!/usr/bin/env bash
# Screenshots the compatibility report with headless Chromium, to check what a reader sees.
# Not part of the Maven build: it needs Debian's chromium (apt-get install -y chromium).
#
#   compat-tests/screenshot.sh [report.html] [screenshot.png] [width,height]
#
# Defaults: compat-tests/target/compat-report/index.html -> .../screenshot.png, 1400x2600.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
page="$(realpath "${1:-$here/target/compat-report/index.html}")"
shot="${2:-$(dirname "$page")/screenshot.png}"
size="${3:-1400,2600}"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
  echo "chromium not found: apt-get install -y chromium" >&2
  exit 2
fi
[[ -f "$page" ]] || { echo "no report at $page: run ./main-job" >&2; exit 2; }
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --no-first-run --hide-scrollbars --user-data-dir="$profile" \
  --window-size="$size" --screenshot="$shot" "file://$page" 2>/dev/null
echo "$shot"
