# The two commands of the quick start, and the pieces they are made of.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test lint

$(STAMP): pyproject.toml demo/pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The CPU build of torch from local disk first, so nothing later pulls a CUDA build.
	$(PY) -m pip install -q "torch==2.13.0"
	# Both distributions in one resolve: the `demo` extra is met by ./demo, which no index holds.
	$(PY) -m pip install -q -e ".[test,nsfw,demo]" -e ./demo
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/socialflow demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q -p no:cacheprovider; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest ran no tests" >&2; fi; exit $$status
