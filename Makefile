# make run | test | demo | bench — each one first makes sure .venv is up to date.
VENV := .venv
PY   := $(VENV)/bin/python

.PHONY: run test demo bench

run: $(VENV)/.installed
	$(PY) -m streamlit run serve.py

test: $(VENV)/.installed
	$(PY) -m pytest -q

demo: $(VENV)/.installed
	$(PY) -m tongzhan demo

bench: $(VENV)/.installed
	$(PY) bench/bench_overview.py

# Stamp file: pip reruns only when requirements.txt is newer than the last successful install.
$(VENV)/.installed: requirements.txt
	test -x $(VENV)/bin/pip || python3 -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	touch $@
