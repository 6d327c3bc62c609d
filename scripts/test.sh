#!/usr/bin/env bash
# npm test: on the project's Node (scripts/with-node.sh), installs the dependencies when needed, type-checks the
# workspace, checks its import graph (no cycles, each library within its weight), lints it (ESLint, type-aware rules)
# and checks its formatting (Prettier), makes sure a Chromium is there for the browser test, then runs Jest twice:
# everything but the fault specs, then the fault specs (they stop and start the broker, so they run alone), then the
# quick chaos suite (a cluster of its own on other ports; bounded, removed at the end).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/with-node.sh
echo "node $WITH_NODE"

bash scripts/install-dependencies.sh
npm run typecheck
npm run check:deps
npm run lint
npm run format:check
# The admin console's browser test (test/admin-console.e2e-spec.ts) runs in the system's Chromium: installed here where
# it is missing and we are root with apt-get; elsewhere this says what to do.
bash scripts/ensure-browser.sh
npm run jest
npm run jest -- --config jest.faults.config.js --passWithNoTests
npm run chaos -- --quick
