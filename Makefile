# make run | test | demo | bench — each one first makes sure .venv is up to date.
VENV := .venv
PY   := $(VENV)/bin/python

.PHONY: run test demo bench

# MALLOC_ARENA_MAX: glibc's heaps for Streamlit's many script threads kept to two, so memory
# freed after big uploads goes back to the system (bench/bench_memory.py: ~40 MB less).
run: $(VENV)/.installed
	MALLOC_ARENA_MAX=2 $(PY) -m streamlit run serve.py

test: $(VENV)/.installed
	$(PY) -m pytest -q

demo: $(VENV)/.installed
	$(PY) -m tongzhan demo

# Every benchmark of the performance budgets, then one PASS/FAIL summary (bench/run_all.py).
bench: $(VENV)/.installed
	$(PY) bench/run_all.py

# Stamp file: pip reruns only when requirements.txt is newer than the last successful install.
$(VENV)/.installed: requirements.txt
	test -x $(VENV)/bin/pip || python3 -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	touch $@
