# The two commands of the README's quick start: `make run` and `make test`.
# Each sets up what it needs (venv, packages; `test` also installs the system
# packages its tests use when run as root).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SYSPKGS := libpcap0.8 tmux iproute2 tshark chromium chromium-driver unbound

.PHONY: run test lint check bench fuzz sysdeps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/tutor

# Installs the Debian packages the tests use (live capture needs libpcap's
# BPF compiler, the TUI test uses tmux, field checks compare with tshark; the
# dns lab's recursive walk starts its own unbound process, never the service).
sysdeps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in $(SYSPKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi; \
	else echo "not root: skipping system packages ($(SYSPKGS)); tests that need them are skipped"; fi

# The linters, the type checker and the import contracts (pyproject.toml),
# then the tests: all of it is what CI runs. Two test processes (pytest-xdist),
# each taking whole files: the suite is mostly CPU, and a lab's namespaces,
# servers and temporary files are named by the process that made them, so
# the two never take each other's for their own.
test: sysdeps $(STAMP) lint
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff format --check tutor labs tests scripts
	$(VENV)/bin/ruff check tutor labs tests scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

check: test

bench: $(STAMP)
	$(PY) scripts/bench.py

# The capture-file fuzzer (tests/fuzz_pcap.py): a million mutated pcap/pcapng
# files through the reader (and some through the dissector), on one core.
# FUZZ_COUNT and FUZZ_SEED change the run; a finding is saved as fuzz-finding-*.bin.
FUZZ_COUNT ?= 1000000
fuzz: $(STAMP)
	taskset -c 0 $(PY) tests/fuzz_pcap.py --count $(FUZZ_COUNT) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

clean:
	rm -rf $(VENV) build dist *.egg-info
