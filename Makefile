# open-health-stats: `make run` runs the pipeline offline on the bundled sample;
# `make test` sets up what the tests need and runs them all.

CARGO ?= cargo
SAMPLE_DATE := 2021-03-04
SAMPLE_ORGS := 111Online,nhsconnect,nhsdigital,nhsengland,nhsuk,nhsx
LAKE ?= lake

.PHONY: run test lint fmt

# The dev profile shares its compiled dependencies with `make test` (and optimises them),
# so the first `make run` costs one build and `make test` after it reuses it.
run:
	$(CARGO) run --quiet --bin ohs -- run --offline data/sample --orgs $(SAMPLE_ORGS) \
		--snapshot-date $(SAMPLE_DATE) --lake $(LAKE)
	@echo "outputs in $(LAKE)/: site/org_repos_agg.csv (the site CSV), gold/ (Parquet tables),"
	@echo "  silver/repos/ (one row per repository), bronze/github/repos/ (raw API pages)"

test:
	$(CARGO) test --all-targets

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt
