# Two commands do everything on a fresh Debian machine as root: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := nmap openssh-server openssl ssh-audit testssl.sh chromium fonts-noto-core redis-server postgresql systemd zsh
STAMP := $(VENV)/.installed

.PHONY: help setup system-packages demo test lint bench clean

help:
	@echo "make demo   - set up, start the loopback lab, audit inventories/demo, write the HTML report"
	@echo "make test   - set up, lint (ruff, mypy), then run the test suite"
	@echo "make bench  - every benchmark against its peer tool (see README)"

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

setup: system-packages $(STAMP)

demo: setup
	$(VENV)/bin/p06audit demo --out reports-out

test: setup lint
	$(VENV)/bin/pytest -q

bench: setup
	@for b in tests/bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# mypy checks the sources as the one package they install as: audit/ is `p06audit`, checks/ and
# reports/ sit under it. The link tree is rebuilt each time, so new modules are always checked.
TYPECHECK := build/typecheck

lint: setup
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/p06audit
	for entry in audit/* checks reports; do ln -s "$(CURDIR)/$$entry" $(TYPECHECK)/p06audit/; done
	cd $(TYPECHECK) && $(CURDIR)/$(VENV)/bin/mypy --config-file $(CURDIR)/pyproject.toml

clean:
	rm -rf $(VENV) .lab reports-out build *.egg-info
