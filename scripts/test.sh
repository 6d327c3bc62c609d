#!/usr/bin/env bash
# npm test: on the project's Node (scripts/with-node.sh), installs the dependencies when needed, type-checks the
# workspace, checks its import graph (no cycles, each library within its weight), lints it (ESLint, type-aware rules)
# and checks its formatting (Prettier), then runs Jest twice: everything but the fault specs, then the fault specs
# (they stop and start the broker, so they run alone).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/with-node.sh
echo "node $WITH_NODE"

bash scripts/install-dependencies.sh
npm run typecheck
npm run check:deps
npm run lint
npm run format:check
npm run jest
npm run jest -- --config jest.faults.config.js --passWithNoTests
