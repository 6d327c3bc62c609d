#!/usr/bin/env bash
# npm test: on the project's Node (scripts/with-node.sh), installs the dependencies when needed, type-checks the
# workspace, checks its import graph (no cycles, each library within its weight), lints it (ESLint, type-aware rules)
# and checks its formatting (Prettier), makes sure a Chromium is there for the browser test, runs the harness specs with
# no broker or database server reachable, then runs Jest twice: everything but the fault specs, then the fault specs
# (they stop and start brokers and databases, so they run alone), the quick chaos suite (a cluster of its own on other
# ports), and last the quick proof by sabotage (npm run prove -- --quick: a few guarantees broken on purpose, their
# tests must fail).
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
# The handler tests on the in-memory harness, with the broker and the database servers out of reach: they need neither.
npm run test:harness
# Everything else (the harness specs have just run).
npm run jest -- --testPathIgnorePatterns '/node_modules/' '/dist/' '/.data/' '/libs/testing/src/.*\.spec\.ts$' '\.harness\.spec\.ts$'
# The fault specs, each by name: a missing one fails the run (CI must not stay green because a spec vanished).
FAULT_SPECS=(
  libs/messaging/test/publish-outage.fault-spec.ts
  libs/persistence/test/outbox-outage.fault-spec.ts
  libs/persistence/test/redis-outage.fault-spec.ts
  test/database-outage.fault-spec.ts
  test/database-start.fault-spec.ts
)
for spec in "${FAULT_SPECS[@]}"; do
  [ -f "$spec" ] || { echo "test: the fault spec $spec is missing (scripts/test.sh lists the expected ones)" >&2; exit 1; }
done
found=$(find libs apps test -name '*.fault-spec.ts' -not -path '*/node_modules/*' | sort)
listed=$(printf '%s\n' "${FAULT_SPECS[@]}" | sort)
if [ "$found" != "$listed" ]; then
  echo "test: fault specs on disk and in scripts/test.sh differ; list each one in FAULT_SPECS:" >&2
  diff <(echo "$listed") <(echo "$found") >&2 || true
  exit 1
fi
npm run jest -- --config jest.faults.config.js --runTestsByPath "${FAULT_SPECS[@]}"
# The quick chaos suite: a cluster of its own on other ports (bounded, removed at the end).
npm run chaos -- --quick
npm run prove -- --quick
