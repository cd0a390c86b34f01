# mmmar: the two commands of the README are `make demo` and `make test`; both install first.
#   VENV=path       reuse / create the virtual environment there (default .venv)
#   IMAGES=dir/     also run the demo's inferencer on your own images
#   PYTEST_ARGS=... extra pytest arguments
VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python
IMAGES ?=
PYTEST_ARGS ?=
export VENV

.PHONY: install test demo benchmark clean-venv

install:
	@bash tools/install_env.sh

test: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(PY) -m pytest tests -q -p no:cacheprovider $(PYTEST_ARGS)

demo: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(PY) tools/demo_pipeline.py --work-dir work_dirs/demo $(if $(IMAGES),--images $(IMAGES),)

benchmark: install
	$(PY) tools/analysis_tools/benchmark.py

clean-venv:
	rm -rf $(VENV)
