# open-health-stats: `make run` runs the pipeline offline on the bundled sample;
# `make test` sets up what the tests need and runs them all.

CARGO ?= cargo
SAMPLE_DATE := 2021-03-04
SAMPLE_ORGS := 111Online,nhsconnect,nhsdigital,nhsengland,nhsuk,nhsx
LAKE ?= lake

.PHONY: run test test-deps lint fmt

# Python tools the tests use (DuckDB as an independent Parquet reader), in a venv cached
# outside the clone and rebuilt only when tests/requirements.txt changes.
PYTHON_ENV ?= $(HOME)/.cache/ohs-venv

TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

# `make run` builds exactly what `make test` builds (`cargo run` would build the
# dependencies again without the test-only features), so the first of the two pays for
# both and the other reuses it. Dependencies are optimised in the dev profile.
run:
	$(CARGO) test --no-run --quiet
	$(TARGET_DIR)/debug/ohs run --offline data/sample --orgs $(SAMPLE_ORGS) \
		--snapshot-date $(SAMPLE_DATE) --lake $(LAKE)
	@echo "outputs in $(LAKE)/: site/org_repos_agg.csv (the site CSV), gold/ (Parquet tables),"
	@echo "  silver/repos/ (one row per repository), bronze/github/repos/ (raw API pages)"

test: test-deps
	OHS_TEST_PYTHON=$(PYTHON_ENV)/bin/python $(CARGO) test --all-targets

test-deps: $(PYTHON_ENV)/requirements.txt

$(PYTHON_ENV)/requirements.txt: tests/requirements.txt
	python3 -m venv $(PYTHON_ENV)
	$(PYTHON_ENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	cp tests/requirements.txt $@

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt
