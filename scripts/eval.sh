#!/usr/bin/env bash
# `make eval`: cross-validated NLU scores on our own data, then the shared conversation checks
# against a freshly started bot. Results land in results/.
#   scripts/eval.sh [nlu|converse]   one part only (the cross-validation trains its own fold models,
#                                    so it does not need the trained model; the checks do)
set -euo pipefail
cd "$(dirname "$0")/.."
FOLDS="${EVAL_FOLDS:-5}"
PART="${1:-all}"
mkdir -p results

if [[ "$PART" == all || "$PART" == nlu ]]; then
  echo "== NLU cross-validation ($FOLDS folds) =="
  .venv/bin/rasa test nlu --nlu data/nlu --config config.yml --cross-validation --folds "$FOLDS" --successes \
    --domain domain --out results/nlu 2>&1 | tail -n 40
  .venv/bin/python scripts/nlu_summary.py results/nlu | tee results/nlu-summary.txt
  .venv/bin/python scripts/fallback_threshold.py results/nlu | tee -a results/nlu-summary.txt
fi

if [[ "$PART" == all || "$PART" == converse ]]; then
  echo "== Conversation checks (../shared/eval) =="
  scripts/with_bot.sh python3 ../shared/eval/converse.py ../shared/eval/*.json --jobs 4 | tee results/converse.txt
fi
