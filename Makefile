# journeyops — every target creates and uses the project virtual environment itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.journeyops-installed
HOME_DIR ?= .journeyops
DEMO_DATA := $(HOME_DIR)/demo-data

.PHONY: install demo serve test test-spark spark-up spark-down lint bench clean
SPARK_DIR ?= .spark
SPARK_PORT ?= 10000

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,spark,spark-local]'
	$(PY) -m store.insights.model_files install
	touch $(STAMP)

## Generate the demo data set, ingest it, scan every journey and print the report.
demo: $(STAMP)
	$(BIN)/journeyops --home $(HOME_DIR) demo-data --out $(DEMO_DATA)
	$(BIN)/journeyops --home $(HOME_DIR) journeys load $(DEMO_DATA)/journeys.toml
	$(BIN)/journeyops --home $(HOME_DIR) ingest events $(DEMO_DATA)/events.parquet
	$(BIN)/journeyops --home $(HOME_DIR) ingest insights $(DEMO_DATA)/insights.jsonl
	$(BIN)/journeyops --home $(HOME_DIR) scan
	$(BIN)/journeyops --home $(HOME_DIR) users add li --role council_member
	umask 077 && $(BIN)/journeyops --home $(HOME_DIR) tokens create li > $(HOME_DIR)/li.token
	@echo
	@echo "Council app: run 'make serve' (or $(BIN)/journeyops --home $(HOME_DIR) serve),"
	@echo "open http://127.0.0.1:8000/ and sign in as li with the token in $(HOME_DIR)/li.token:"
	@cat $(HOME_DIR)/li.token
	@echo "Decide at the CLI as li: journeyops --home $(HOME_DIR) actions approve ID --reason TEXT --token-file $(HOME_DIR)/li.token"

## Serve the council app on the demo workspace (http://127.0.0.1:8000/).
serve: $(STAMP)
	$(BIN)/journeyops --home $(HOME_DIR) serve

## Run the test suite (slow benchmarks excluded).
test: $(STAMP)
	$(BIN)/pytest -n 2

## A local Spark Thrift server (Java 17 + the pyspark wheel) on 127.0.0.1:$(SPARK_PORT).
spark-up: $(STAMP)
	$(PY) -m store.warehouse.spark.server up --dir $(SPARK_DIR) --port $(SPARK_PORT)

spark-down: $(STAMP)
	$(PY) -m store.warehouse.spark.server down --dir $(SPARK_DIR)

## The Spark tests against a server started for them (spark-up, the tests, spark-down).
test-spark: $(STAMP)
	$(MAKE) spark-up
	JOURNEYOPS_TEST_SPARK_URL=spark://127.0.0.1:$(SPARK_PORT)/default $(BIN)/pytest -m spark -p no:cacheprovider; \
		status=$$?; $(MAKE) spark-down; exit $$status

lint: $(STAMP)
	$(BIN)/ruff check agent tools prompts store evals tests
	$(BIN)/ruff format --check agent tools prompts store evals tests
	$(BIN)/mypy agent tools prompts store evals
	$(BIN)/lint-imports

## Benchmarks: RCA benchmark, detection scenarios, scale, insight retrieval, the agent eval and the slow tests.
bench: $(STAMP)
	$(BIN)/journeyops eval rca-bench
	$(BIN)/journeyops eval scenarios --seed 101 --count 20
	$(BIN)/journeyops eval bench --events 10000000
	$(BIN)/journeyops eval insights --count 100000
	$(BIN)/journeyops eval agent
	$(BIN)/pytest -m slow -p no:cacheprovider

clean:
	rm -rf $(VENV) $(HOME_DIR) $(SPARK_DIR) .pytest_cache .mypy_cache .ruff_cache
