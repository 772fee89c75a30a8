# Pilotage: two commands on a fresh machine.
#   make run    set up, create the embedded demo database on first run, serve on :8050
#   make test   set up, install what the tests need (Chromium, PostgreSQL, Redis), run every
#               test: the server suites once on DuckDB and once on PostgreSQL with Redis

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_STAMP := data/.demo-ready

.PHONY: run test lint bench clean-data messages

# The interface's translations: .po sources in the repository, compiled here.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard dashboard/translations/*/LC_MESSAGES/messages.po))

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

# Gather the texts again after changing the interface (new ones are left to translate).
messages: $(VENV)/.installed
	PYTHONPATH=. $(BIN)/pybabel extract -F babel.cfg -k N_ --no-wrap --sort-by-file \
		--omit-header -o dashboard/translations/messages.pot .
	$(BIN)/pybabel update -i dashboard/translations/messages.pot -d dashboard/translations \
		--no-wrap --ignore-obsolete
	# texts are filled with str.format ({name}); a "%" in them is a percent sign
	sed -i '/^#, python-format$$/d' dashboard/translations/messages.pot \
		dashboard/translations/*/LC_MESSAGES/messages.po

run: $(VENV)/.installed $(CATALOGUES) $(DEMO_STAMP)
	scripts/ensure-chromium
	$(BIN)/python -m dashboard serve

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The demo comes in as real data does: a MASSAR extract (with a few defective rows, so
# that the Imports page shows real rejects), imported, then built. It holds a tenth of
# the country's pupils, and so a tenth of the census population (docs/census.md).
$(DEMO_STAMP): | $(VENV)/.installed
	$(BIN)/python -m dashboard generate --scale demo --extract data/extract --defects 0.0005
	$(BIN)/python -m dashboard import data/extract --population-scale 0.1
	$(BIN)/python -m dashboard users demo
	touch $@

test: $(VENV)/.installed-dev $(CATALOGUES)
	scripts/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	scripts/services start
	env $$(scripts/services urls) $(BIN)/python -m pytest; status=$$?; \
	scripts/services stop; exit $$status

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean-data:
	rm -rf data

# National-scale benchmarks; figures go to docs/benchmarks.md. BENCH_DATA_DIR (default
# data/national) holds the database: `make bench` generates and builds it when missing,
# `make load` then serves it with gunicorn and a Redis cache warmed by warm-cache (the
# production set-up, Redis started like the test servers) to 50 simulated users.
bench: $(VENV)/.installed
	$(BIN)/python bench/views.py
	$(BIN)/python bench/quality.py

# What a user waits for in Chromium: a click to the view drawn, cold then warm.
.PHONY: bench-browser
bench-browser: $(VENV)/.installed-dev
	scripts/ensure-chromium
	$(BIN)/python bench/browser.py

.PHONY: load
load: $(VENV)/.installed-dev
	scripts/services start
	env $$(scripts/services urls) sh -c '$(BIN)/python bench/load.py --redis "$$PILOTAGE_TEST_REDIS_URL"'; \
	status=$$?; scripts/services stop; exit $$status
