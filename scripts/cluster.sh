#!/usr/bin/env bash
# A local RabbitMQ cluster of three nodes for tests and the chaos suite, made from the installed RabbitMQ and run
# beside the machine's own broker (never touching it): loopback only, its own ports, data and logs under one folder,
# stopped and removed afterwards (also when the start fails). Needs root (the nodes run as the rabbitmq user).
#
#   bash scripts/cluster.sh start   [--name N] [--ports P1,P2,P3] [--dist-ports D1,D2,D3] [--plugins a,b]
#   bash scripts/cluster.sh status  [--name N]
#   bash scripts/cluster.sh stop    [--name N]            stops every node and removes the folder
#   bash scripts/cluster.sh stop-node  <i> [--name N]      stops node i (1..3), keeping its data
#   bash scripts/cluster.sh start-node <i> [--name N]      starts node i again, and waits until it runs
#   bash scripts/cluster.sh wait    [--name N]             waits until the cluster reports every node running
#
# Defaults: --name dev, AMQP ports 5681,5682,5683, distribution ports 25681,25682,25683, no plugins. Nodes are
# rabbit-<name>-<i>@localhost; the folder is ${CLUSTER_BASE:-/tmp}/rabbit-cluster-<name>. The machine's broker
# (rabbit@localhost on 5672) is checked at the end of start and stop: it must still be running.
set -Eeuo pipefail

RABBIT_BIN=${RABBIT_BIN:-/usr/lib/rabbitmq/bin}
RABBITMQ_HOME_DIR=/var/lib/rabbitmq
MACHINE_NODE=rabbit@localhost
TIMEOUT_BIN=$(command -v timeout || true)

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "cluster: $*" >&2; exit 2; }
to() { local secs=$1; shift; if [ -n "$TIMEOUT_BIN" ]; then "$TIMEOUT_BIN" "$secs" "$@"; else "$@"; fi; }

command=${1:-}; [ $# -gt 0 ] && shift
node_index=""
case "$command" in
  start-node|stop-node) node_index=${1:-}; [ $# -gt 0 ] && shift
    [[ "$node_index" =~ ^[1-3]$ ]] || die "$command needs a node number from 1 to 3" ;;
  start|stop|status|wait) ;;
  -h|--help|help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

name=dev; ports=5681,5682,5683; dist_ports=""; plugins=""
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name=${2:?}; shift ;;
    --ports) ports=${2:?}; shift ;;
    --dist-ports) dist_ports=${2:?}; shift ;;
    --plugins) plugins=${2:?}; shift ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[[ "$name" =~ ^[a-z0-9]+$ ]] || die "--name takes lower-case letters and digits, got '$name'"
[ "$(id -u)" = 0 ] || die "needs root: the nodes run as the rabbitmq user (runuser)"
[ -x "$RABBIT_BIN/rabbitmq-server" ] || die "no RabbitMQ at $RABBIT_BIN (set RABBIT_BIN)"

base=${CLUSTER_BASE:-/tmp}/rabbit-cluster-$name
node_name() { echo "rabbit-$name-$1@localhost"; }

# The CLI of one node, as the rabbitmq user (its Erlang cookie), bounded in time.
ctl() {
  local node=$1 secs=$2; shift 2
  to "$secs" runuser -u rabbitmq -- env HOME="$RABBITMQ_HOME_DIR" RABBITMQ_CONF_ENV_FILE=/dev/null \
    "$RABBIT_BIN/rabbitmqctl" -q -n "$node" "$@"
}

machine_broker_check() {
  if ctl "$MACHINE_NODE" 30 status >/dev/null 2>&1; then
    echo "cluster: the machine's broker ($MACHINE_NODE, 5672) is still running"
  else
    echo "cluster: WARNING: the machine's broker ($MACHINE_NODE) does not answer (it was not touched here)" >&2
  fi
}

# The ports and plugins written at start, read back by every later command.
load_state() {
  [ -f "$base/cluster.env" ] || die "no cluster '$name' (no $base/cluster.env); start it first"
  # shellcheck disable=SC1091
  source "$base/cluster.env"
}

launch_node() {
  local i=$1 port dist node dir
  port=$(echo "$CLUSTER_PORTS" | cut -d, -f"$i"); dist=$(echo "$CLUSTER_DIST_PORTS" | cut -d, -f"$i")
  node=$(node_name "$i"); dir=$base/node$i
  # The machine's rabbitmq-env.conf names the machine's node and its rabbitmq.conf pins 5672: neither is read here.
  (cd "$RABBITMQ_HOME_DIR" && runuser -u rabbitmq -- env -i PATH="$PATH" HOME="$RABBITMQ_HOME_DIR" LANG=C.UTF-8 \
    RABBITMQ_NODENAME="$node" \
    RABBITMQ_DIST_PORT="$dist" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_PLUGINS_EXPAND_DIR="$dir/plugins-expand" \
    RABBITMQ_CONF_ENV_FILE=/dev/null \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    "$RABBIT_BIN/rabbitmq-server" -detached) >>"$dir/log/launch.log" 2>&1
}

await_node() {
  local node; node=$(node_name "$1")
  # "wait" follows the node's pid file: it tolerates a node that has not registered yet, which await_startup does not.
  ctl "$node" 120 wait "$base/node$1/mnesia/$node.pid" --timeout 110 >/dev/null 2>&1 || {
    echo "cluster: $node did not start; its log:" >&2
    tail -n 30 "$base/node$1/log/$node.log" >&2 2>/dev/null || true
    return 1
  }
}

running_nodes() {
  # Any node that answers tells the cluster's view; one that is down says nothing.
  local i out
  for i in 1 2 3; do
    if out=$(ctl "$(node_name "$i")" 20 eval 'length(rabbit_nodes:all_running()).' 2>/dev/null); then echo "$out"; return; fi
  done
  echo 0
}

wait_for_cluster() {
  local deadline=$((SECONDS + ${1:-120})) n
  while [ $SECONDS -lt $deadline ]; do
    n=$(running_nodes)
    [ "$n" = 3 ] && return 0
    sleep 1
  done
  echo "cluster: $n of 3 nodes running after waiting" >&2
  return 1
}

stop_node() {
  local i=$1 node pid_file pid
  node=$(node_name "$i")
  pid_file=$base/node$i/mnesia/$node.pid
  ctl "$node" 60 stop "$pid_file" >/dev/null 2>&1 || true
  # A node that would not stop: its own pid (from its pid file), never a process found by name.
  if [ -f "$pid_file" ]; then
    pid=$(cat "$pid_file" 2>/dev/null || true)
    # Only if that pid is still this node's Erlang VM (a pid file can outlive its process, and pids are reused).
    if [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "RABBITMQ_NODENAME=$node"; then
      sleep 2
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
}

remove_all() {
  if [ -f "$base/cluster.env" ]; then
    # shellcheck disable=SC1091
    source "$base/cluster.env"
    local i
    for i in 1 2 3; do stop_node "$i" & done
    wait
  fi
  [ -n "${KEEP_FAILED:-}" ] || rm -rf "$base"
}

start_cluster() {
  [ -e "$base" ] && die "cluster '$name' exists ($base): stop it first"
  if [ -z "$dist_ports" ]; then
    dist_ports=$(echo "$ports" | tr ',' '\n' | awk '{ printf "%s%d", (NR > 1 ? "," : ""), $1 + 20000 }')
  fi
  local all; all="$ports,$dist_ports"
  [[ "$ports" =~ ^[0-9]+,[0-9]+,[0-9]+$ ]] || die "--ports takes three ports, e.g. 5681,5682,5683"
  [[ "$dist_ports" =~ ^[0-9]+,[0-9]+,[0-9]+$ ]] || die "--dist-ports takes three ports"
  case ",$all," in *,5672,*|*,25672,*|*,4369,*) die "ports 5672, 25672 and 4369 belong to the machine's broker" ;; esac
  local p
  for p in ${all//,/ }; do
    [ "$p" -ge 1024 ] && [ "$p" -le 65535 ] || die "port $p is out of range (1024-65535; distribution ports default to the AMQP port + 20000)"
  done
  for p in ${all//,/ }; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is in use"; fi
  done

  trap 'echo "cluster: start failed; removing what was started" >&2; remove_all; machine_broker_check' ERR
  mkdir -p "$base"
  local plugin_list="[]"
  [ -n "$plugins" ] && plugin_list="[${plugins}]"
  cat >"$base/cluster.env" <<EOF
CLUSTER_PORTS=$ports
CLUSTER_DIST_PORTS=$dist_ports
EOF
  CLUSTER_PORTS=$ports; CLUSTER_DIST_PORTS=$dist_ports
  local i port
  for i in 1 2 3; do
    port=$(echo "$ports" | cut -d, -f"$i")
    mkdir -p "$base/node$i/mnesia" "$base/node$i/log"
    cat >"$base/node$i/rabbitmq.conf" <<EOF
listeners.tcp.local = 127.0.0.1:$port
loopback_users.guest = true
disk_free_limit.absolute = 50MB
EOF
    echo "[]." >"$base/node$i/advanced.config"
    echo "$plugin_list." >"$base/node$i/enabled_plugins"
  done
  chown -R rabbitmq:rabbitmq "$base"
  for i in 1 2 3; do launch_node "$i"; done
  for i in 1 2 3; do await_node "$i" & done
  local failed=0 job
  for job in $(jobs -p); do wait "$job" || failed=1; done
  [ $failed = 0 ] || false
  local first; first=$(node_name 1)
  for i in 2 3; do
    ctl "$(node_name "$i")" 60 stop_app >/dev/null
    ctl "$(node_name "$i")" 60 join_cluster "$first" >/dev/null
    ctl "$(node_name "$i")" 120 start_app >/dev/null
  done
  wait_for_cluster 120
  trap - ERR
  echo "cluster '$name': 3 nodes running on 127.0.0.1:${ports//,/, 127.0.0.1:} ($(node_name 1), ...)"
  machine_broker_check
}

case "$command" in
  start) start_cluster ;;
  stop)
    if [ -e "$base" ]; then remove_all; echo "cluster '$name': stopped and removed"; else echo "cluster '$name': not there"; fi
    machine_broker_check ;;
  status)
    load_state
    for i in 1 2 3; do
      if ctl "$(node_name "$i")" 20 status >/dev/null 2>&1; then state=running; else state=down; fi
      echo "$(node_name "$i") 127.0.0.1:$(echo "$CLUSTER_PORTS" | cut -d, -f"$i") $state"
    done
    echo "running nodes (as the cluster sees them): $(running_nodes)" ;;
  stop-node) load_state; stop_node "$node_index"; echo "$(node_name "$node_index") stopped" ;;
  start-node)
    load_state
    launch_node "$node_index"
    await_node "$node_index"
    echo "$(node_name "$node_index") running" ;;
  wait) load_state; wait_for_cluster 180; echo "cluster '$name': 3 nodes running" ;;
esac
