#!/usr/bin/env bash
# Runs a command against a bot started for it (action server + Rasa on embedded defaults),
# then stops the bot. Used by `make eval` and `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" TF_CPP_MIN_LOG_LEVEL=2
# BOT_PROFILE=production: the production profile instead (scripts/production.sh, its secrets and
# stores from the environment), REST on http://127.0.0.1:${BOT_LB_PORT:-8080} through nginx.
if [ "${BOT_PROFILE:-embedded}" = production ]; then
    scripts/production.sh start
    trap 'scripts/production.sh stop' EXIT
    "$@"
    exit
fi
# Demo mode, as `make run`: the demo secrets, the demo customers.
export BOT_DEMO_MODE=1
export RASA_TOKEN="${RASA_TOKEN:-demo-rasa-token}" ACTION_SERVER_TOKEN="${ACTION_SERVER_TOKEN:-demo-action-server-token}"
mkdir -p var
.venv/bin/python -m bot.runtime
.venv/bin/python -m bot.cli.action_server > var/eval-actions.log 2>&1 &
ACTIONS=$!
.venv/bin/rasa run --enable-api --jwt-secret "$RASA_TOKEN" --jwt-method HS256 --interface 127.0.0.1 --port 5005 --model models/assistant.tar.gz \
  --credentials credentials.yml --endpoints endpoints.yml > var/eval-rasa.log 2>&1 &
RASA=$!
trap 'kill $ACTIONS $RASA 2>/dev/null; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
  if curl -sf localhost:5005/ >/dev/null && curl -sf localhost:5055/health >/dev/null; then
    break
  fi
  sleep 1
done
"$@"
