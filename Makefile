# Noodwijzer: `make run` starts everything, `make test` runs every test.
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: setup model run cluster lint test bench soak nlu-report clean

setup:
	@bash scripts/bootstrap.sh

model: setup
	@$(PY) scripts/ensure_model.py

run: model
	@$(PY) -m bot.ops.stack

# The scaled setup on one machine: Redis and PostgreSQL (Debian's, data in var/),
# 3 Rasa replicas, 2 action and 2 NLG servers, all supervised (docs/operations.md).
cluster: model
	@bash scripts/setup_services.sh
	@$(PY) -m bot.ops.stack --profile cluster

# ruff (lint + format check) and mypy, configured in pyproject.toml.
lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy

test: setup lint
	@bash scripts/setup_test_deps.sh
	@$(PY) scripts/ensure_model.py
	@$(RASA) data validate --data data/nlu data/rules data/stories --quiet
	@$(PY) -m bot_rasa.launch test core --stories tests/stories --model models/$$($(PY) -c 'from bot.ops.stack import latest_model; print(latest_model().name)') --fail-on-prediction-errors --out results/core --quiet
	@$(PY) -m pytest tests -q

bench: model
	@bash scripts/setup_test_deps.sh
	@$(PY) scripts/bench.py
	@$(PY) scripts/bench_widget.py

# 10 minutes of steady chat load on the real stack: 0 errors, flat memory, CPU per
# message per part (docs/performance.md: soak and capacity; docs/deploy.md).
# SOAK_PROFILE=cluster soaks the `make cluster` setup (Redis) instead.
SOAK_PROFILE ?= run
soak: model
	@nice -n 10 $(PY) scripts/soak.py --minutes 10 --profile $(SOAK_PROFILE)

nlu-report: model
	@$(PY) scripts/nlu_report.py

clean:
	rm -rf results .pytest_cache var/log
