# mmmar: the two commands of the README are `make demo` and `make test`; both install first.
# Plain `make` lists the targets (`make help`).
#   VENV=path       reuse / create the virtual environment there (default .venv)
#   IMAGES=dir/     also run the demo's inferencer on your own images
#   PYTEST_ARGS=... extra pytest arguments
VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python
IMAGES ?=
PYTEST_ARGS ?=
export VENV

.PHONY: help install lint test demo benchmark clean-venv
.DEFAULT_GOAL := help

help: ## list the targets and what each does (the default: plain `make`)
	@echo 'mmmar make targets (VENV=$(VENV)):'
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo 'Variables: VENV=dir (environment), IMAGES=dir/ (demo on your images), PYTEST_ARGS=...'

install: ## create/update the virtual environment (first time 15-20 min: mmcv compiles)
	@bash tools/install_env.sh

LINT_PATHS := mmmar tools tests projects configs setup.py

lint: install ## install, then flake8 and isort --check (settings in setup.cfg)
	$(PY) -m flake8 $(LINT_PATHS)
	$(PY) -m isort --check-only --diff $(LINT_PATHS)

test: install lint ## install, lint, then run the whole test suite
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(PY) -m pytest tests -q -p no:cacheprovider $(PYTEST_ARGS)

demo: install ## install, then synthetic data, train, evaluate, infer (work_dirs/demo/)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(PY) tools/demo_pipeline.py --work-dir work_dirs/demo $(if $(IMAGES),--images $(IMAGES),)

benchmark: install ## install, then time the model (docs/benchmark.md)
	$(PY) tools/analysis_tools/benchmark.py

clean-venv: ## delete the virtual environment
	rm -rf $(VENV)
