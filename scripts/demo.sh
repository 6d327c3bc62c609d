#!/usr/bin/env bash
# npm run demo: everything a fresh clone needs, then the demo. RabbitMQ is required; PostgreSQL only with DATABASE_URL.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/with-node.sh   # the system's node when >= 22.15, else the Node 24 pinned in tools/node
echo "node $WITH_NODE"

# DATABASE_URL from the environment, else from the .env file (or ENV_FILE) that the demo reads too.
database_url=${DATABASE_URL:-$(node -e 'try { const f = process.env.ENV_FILE || ".env"; process.stdout.write(require("node:util").parseEnv(require("node:fs").readFileSync(f, "utf8")).DATABASE_URL || "") } catch {}')}
if [ -n "$database_url" ]; then
  bash scripts/ensure-services.sh --rabbitmq --postgres
else
  bash scripts/ensure-services.sh --rabbitmq
fi

bash scripts/install-dependencies.sh

# Build when there is no build yet, or when a source file is newer than it.
if [ ! -f dist/src/main.js ] || [ -n "$(find apps libs src -name '*.ts' -newer dist/src/main.js -print -quit)" ]; then
  echo "Building..."
  npm run build --silent
fi

exec node dist/src/main.js demo "$@"
