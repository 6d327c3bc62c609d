# syntax=docker/dockerfile:1
# One image definition for every app under apps/. Pick the app with the APP build arg:
#   docker build -t orders .                                  (default APP=orders)
#   docker build -t notifications --build-arg APP=notifications .
# docker-compose.yml does this for you. A new app (npm run new:service) needs no change here.

############################ build ############################
FROM node:24-slim AS build
WORKDIR /app

# Dependencies first so this layer is cached until the lockfile changes.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

########################### runtime ###########################
FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Code stays root-owned (read-only for the app); only .data is writable by the app user.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Migrations are applied at start (DatabaseModule); the code finds them from the folder holding package.json.
# Those of every library and every app in one instruction: --parents (stable since Dockerfile syntax 1.20, which the
# syntax line above fetches) keeps each matched path below the "/./" (apps/<app>/migrations/...).
COPY --from=build --parents /app/./libs/*/migrations /app/./apps/*/migrations ./
RUN mkdir -p .data && chown node:node .data

# Declared after the COPYs so that every app shares every layer above.
ARG APP=orders
ENV APP=${APP}
# Fail the build early if the entry point is not where we expect it, then give it a fixed
# path (a symlink; node resolves it, so __dirname and relative imports stay under dist/apps/$APP/src).
RUN test -f "dist/apps/${APP}/src/main.js" \
      || { echo "dist/apps/${APP}/src/main.js not found: check the output of 'npm run build'" >&2; exit 1; } \
 && ln -s "apps/${APP}/src/main.js" dist/main.js

USER node

# Why exec form and no shell: `CMD ["sh","-c","node ..."]` leaves sh as PID 1, and sh does not
# forward SIGTERM, so the app would never drain and Docker would SIGKILL it after
# stop_grace_period. With exec form node itself is PID 1 and gets SIGTERM directly.
# Caveat of being PID 1: the kernel applies no default action to SIGTERM, so the app must
# handle it (Nest: app.enableShutdownHooks()), which it needs anyway to close AMQP channels,
# stop consumers and finish in-flight messages. (`docker run --init` / compose `init: true`
# would put tini in front instead; it forwards SIGTERM to node as well.)
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
