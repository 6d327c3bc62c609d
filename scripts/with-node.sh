#!/usr/bin/env bash
# Runs the project on Node >= 22.15 whatever the system has: the system's node when it is recent enough, else the
# Node 24 LTS pinned in tools/node (the npm registry's node-linux-<cpu> package, integrity-checked by tools/node's lock
# file; installed with `npm ci --prefix tools/node` on first use and whenever tools/node/package.json pins another version).
#
#   bash scripts/with-node.sh COMMAND [ARG...]   run COMMAND with that node first on PATH (npm scripts use this)
#   source scripts/with-node.sh                  in a bash script: the same for the rest of the script
#
# Everything started from there (npm, npx, tsc, Jest and its workers, spawned services) runs on that node; npm itself
# is the system's npm, run by that node. Exports WITH_NODE="v24.x.y (pinned, tools/node)" or "v... (system)".
# Nested calls (an npm script that runs another) find a recent node on PATH and only exec their command.

with_node_main() {
  local root tools want_major=22 want_minor=15 version major minor rest os cpu pkg wanted bin
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  tools="$root/tools/node"

  version=$(node --version 2>/dev/null || true)              # v20.20.2
  rest=${version#v}; major=${rest%%.*}; rest=${rest#*.}; minor=${rest%%.*}
  if [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] \
    && { [ "$major" -gt "$want_major" ] || { [ "$major" -eq "$want_major" ] && [ "$minor" -ge "$want_minor" ]; }; }; then
    case "$(command -v node)" in
      "$tools"/*) WITH_NODE="$version (pinned, tools/node)" ;;
      *) WITH_NODE="$version (system)" ;;
    esac
    export WITH_NODE
    return 0
  fi

  os=$(uname -s); cpu=$(uname -m)
  case "$cpu" in x86_64|amd64) cpu=x64 ;; aarch64|arm64) cpu=arm64 ;; esac
  pkg="node-linux-$cpu"
  wanted=$(sed -n "s/^ *\"$pkg\": *\"\\([0-9.]*\\)\".*/\\1/p" "$tools/package.json")
  if [ "$os" != Linux ] || [ -z "$wanted" ]; then
    echo "with-node: this project needs Node >= $want_major.$want_minor (found ${version:-no node})," \
      "and tools/node has no Node for $os/$cpu: install Node 24 (see .nvmrc)" >&2
    return 1
  fi
  bin="$tools/node_modules/$pkg/bin"
  if [ "$("$bin/node" --version 2>/dev/null)" != "v$wanted" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "with-node: need npm (with any node) to install the pinned Node $wanted into tools/node" >&2
      return 1
    fi
    # One install at a time (two npm scripts started together on a fresh clone); the second finds it done.
    (
      if command -v flock >/dev/null 2>&1; then flock 9; fi
      [ "$("$bin/node" --version 2>/dev/null)" = "v$wanted" ] && exit 0
      echo "with-node: installing the pinned Node $wanted into tools/node (system node is ${version:-missing})..." >&2
      npm ci --prefix "$tools" --ignore-scripts --no-audit --no-fund --silent >&2
    ) 9>"${TMPDIR:-/tmp}/with-node.$(id -u).lock" || {
      echo "with-node: npm ci --prefix tools/node failed" >&2
      return 1
    }
    if [ "$("$bin/node" --version 2>/dev/null)" != "v$wanted" ]; then
      # npm skips an optional package that fails (download, integrity) without an error: say so.
      echo "with-node: npm ci --prefix tools/node did not install $pkg@$wanted" \
        "(npm ci --prefix tools/node --loglevel=verbose says why)" >&2
      return 1
    fi
  fi
  PATH="$bin:$PATH"
  WITH_NODE="v$wanted (pinned, tools/node)"
  export PATH WITH_NODE
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: set PATH for the sourcing script.
  with_node_main || exit 1
  unset -f with_node_main
else
  set -euo pipefail
  with_node_main
  if [ $# -eq 0 ]; then
    echo "usage: bash scripts/with-node.sh COMMAND [ARG...]  (or: source scripts/with-node.sh)" >&2
    exit 2
  fi
  exec "$@"
fi
