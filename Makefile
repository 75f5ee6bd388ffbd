# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a step of them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 is the supported controller Python (ansible-core 2.21); pyenv's copy is used when the
# system has no python3.12 on PATH.
# Each candidate is run, not just looked up: a pyenv shim exists even where it cannot run 3.12.
PYTHON ?= $(shell for p in python3.12 $$(ls -d $(HOME)/.pyenv/versions/3.12.*/bin/python 2>/dev/null); do \
	  $$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
COLLECTIONS := .build/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/azureml/kubernetes
SANITY_ROOT := .build/sanity/ansible_collections/azureml/kubernetes
SANDBOX_DIR ?= .sandbox
TEST_SANDBOX_DIR := .build/test-sandbox

export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := true
export PYTHONPATH := $(CURDIR)/$(COLLECTIONS):$(CURDIR)
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_NOCOLOR := 1

.PHONY: help setup chromium kube-binaries demo demo-fleet test sanity lint unit sandbox-tests integration sandbox sandbox-stop bench changelog clean

help:
	@echo "make demo   set up, start the sandbox, run a documented scenario end to end, show the result"
	@echo "make test   set up, then run every check: sanity, lint, unit, sandbox fidelity, integration"
	@echo "make demo-fleet   a fleet rehearsal: 20 sandbox clusters, the production scenarios in waves, the report"
	@echo "make bench  benchmarks (results in .bench/results.md)"
	@echo "make sandbox / make sandbox-stop   the local Azure sandbox on its own"

# --- set-up: a virtual environment with the pinned dependencies, and the collection where Ansible finds it
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 not found: install it or set PYTHON=/path/to/python3.12"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn $(CURDIR) $@

# Debian's chromium renders the fleet report in its browser test (tests/integration/test_fleet_report_browser.py):
# installed when missing and apt-get is available (as root, or through sudo).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if ! command -v apt-get >/dev/null 2>&1; then echo "chromium not found and no apt-get: install chromium for the fleet report's browser test"; \
	  else as_root=$$( [ "$$(id -u)" = 0 ] && echo "" || echo "sudo" ); \
	    echo "$${as_root:+$$as_root }apt-get install -y chromium   (headless browser for the fleet report's browser test)"; \
	    $$as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$as_root apt-get install -y -qq chromium >/dev/null; fi; }

setup: $(VENV)/.installed $(COLLECTION_LINK) chromium

# The sandbox clusters' real control planes (kube-apiserver, kube-controller-manager, kube-scheduler, etcd,
# kwok), built with the go client from the pinned modules in sandbox/kube/tools into a cache outside the
# repository: many minutes the first time on 2 cores (it prints its progress), a second when built.
kube-binaries:
	@bash sandbox/kube/tools/build.sh >/dev/null

# --- checks
sanity: setup
	@rm -rf .build/sanity && mkdir -p $(SANITY_ROOT)
	@# ansible-test needs the collection under ansible_collections/<namespace>/<name>; the sandbox and the
	@# benchmarks are not part of the collection, so they are not copied.
	@tar --exclude=./.venv --exclude=./.build --exclude=./.sandbox --exclude=./.bench --exclude=./.git --exclude=./.ci \
	  --exclude=./sandbox --exclude=./benchmarks --exclude='__pycache__' --exclude=.pytest_cache -cf - . | tar -C $(SANITY_ROOT) -xf -
	@# The copy lies inside this repository's ignored .build/, so it gets a git index of its own: ansible-test
	@# lists the files to check through git.
	@cd $(SANITY_ROOT) && git init -q && git add -A
	@# kubernetes.core (from the ansible package in the venv) beside it: the modules use its doc fragment and client.
	@mkdir -p .build/sanity/ansible_collections/kubernetes
	@ln -sfn "$$(python -c 'import ansible_collections.kubernetes.core as m; print(m.__path__[0])')" \
	  .build/sanity/ansible_collections/kubernetes/core
	@# ansible-test bootstraps pip in its venvs with a script from ci-files.testing.ansible.com; where that
	@# host is unreachable, an ensurepip-based stand-in takes its place in ansible-test's cache.
	@mkdir -p $(HOME)/.ansible/test/cache
	@for v in 25_2 25_3 26_0; do sed "s|@CA_BUNDLE@|$${PIP_CERT:-$${REQUESTS_CA_BUNDLE:-}}|" \
	  .ci/get_pip_offline.py > $(HOME)/.ansible/test/cache/get_pip_$$v.py; done
	cd $(SANITY_ROOT) && ansible-test sanity --venv --python 3.12 --color no

lint: setup
	ansible-lint --profile production --offline

unit: setup
	python -m pytest tests/unit -q -n 2

sandbox-tests: setup kube-binaries
	python -m pytest sandbox/tests -q -n 2

integration: setup kube-binaries
	@python -m sandbox stop --state-dir $(TEST_SANDBOX_DIR) >/dev/null 2>&1 || true
	@rm -rf $(TEST_SANDBOX_DIR)
	python -m sandbox start --state-dir $(TEST_SANDBOX_DIR)
	AML_SANDBOX_DIR=$(CURDIR)/$(TEST_SANDBOX_DIR) python -m pytest tests/integration -q -n 2; \
	  status=$$?; python -m sandbox stop --state-dir $(TEST_SANDBOX_DIR); exit $$status

test: sanity lint unit sandbox-tests integration
	@echo "make test: every check passed"

# --- the sandbox on its own
sandbox: setup kube-binaries
	python -m sandbox start --state-dir $(SANDBOX_DIR)

sandbox-stop: setup
	python -m sandbox stop --state-dir $(SANDBOX_DIR)

# --- the demo: a documented scenario end to end (prerequisites, install, verify, the fleet report), against a fresh sandbox world in .sandbox, left running so its
# clusters can be looked at (kubectl) afterwards; `make sandbox-stop` stops it.
demo: setup kube-binaries
	@python -m sandbox stop --state-dir $(SANDBOX_DIR) >/dev/null 2>&1 || true
	@rm -rf $(SANDBOX_DIR)
	@python -m sandbox start --state-dir $(SANDBOX_DIR)
	@set -a; source $(SANDBOX_DIR)/env; set +a; \
	  ansible-playbook -i $(SANDBOX_DIR)/inventory.yml playbooks/demo.yml \
	    -e aml_report_dir=$(CURDIR)/$(SANDBOX_DIR)/report || exit $$?; \
	  echo; echo "The fleet report (open it in a browser): $(SANDBOX_DIR)/report/aml-fleet-report.html"; \
	  echo "  and as JSON: $(SANDBOX_DIR)/report/aml-fleet-report.json"; \
	  echo "The sandbox is still running. Its clusters are real Kubernetes API servers:"; \
	  echo "  kubectl --kubeconfig $(SANDBOX_DIR)/kubeconfig --context aks-aml-demo get nodes,pods -A"; \
	  echo "Stop it with: make sandbox-stop"

# --- the fleet rehearsal: 20 mixed clusters (some with the documented problems) in a fresh sandbox world in .sandbox,
# the production scenarios rolled out over them in waves, and the fleet report (docs/playbooks/fleet.md).
demo-fleet: setup kube-binaries
	@python -m sandbox stop --state-dir $(SANDBOX_DIR) >/dev/null 2>&1 || true
	@rm -rf $(SANDBOX_DIR)
	@python -m sandbox start --state-dir $(SANDBOX_DIR)
	@python -m sandbox.fleet --state-dir $(SANDBOX_DIR)
	@set -a; source $(SANDBOX_DIR)/env; set +a; \
	  ansible-playbook -i $(SANDBOX_DIR)/inventory.yml playbooks/demo_fleet.yml \
	    -e aml_report_dir=$(CURDIR)/$(SANDBOX_DIR)/fleet/report || exit $$?; \
	  echo; echo "The sandbox is still running; stop it with: make sandbox-stop"

bench: setup kube-binaries
	python -m benchmarks --out .bench/results.md

changelog: setup
	antsibull-changelog lint

clean:
	-python -m sandbox stop --state-dir $(SANDBOX_DIR) 2>/dev/null
	rm -rf .build .sandbox .bench
