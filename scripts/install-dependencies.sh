#!/usr/bin/env bash
# npm ci when node_modules is missing or older than package-lock.json (a fresh clone, a pull that changed the lock).
# Run it on the project's Node (npm test and npm run demo source scripts/with-node.sh first), so that npm checks the
# engines against that Node.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)..."
  npm ci --no-audit --no-fund
fi
