# VMS for Odoo 19. The two commands a newcomer needs:
#   make run    set up and run Odoo 19 with the three addons and demo data, and the proxy
#   make test   lint, pure-Python tests, and the Odoo layer (server tests and tours)
ODOO_HOME ?= $(HOME)/.cache/odoo-19.0
BENCH ?=
export ODOO_HOME

.PHONY: run test lint bench venv clean

venv:
	@bash scripts/venv.sh

run: venv
	@bash scripts/run.sh

test: venv
	@bash scripts/test.sh

lint: venv
	@bash scripts/lint.sh

bench: venv
	@bash scripts/bench.sh $(BENCH)

# Everything make run made: the cluster (also when it lives under /var/tmp,
# linked from .data/pgdata), the filestore, logs and receipts.
clean:
	@PY=.venv/bin/python; [ -x $$PY ] || PY=python3; $$PY scripts/pgcluster.py destroy .data
	rm -rf .data
