#!/usr/bin/env bash
# A single RabbitMQ node of its own, beside the machine's broker and never touching it, for the specs that stop and
# start their broker (the fault specs) when the machine's broker is shared: `npm run prove` runs those rows on one.
# Needs root (the node runs as the rabbitmq user) and the installed RabbitMQ (RABBIT_BIN, default /usr/lib/rabbitmq/bin).
#
#   bash scripts/prove/private-broker.sh start <name> <amqp-port> <dist-port>   starts it and waits until it runs
#   bash scripts/prove/private-broker.sh stop  <name>                           stops it and removes its folder
#   bash scripts/prove/private-broker.sh ctl   <name>                           prints the RABBITMQCTL command for it
#
# The node is rabbit-<name>@localhost, its folder ${CLUSTER_BASE:-/tmp}/rabbit-private-<name>. A spec runs on it with
# AMQP_PORT=<amqp-port> and RABBITMQCTL set to what `ctl` prints (test/support/test-broker.ts reads both).
set -Eeuo pipefail

RABBIT_BIN=${RABBIT_BIN:-/usr/lib/rabbitmq/bin}
RABBITMQ_HOME_DIR=/var/lib/rabbitmq

die() { echo "private-broker: $*" >&2; exit 2; }

command=${1:-}
name=${2:-}
[[ "$name" =~ ^[a-z0-9]+$ ]] || die "the name takes lower-case letters and digits, got '$name'"
node="rabbit-$name@localhost"
base=${CLUSTER_BASE:-/tmp}/rabbit-private-$name
ctl_words=(runuser -u rabbitmq -- env "HOME=$RABBITMQ_HOME_DIR" RABBITMQ_CONF_ENV_FILE=/dev/null "$RABBIT_BIN/rabbitmqctl" -n "$node")

stop_node() {
  local pid_file=$base/mnesia/$node.pid pid
  timeout 60 "${ctl_words[@]}" -q stop "$pid_file" >/dev/null 2>&1 || true
  # A node that would not stop: its own pid from its pid file, and only while that pid is still this node's VM.
  if [ -f "$pid_file" ]; then
    pid=$(cat "$pid_file" 2>/dev/null || true)
    if [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "RABBITMQ_NODENAME=$node"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$base"
}

case "$command" in
  ctl) echo "${ctl_words[*]}" ;;
  start)
    port=${3:-}; dist=${4:-}
    [[ "$port" =~ ^[0-9]+$ && "$dist" =~ ^[0-9]+$ ]] || die "start takes <name> <amqp-port> <dist-port>"
    case " $port $dist " in *" 5672 "*|*" 25672 "*|*" 4369 "*) die "ports 5672, 25672 and 4369 belong to the machine's broker" ;; esac
    [ "$(id -u)" = 0 ] || die "needs root: the node runs as the rabbitmq user"
    [ -x "$RABBIT_BIN/rabbitmq-server" ] || die "no RabbitMQ at $RABBIT_BIN (set RABBIT_BIN)"
    [ -e "$base" ] && die "$base exists: stop '$name' first"
    trap 'echo "private-broker: start failed; removing it" >&2; stop_node' ERR
    mkdir -p "$base/mnesia" "$base/log"
    printf 'listeners.tcp.local = 127.0.0.1:%s\nloopback_users.guest = true\ndisk_free_limit.absolute = 50MB\n' "$port" >"$base/rabbitmq.conf"
    echo "[]." >"$base/advanced.config"
    echo "[]." >"$base/enabled_plugins"
    chown -R rabbitmq:rabbitmq "$base"
    # The machine's rabbitmq-env.conf names the machine's node and its rabbitmq.conf pins 5672: neither is read here.
    (cd "$RABBITMQ_HOME_DIR" && runuser -u rabbitmq -- env -i PATH="$PATH" HOME="$RABBITMQ_HOME_DIR" LANG=C.UTF-8 \
      RABBITMQ_NODENAME="$node" RABBITMQ_DIST_PORT="$dist" \
      RABBITMQ_MNESIA_BASE="$base/mnesia" RABBITMQ_LOG_BASE="$base/log" \
      RABBITMQ_CONFIG_FILE="$base/rabbitmq.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$base/advanced.config" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins" RABBITMQ_PLUGINS_EXPAND_DIR="$base/plugins-expand" \
      RABBITMQ_CONF_ENV_FILE=/dev/null ERL_EPMD_ADDRESS=127.0.0.1 \
      ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}" \
      "$RABBIT_BIN/rabbitmq-server" -detached) >>"$base/log/launch.log" 2>&1
    if ! timeout 120 "${ctl_words[@]}" -q wait "$base/mnesia/$node.pid" --timeout 110 >/dev/null 2>&1; then
      tail -n 30 "$base/log/$node.log" >&2 2>/dev/null || true
      false
    fi
    trap - ERR
    echo "private-broker: $node running on 127.0.0.1:$port" ;;
  stop) stop_node; echo "private-broker: $node stopped and removed" ;;
  *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
