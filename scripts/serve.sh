#!/usr/bin/env bash
# Sets up whatever is missing, then serves the playground at http://127.0.0.1:8080/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
echo "orderflow: serving the playground at http://127.0.0.1:8080/ (Ctrl-C to stop)"
exec trunk serve --address 127.0.0.1 --port 8080 "$@"
