#!/usr/bin/env bash
# The production profile on one host: RASA_SERVERS Rasa servers and ACTION_SERVERS action servers
# behind nginx, and the web app, all on the shared stores (PostgreSQL: tickets and Rasa's tracker
# store; Redis: Rasa's lock store; RabbitMQ: Rasa's event broker), as endpoints.production.yml wires
# them. docs/deploy.md describes the environment and running the same pieces on several hosts.
#
#   scripts/production.sh start | stop | status
#
# Logs, pid files and the generated nginx.conf go to BOT_RUN_DIR (default var/production/). `start`
# returns once every process answers its health check, and refuses to start without the production
# secrets and stores (no demo mode: bot/common/settings.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

export BOT_PROFILE=production PYTHONPATH="$ROOT" TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
RASA_SERVERS=${RASA_SERVERS:-2}
ACTION_SERVERS=${ACTION_SERVERS:-2}
BOT_LB_HOST=${BOT_LB_HOST:-127.0.0.1}
BOT_LB_PORT=${BOT_LB_PORT:-8080}
BOT_INTERNAL_HOST=${BOT_INTERNAL_HOST:-127.0.0.1}
BOT_INTERNAL_PORT=${BOT_INTERNAL_PORT:-8081}
RASA_PORT_BASE=${RASA_PORT_BASE:-5005}
ACTION_PORT_BASE=${ACTION_PORT_BASE:-5055}
export BOT_WEB_PORT=${BOT_WEB_PORT:-8000}
BOT_MODEL=${BOT_MODEL:-models/assistant.tar.gz}
BOT_RUN_DIR=${BOT_RUN_DIR:-$ROOT/var/production}
BOT_START_TIMEOUT=${BOT_START_TIMEOUT:-300}
BOT_STOP_TIMEOUT=${BOT_STOP_TIMEOUT:-30}  # after TERM, then KILL
NGINX=${NGINX:-/usr/sbin/nginx}
PY=$ROOT/.venv/bin/python

# Settings the processes and endpoints.production.yml read; secrets are checked by settings.require.
REQUIRED=(BOT_IDENTITY_SECRET RASA_TOKEN SMS_WEBHOOK_SECRET ACTION_SERVER_TOKEN DATABASE_URL
          TRACKER_DB_HOST TRACKER_DB_NAME TRACKER_DB_USER REDIS_HOST REDIS_PORT
          RABBITMQ_HOST RABBITMQ_USER RABBITMQ_PASSWORD)
# May be empty (a trusted local PostgreSQL), but must be set: Rasa refuses an unset ${VAR}.
export TRACKER_DB_PASSWORD="${TRACKER_DB_PASSWORD-}"

pidfile() { echo "$BOT_RUN_DIR/$1.pid"; }

alive() {  # alive NAME: its recorded process is running (a crashed one not yet reaped is not)
    local file pid; file=$(pidfile "$1")
    [ -f "$file" ] || return 1
    pid=$(cat "$file")
    kill -0 "$pid" 2>/dev/null && [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}

names() {  # every process this profile runs, in start order
    local i
    for i in $(seq 1 "$ACTION_SERVERS"); do echo "actions-$i"; done
    for i in $(seq 1 "$RASA_SERVERS"); do echo "rasa-$i"; done
    echo web
    echo nginx
}

recorded() {  # the processes with a pid file, whatever the counts are now
    local file
    for file in "$BOT_RUN_DIR"/*.pid; do
        [ -e "$file" ] && basename "$file" .pid
    done
    return 0
}

health_url() {
    case "$1" in
        actions-*) echo "http://127.0.0.1:$((ACTION_PORT_BASE + ${1#actions-} - 1))/health" ;;
        rasa-*) echo "http://127.0.0.1:$((RASA_PORT_BASE + ${1#rasa-} - 1))/" ;;  # answers once the model is loaded
        web) echo "http://127.0.0.1:$BOT_WEB_PORT/healthz" ;;
        nginx) echo "http://$BOT_LB_HOST:$BOT_LB_PORT/webhooks/rest/" ;;  # Rasa's REST channel, through nginx
    esac
}

launch() {  # launch NAME COMMAND...: in its own session, output to NAME.log
    local name=$1; shift
    setsid "$@" >"$BOT_RUN_DIR/$name.log" 2>&1 < /dev/null &
    echo $! > "$(pidfile "$name")"
}

check_environment() {
    local missing=() name
    for name in "${REQUIRED[@]}"; do
        [ -n "${!name:-}" ] || missing+=("$name")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "production.sh: set ${missing[*]} (docs/deploy.md lists them)" >&2
        exit 2
    fi
    for name in RASA_SERVERS ACTION_SERVERS; do
        [[ "${!name}" =~ ^[1-9][0-9]*$ ]] || { echo "production.sh: $name must be a positive number" >&2; exit 2; }
    done
    # One source for the secret policy and the profile's rules: the settings every process applies.
    "$PY" - <<'EOF' || exit 2
import sys
from bot.common.settings import InsecureConfiguration, get_settings
try:
    get_settings().require("BOT_IDENTITY_SECRET", "RASA_TOKEN", "SMS_WEBHOOK_SECRET", "ACTION_SERVER_TOKEN")
except InsecureConfiguration as refused:
    sys.exit(f"production.sh: {refused}")
EOF
    [ -f "$BOT_MODEL" ] || { echo "production.sh: no model at $BOT_MODEL (make train)" >&2; exit 2; }
}

amqp_url() {  # RabbitMQ as endpoints.production.yml reaches it, as one amqp:// URL for the web app
    "$PY" - "$RABBITMQ_HOST" "$RABBITMQ_USER" "$RABBITMQ_PASSWORD" <<'EOF'
import sys
from urllib.parse import quote, urlsplit, urlunsplit
host, user, password = sys.argv[1:]
parts = urlsplit(host if host.startswith("amqp") else f"amqp://{host}:5672/")
if "@" not in parts.netloc:
    parts = parts._replace(netloc=f"{quote(user, safe='')}:{quote(password, safe='')}@{parts.netloc}")
print(urlunsplit(parts))
EOF
}

write_nginx_conf() {
    local rasa="" actions="" i conf
    for i in $(seq 0 $((RASA_SERVERS - 1))); do rasa+="        server 127.0.0.1:$((RASA_PORT_BASE + i));"$'\n'; done
    for i in $(seq 0 $((ACTION_SERVERS - 1))); do actions+="        server 127.0.0.1:$((ACTION_PORT_BASE + i));"$'\n'; done
    conf=$(< deploy/nginx.conf.template)
    conf=${conf//@RUN_DIR@/$BOT_RUN_DIR}
    conf=${conf//@RASA_SERVERS@/${rasa%$'\n'}}
    conf=${conf//@ACTION_SERVERS@/${actions%$'\n'}}
    conf=${conf//@WEB_ADDR@/127.0.0.1:$BOT_WEB_PORT}
    conf=${conf//@LB_HOST@/$BOT_LB_HOST}
    conf=${conf//@LB_PORT@/$BOT_LB_PORT}
    conf=${conf//@INTERNAL_HOST@/$BOT_INTERNAL_HOST}
    conf=${conf//@INTERNAL_PORT@/$BOT_INTERNAL_PORT}
    mkdir -p "$BOT_RUN_DIR/nginx-tmp"
    printf '%s\n' "$conf" > "$BOT_RUN_DIR/nginx.conf"
    "$NGINX" -t -q -e "$BOT_RUN_DIR/nginx-error.log" -c "$BOT_RUN_DIR/nginx.conf"
}

wait_healthy() {
    local deadline=$((SECONDS + BOT_START_TIMEOUT)) name pending
    pending=$(names)
    while [ -n "$pending" ]; do
        for name in $pending; do
            if ! alive "$name"; then
                echo "production.sh: $name exited during start; the end of $BOT_RUN_DIR/$name.log:" >&2
                tail -n 20 "$BOT_RUN_DIR/$name.log" >&2 || true
                return 1
            fi
            if curl -sf -o /dev/null --max-time 2 "$(health_url "$name")"; then
                pending=$(grep -vx "$name" <<< "$pending" || true)
            fi
        done
        if [ -n "$pending" ] && [ "$SECONDS" -ge "$deadline" ]; then
            echo "production.sh: not healthy after ${BOT_START_TIMEOUT}s:" $pending >&2
            return 1
        fi
        [ -z "$pending" ] || sleep 1
    done
}

start() {
    local name running=()
    for name in $(recorded); do alive "$name" && running+=("$name"); done
    if [ "${#running[@]}" -gt 0 ]; then
        echo "production.sh: already running (${running[*]}); stop it first" >&2
        exit 1
    fi
    check_environment
    scripts/install-nginx.sh
    mkdir -p "$BOT_RUN_DIR"
    rm -f "$BOT_RUN_DIR"/*.pid
    write_nginx_conf
    # Migrate up front: a failing migration stops the start here, with its log, not in every process.
    "$PY" -m bot.runtime > "$BOT_RUN_DIR/migrate.log" 2>&1 || { tail -n 20 "$BOT_RUN_DIR/migrate.log" >&2; exit 1; }

    local i port
    for i in $(seq 1 "$ACTION_SERVERS"); do
        port=$((ACTION_PORT_BASE + i - 1))
        ACTION_SERVER_HOST=127.0.0.1 ACTION_SERVER_PORT=$port launch "actions-$i" "$PY" -m bot.cli.action_server
    done
    # Rasa reaches the actions through nginx, so any action server can take any call.
    export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://$BOT_INTERNAL_HOST:$BOT_INTERNAL_PORT/actions/webhook}"
    for i in $(seq 1 "$RASA_SERVERS"); do
        port=$((RASA_PORT_BASE + i - 1))
        launch "rasa-$i" "$ROOT/.venv/bin/rasa" run --enable-api --jwt-secret "$RASA_TOKEN" --jwt-method HS256 \
            --interface 127.0.0.1 --port "$port" --cors "${BOT_WEB_ORIGIN:-http://localhost:$BOT_LB_PORT}" \
            --model "$BOT_MODEL" --credentials credentials.yml --endpoints endpoints.production.yml
    done
    # The panel's inbox reads the broker's queue (bot/services/event_feed.py).
    BOT_EVENT_SOURCE=${BOT_EVENT_SOURCE:-$(amqp_url)} \
    BOT_WEB_HOST=127.0.0.1 RASA_URL="http://$BOT_INTERNAL_HOST:$BOT_INTERNAL_PORT" \
        RASA_SOCKET_URL="${RASA_SOCKET_URL:-http://localhost:$BOT_LB_PORT}" launch web "$PY" -m bot.web
    launch nginx "$NGINX" -e "$BOT_RUN_DIR/nginx-error.log" -c "$BOT_RUN_DIR/nginx.conf" -g "daemon off;"

    if ! wait_healthy; then
        stop
        exit 1
    fi
    echo "production: $RASA_SERVERS Rasa, $ACTION_SERVERS action servers, web app; http://$BOT_LB_HOST:$BOT_LB_PORT/ (logs in $BOT_RUN_DIR)"
}

stop() {
    local name pid deadline
    for name in $(recorded); do
        alive "$name" && kill -TERM -- "-$(cat "$(pidfile "$name")")" 2>/dev/null || true
    done
    deadline=$((SECONDS + BOT_STOP_TIMEOUT))
    for name in $(recorded); do
        while alive "$name" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
        if alive "$name"; then
            pid=$(cat "$(pidfile "$name")")
            echo "production.sh: $name ($pid) ignored TERM; killing it" >&2
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
        rm -f "$(pidfile "$name")"
    done
}

status() {
    local name state all_up=0
    for name in $(names); do
        if ! alive "$name"; then
            state=down; all_up=1
        elif curl -sf -o /dev/null --max-time 2 "$(health_url "$name")"; then
            state="up (pid $(cat "$(pidfile "$name")"))"
        else
            state="starting or unhealthy (pid $(cat "$(pidfile "$name")"))"; all_up=1
        fi
        printf '%-10s %-45s %s\n' "$name" "$(health_url "$name")" "$state"
    done
    return "$all_up"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
