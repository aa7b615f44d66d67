# IKM Relief — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint check bench screenshots messages maps deps clean-var

deps: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## Run the whole product: web on http://127.0.0.1:8000, Celery worker and beat, demo data.
run: deps
	$(PY) -m ikmrelief.launcher run

## Run every test (unit, integration, browser journeys).
test: deps
	$(PY) -m ikmrelief.launcher test $(ARGS)

## Static checks: ruff, the import layers (import-linter) and missing migrations.
lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

## Benchmarks (slow, on purpose): see BENCHMARKS.md.
bench: deps
	$(PY) -m ikmrelief.launcher bench

## Screenshots of every journey at desktop and phone widths into screenshots/.
screenshots: deps
	SCREENSHOTS=1 $(PY) -m ikmrelief.launcher test tests/e2e -m e2e $(ARGS)

## Rebuild the map shapes in static/maps/ from ../shared/data/wilayah-boundaries (mapshaper via npx).
maps:
	$(PYTHON) tools/build_maps.py

## Recompile translations after editing locale/*/LC_MESSAGES/django.po.
messages: deps
	DJANGO_DEBUG=1 $(PY) manage.py makemessages -l en --no-location --ignore=.venv --ignore=node_modules --ignore=verifier --ignore=tools
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

## Remove embedded PostgreSQL/Redis data (the demo database is rebuilt by `make run`).
clean-var:
	rm -rf var/
