#!/usr/bin/env bash
# Runs a command against a bot started for it (action server + Rasa on embedded defaults),
# then stops the bot. Used by `make eval` and `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" TF_CPP_MIN_LOG_LEVEL=2
export BOT_IDENTITY_SECRET="${BOT_IDENTITY_SECRET:-demo-identity-secret-change-me-in-production}"
export RASA_TOKEN="${RASA_TOKEN:-demo-rasa-token}"
mkdir -p var
.venv/bin/python -m bot.runtime
.venv/bin/rasa run actions --actions actions --port 5055 > var/eval-actions.log 2>&1 &
ACTIONS=$!
.venv/bin/rasa run --enable-api --auth-token "$RASA_TOKEN" --port 5005 --model models/assistant.tar.gz \
  --credentials credentials.yml --endpoints endpoints.yml > var/eval-rasa.log 2>&1 &
RASA=$!
trap 'kill $ACTIONS $RASA 2>/dev/null; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
  if curl -sf localhost:5005/status?token="$RASA_TOKEN" >/dev/null && curl -sf localhost:5055/health >/dev/null; then
    break
  fi
  sleep 1
done
"$@"
