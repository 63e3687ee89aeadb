#!/usr/bin/env bash
# `make eval`: how the assistant does on messages written unlike its training data
# (tests/ood/messages.yml, in process with the real action server), then the shared conversation
# checks against a freshly started bot. Results land in results/.
#   scripts/eval.sh [ood|converse|nlu]   one part only; `nlu` is Rasa's own 5-fold cross-validation on
#                                        our training data (an hour on two cores; not part of `all`)
set -euo pipefail
cd "$(dirname "$0")/.."
PART="${1:-all}"
mkdir -p results

if [[ "$PART" == all || "$PART" == ood ]]; then
  echo "== Out-of-distribution set =="
  .venv/bin/python scripts/ood_eval.py 2>/dev/null | tee results/ood.txt
fi

if [[ "$PART" == all || "$PART" == converse ]]; then
  echo "== Conversation checks (../shared/eval) =="
  scripts/with_bot.sh python3 ../shared/eval/converse.py ../shared/eval/*.json --jobs 4 | tee results/converse.txt
fi

if [[ "$PART" == nlu ]]; then
  FOLDS="${EVAL_FOLDS:-5}"
  echo "== NLU cross-validation ($FOLDS folds) =="
  .venv/bin/rasa test nlu --nlu data/nlu --config config.yml --cross-validation --folds "$FOLDS" --successes \
    --domain domain --out results/nlu 2>&1 | tail -n 40
  .venv/bin/python scripts/nlu_summary.py results/nlu | tee results/nlu-summary.txt
  .venv/bin/python scripts/fallback_threshold.py results/nlu | tee -a results/nlu-summary.txt
fi
