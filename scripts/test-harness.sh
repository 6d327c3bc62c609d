#!/usr/bin/env bash
# npm run test:harness: the specs that run on the test harness (the testing library's own, and every
# *.harness.spec.ts of the apps) with no broker and no database server to reach: AMQP_URL points at a closed port and
# DATABASE_URL, DATA_DIR and REDIS_URL are unset. They must pass all the same: the harness's promise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export AMQP_URL=amqp://127.0.0.1:1
unset DATABASE_URL DATA_DIR REDIS_URL
exec npm run jest -- --testPathPatterns '^libs/testing/src/.*\.spec\.ts$|\.harness\.spec\.ts$' "$@"
