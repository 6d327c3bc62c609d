#!/usr/bin/env bash
# Make sure the backing services answer before tests run; start local ones that are down.
#   bash scripts/ensure-services.sh [--rabbitmq] [--postgres] [--redis]
#                                   [--optional-postgres] [--optional-redis]
# No service flag = all three. --optional-X: try to start X, but only warn if it stays down.
# Env: AMQP_HOST/AMQP_PORT, PGHOST/PGPORT, REDIS_HOST/REDIS_PORT (default 127.0.0.1 + standard port).
# A non-local host (not 127.0.0.1/localhost/::1) is only checked, never started.
set -euo pipefail

AMQP_HOST=${AMQP_HOST:-127.0.0.1}; AMQP_PORT=${AMQP_PORT:-5672}
PGHOST=${PGHOST:-127.0.0.1};       PGPORT=${PGPORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}; REDIS_PORT=${REDIS_PORT:-6379}
LOG=${TMPDIR:-/tmp}/ensure-services.log
DOCKER_HINT="or, with Docker: docker compose up -d rabbitmq postgres redis"

want=() ; optional=" " ; explicit=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rabbitmq|--postgres|--redis) want+=("${1#--}"); explicit=yes ;;
    --optional-postgres|--optional-redis) want+=("${1#--optional-}"); optional+="${1#--optional-} " ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "ensure-services: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
# No --rabbitmq/--postgres/--redis flag => all three (--optional-* only changes how failure counts).
[ -n "$explicit" ] || want=(rabbitmq postgres redis)

have() { command -v "$1" >/dev/null 2>&1; }
TIMEOUT_BIN=$(command -v timeout || command -v gtimeout || true)
to() { local secs=$1; shift; if [ -n "$TIMEOUT_BIN" ]; then "$TIMEOUT_BIN" "$secs" "$@"; else "$@"; fi; }
is_local() { case "$1" in 127.0.0.1|localhost|::1|/*) return 0 ;; *) return 1 ;; esac; }
tcp_open() { to 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# Real AMQP 0-9-1 handshake: send the protocol header, expect a Connection.Start frame
# (frame type 01 on channel 00 00). A bare open port is not enough while the broker boots.
amqp_ok() {
  local reply
  reply=$(to 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "AMQP\000\000\011\001" >&3 && head -c 3 <&3' \
    "$1" "$2" 2>/dev/null | od -An -tx1 | tr -d ' \n') || return 1
  [ "$reply" = 010000 ]
}

check_rabbitmq() {
  amqp_ok "$AMQP_HOST" "$AMQP_PORT" || return 1
  is_local "$AMQP_HOST" || return 0            # the CLI tools only talk to the local node
  if have rabbitmq-diagnostics; then to 20 rabbitmq-diagnostics -q check_running >/dev/null 2>&1
  elif have rabbitmqctl; then to 20 rabbitmqctl -q status >/dev/null 2>&1
  fi
}
check_postgres() {
  if have pg_isready; then to 5 pg_isready -q -h "$PGHOST" -p "$PGPORT"
  else tcp_open "$PGHOST" "$PGPORT"; fi
}
check_redis() {
  if have redis-cli; then [ "$(to 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
  else tcp_open "$REDIS_HOST" "$REDIS_PORT"; fi
}

pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }
# Prints the start command for this machine, or nothing if it cannot be started here.
# RabbitMQ and PostgreSQL are only started on their standard port (their commands start the default node).
start_cmd() {
  case "$1" in
    rabbitmq) [ "$AMQP_PORT" = 5672 ] && have rabbitmq-server && echo "rabbitmq-server -detached" ;;
    postgres) [ "$PGPORT" = 5432 ] && have pg_ctlcluster && [ -n "$(pg_version)" ] &&
                echo "pg_ctlcluster --skip-systemctl-redirect $(pg_version) main start" ;;
    redis) have redis-server &&
             echo "redis-server --daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save \"\" --appendonly no" ;;
  esac
  return 0
}
# Generic advice when the start command is not on this machine.
manual_hint() {
  case "$1" in
    rabbitmq) echo "start RabbitMQ (e.g. 'rabbitmq-server -detached' as root, 'brew services start rabbitmq')" ;;
    postgres) echo "start PostgreSQL (e.g. 'pg_ctlcluster --skip-systemctl-redirect <version> main start' as root, 'brew services start postgresql')" ;;
    redis) echo "start Redis (e.g. 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379', 'brew services start redis')" ;;
  esac
}

failed=()
ensure() {  # ensure <service> <host> <port> <max wait seconds> <host/port env names>
  local svc=$1 host=$2 port=$3 max=$4 vars=$5 addr="$2:$3" cmd="" started="" t0 level="FAILED" msg
  if "check_$svc"; then echo "ok $svc $addr"; return 0; fi
  if is_local "$host"; then cmd=$(start_cmd "$svc"); fi
  # Start only when nothing listens: an open port means it is booting (or something else owns it).
  if [ -n "$cmd" ] && ! tcp_open "$host" "$port"; then
    echo "... $svc not answering on $addr; running: $cmd (output in $LOG)"
    # stdin/stdout detached so a daemon never holds the caller's pipes open (CI log capture).
    to 120 bash -c "$cmd" </dev/null >>"$LOG" 2>&1 || echo "... start command for $svc exited non-zero (see $LOG)"
    started=yes
  fi
  if [ -n "$started" ] || tcp_open "$host" "$port"; then
    [ -z "$started" ] && echo "... $svc port $addr is open but not ready yet; waiting up to ${max}s"
    t0=$SECONDS
    while [ $((SECONDS - t0)) -lt "$max" ]; do
      if "check_$svc"; then
        echo "$([ -n "$started" ] && echo started || echo ok) $svc $addr (ready after $((SECONDS - t0))s)"
        return 0
      fi
      sleep 1
    done
  fi
  if ! is_local "$host"; then
    msg="not reachable; it is remote, so start it there or fix $vars"
  elif [ -n "$started" ]; then
    msg="ran '$cmd' but it did not answer within ${max}s; see $LOG, $DOCKER_HINT"
  elif tcp_open "$host" "$port"; then
    msg="port is open but the service did not answer within ${max}s (another program on the port? for RabbitMQ: run as root so the CLI can read the Erlang cookie); $DOCKER_HINT"
  elif [ -n "$cmd" ]; then
    msg="start it with '$cmd' (as root), $DOCKER_HINT"
  else
    msg="$(manual_hint "$svc"), $DOCKER_HINT"
  fi
  case "$optional" in *" $svc "*) level="WARN (optional)" ;; *) failed+=("$svc") ;; esac
  echo "$level $svc $addr: $msg" >&2
}

done_list=" "
for svc in "${want[@]}"; do
  case "$done_list" in *" $svc "*) continue ;; esac
  done_list+="$svc "
  case "$svc" in
    rabbitmq) ensure rabbitmq "$AMQP_HOST" "$AMQP_PORT" 90 "AMQP_HOST/AMQP_PORT" ;;
    postgres) ensure postgres "$PGHOST" "$PGPORT" 30 "PGHOST/PGPORT" ;;
    redis)    ensure redis "$REDIS_HOST" "$REDIS_PORT" 30 "REDIS_HOST/REDIS_PORT" ;;
  esac
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "ensure-services: required service(s) not reachable: ${failed[*]}. Start them as shown above, $DOCKER_HINT" >&2
  exit 1
fi
