#!/usr/bin/env bash
# Every check `make test` runs, in order, each with a header and its time. Stops at the first
# failure. Expects the venv, the trained model and node_modules (the Makefile provides them).
set -euo pipefail
cd "$(dirname "$0")/.."
# Rasa's telemetry is off in our entry points (bot/offline.py); Rasa itself runs as `python -m bot rasa`,
# patched as serve-rasa serves (bot/rasa_patches): `rasa test` exercises what production runs.
export PYTHONPATH="$PWD" TF_CPP_MIN_LOG_LEVEL=3
PY=.venv/bin/python
mkdir -p test-artifacts
started=$SECONDS

step() {
  local name=$1; shift
  local t0=$SECONDS
  echo "==> $name"
  "$@"
  echo "    ($name: $((SECONDS - t0)) s)"
}

step "ruff (lint and format)" bash -c ".venv/bin/ruff check . && .venv/bin/ruff format --check ."
step "mypy (bot, actions; settings in pyproject.toml)" .venv/bin/mypy bot actions
step "rasa data validate" $PY -m bot.checks.validate_data
# Browser tests run in their own process: Playwright's sync API keeps an event loop running in
# the main thread for the whole session, which breaks asyncio tests that come after it.
step "pytest (without the browser)" .venv/bin/pytest -q -p no:cacheprovider --ignore=tests/browser
step "pytest (browser: Playwright + Debian chromium)" .venv/bin/pytest -q -p no:cacheprovider tests/browser
step "rasa test (test stories, fail on prediction errors)" bash -c \
  "$PY -m bot rasa test core --model models/mibg.tar.gz --stories tests/test_stories.yml \
     --fail-on-prediction-errors --out test-artifacts/rasa-test > test-artifacts/rasa-test.log 2>&1 \
   || { grep -v '^\s*$' test-artifacts/rasa-test.log | tail -40; cat test-artifacts/rasa-test/failed_test_stories.yml 2>/dev/null | head -60; exit 1; }
   grep -E 'Finished evaluation|Correct:|Accuracy' test-artifacts/rasa-test.log | tail -4 || true"
step "adversarial (flood, crafted payloads, session takeover, login throttling, log leaks)" \
  $PY -m bench.adversarial
step "NLU on the held-out splits (gates: macro-F1 >= 0.97, out-of-domain rejected >= 95%, in-domain rejected <= 3%)" \
  $PY -m bot.checks.nlu_eval --holdout tests/nlu_holdout.yml tests/nlu_holdout_new_intents.yml \
    --ood tests/ood_sentences.yml tests/blind/general_oos.yml \
    --min-macro-f1 0.97 --min-ood-rejected 0.95 --max-in-domain-rejected 0.03 --max-false-emergencies 0 \
    --json test-artifacts/nlu-holdout.json
# German and Russian (issue 13): each language's held-out split, never trained on, by another
# author than its training data; no false emergency on any held-out split.
# Issue 13: macro-F1 >= 0.95 in each language.
for split in de:0.95 ru:0.95; do
  language=${split%%:*} gate=${split##*:}
  step "NLU on the $language held-out split (gates: macro-F1 >= $gate, no false emergency)" \
    $PY -m bot.checks.nlu_eval --holdout "tests/nlu_holdout_$language.yml" --ood \
      --min-macro-f1 "$gate" --max-false-emergencies 0 --json "test-artifacts/nlu-holdout-$language.json"
done
for name in patient_questions followups_dev followups_dev2 patient_questions_final \
  patient_questions_de patient_questions_ru patient_questions_de_dev patient_questions_ru_dev; do
  echo "    blind $name (test-artifacts/blind-$name.txt):"
  sed 's/^/      /' "test-artifacts/blind-$name.txt"
done

echo "all checks passed in $((SECONDS - started)) s"
