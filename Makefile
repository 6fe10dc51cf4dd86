# open-health-stats: `make run` runs the pipeline offline on the bundled sample;
# `make test` sets up what the tests need and runs them all.

CARGO ?= cargo
SAMPLE_DATE := 2021-03-04
SAMPLE_ORGS := 111Online,nhsconnect,nhsdigital,nhsengland,nhsuk,nhsx,gitlab.com/ohs-sample
LAKE ?= lake

.PHONY: run test test-deps chromium java lint fmt bench nhsuk-css check-examples

# What the tests use, cached outside the clone and reinstalled only when its list changes:
# Python packages in a venv (tests/requirements.txt: DuckDB, moto, dbt, deltalake, PySpark,
# the GCS emulator, ...), and npm packages (tests/npm/: Azurite, axe-core, the NHS.UK styles).
PYTHON_ENV ?= $(HOME)/.cache/ohs-venv
NPM_ENV ?= $(HOME)/.cache/ohs-npm

TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
# Cargo and the recipes below must agree on it, even when it is given as `make X CARGO_TARGET_DIR=…`.
export CARGO_TARGET_DIR := $(TARGET_DIR)

# `make run` builds the binary in the `quick` profile (Cargo.toml): unoptimised
# dependencies compile in a quarter of the time, and the sample is small. `make test`
# builds the dev profile, whose optimised dependencies the tests need, separately.
run:
	$(CARGO) build --quiet --profile quick --bin ohs
	$(TARGET_DIR)/quick/ohs run --offline data/sample --orgs $(SAMPLE_ORGS) \
		--snapshot-date $(SAMPLE_DATE) --lake $(LAKE)
	@echo "outputs in $(LAKE)/: site/index.html and site/orgs/ (the pages), site/org_repos_agg.csv (the site CSV), gold/ (Delta tables),"
	@echo "  silver/repos/ (one row per repository), bronze/{github,gitlab}/ (raw API pages)"

test: test-deps
	OHS_TEST_PYTHON=$(PYTHON_ENV)/bin/python OHS_TEST_AZURITE=$(NPM_ENV)/node_modules/.bin/azurite-blob \
		OHS_TEST_NPM=$(NPM_ENV)/node_modules $(CARGO) test --all-targets --features failpoints

# The scheduling examples checked by their own tools (run by .ci/run): the Actions workflow
# against GitHub's workflow schema, the Dagster definitions by `dagster definitions validate`,
# the Airflow DAG by Airflow's DAG loader. Their venv is cached like the tests' tools.
EXAMPLES_ENV ?= $(HOME)/.cache/ohs-examples-venv

check-examples: $(EXAMPLES_ENV)/requirements.txt
	$(EXAMPLES_ENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows examples/github-actions.yml
	cd examples && DAGSTER_HOME="$$(mktemp -d)" $(EXAMPLES_ENV)/bin/dagster definitions validate -f dagster_asset.py
	AIRFLOW_HOME="$$(mktemp -d)" $(EXAMPLES_ENV)/bin/python tests/examples/check_airflow_dag.py examples

$(EXAMPLES_ENV)/requirements.txt: examples/requirements.txt
	python3 -m venv $(EXAMPLES_ENV)
	$(EXAMPLES_ENV)/bin/pip install --quiet --disable-pip-version-check -r examples/requirements.txt
	cp examples/requirements.txt $@

# The page's NHS.UK styles, rebuilt from the pinned nhsuk-frontend after a template changes
# the classes it uses (a test fails until then).
nhsuk-css: $(NPM_ENV)/installed.json
	tools/nhsuk-css.sh $(NPM_ENV)/node_modules src/report/nhsuk-frontend.css

test-deps: $(PYTHON_ENV)/requirements.txt $(NPM_ENV)/installed.json chromium java

# The report's browser test needs Debian's Chromium: installed here when missing (as root,
# which CI and these machines are), otherwise it says how.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
		else \
			echo "make test needs Chromium: sudo apt-get install chromium" >&2; exit 1; \
		fi; }

# PySpark (the Delta and dbt-on-Spark checks) runs on Java 17 or later: Debian's, installed
# here when missing, as Chromium is.
java:
	@command -v java >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless; \
		else \
			echo "make test needs Java 17: sudo apt-get install openjdk-17-jre-headless" >&2; exit 1; \
		fi; }

$(PYTHON_ENV)/requirements.txt: tests/requirements.txt
	python3 -m venv $(PYTHON_ENV)
	$(PYTHON_ENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	cp tests/requirements.txt $@

$(NPM_ENV)/installed.json: tests/npm/package.json
	mkdir -p $(NPM_ENV)
	cp tests/npm/package.json $(NPM_ENV)/package.json
	cd $(NPM_ENV) && npm install --no-audit --no-fund --silent
	cp tests/npm/package.json $@

# Transform time and memory against DuckDB at 1e4, 1e5 and 1e6 rows (OHS_BENCH_1E7=1 adds
# 1e7); prints a table and writes benches/RESULTS.md. Builds the release profile.
bench: $(PYTHON_ENV)/requirements.txt chromium
	$(CARGO) build --release --bin ohs --example synth
	$(PYTHON_ENV)/bin/python benches/bench.py $(TARGET_DIR)/release

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --all-features -- -D warnings

fmt:
	$(CARGO) fmt
