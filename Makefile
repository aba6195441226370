# Every entry point a person needs. `make run` and `make test` do their own set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := -e contracts -e libs/runtime -e libs/ops -e "libs/devstack[containers]" -e services/intake -e services/routing -e "services/deadline-tracker[calendar-tools]" -e services/notification -e services/inspection -e apps/portal -e apps/workspace -e apps/desk -e apps/mail
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install tools screenshots chaos run demo stack trace asyncapi test test-unit test-integration bench-surge bench-latency bench-relay bench-portal bench-workspace bench-intake bench-deadlines bench-idp bench-skip schemas constraints routing-rules calendar clean

install: $(STAMP)

$(STAMP): constraints.txt requirements-dev.txt contracts/pyproject.toml libs/*/pyproject.toml services/*/pyproject.toml apps/*/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt $(PACKAGES) -r requirements-dev.txt
	touch $(STAMP)

# System tools the tests use, from Debian's packages: promtool (package prometheus) checks and
# unit-tests the alert rules; chromium and chromium-driver run the console's and the portal's
# browser tests; npm installs axe-core (pinned, under .state/npm) for their accessibility audits;
# java and maven run and fetch Apache Kafka (deploy/kafka/pom.xml, cached under .state/kafka);
# kcat joins the client table on Apache Kafka (tests/integration/test_apache_kafka.py); dovecot
# (dovecot-imapd) is the real IMAP server of the e-mail channel's tests and of `make run`.
# Installed when missing and running as root (CI); otherwise named.
TOOLS := promtool:prometheus chromium:chromium chromedriver:chromium-driver npm:npm java:default-jre-headless mvn:maven kcat:kcat dovecot:dovecot-imapd
tools:
	@missing=""; for pair in $(TOOLS); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (apt-get install them as root)" >&2; exit 1; fi; fi

run: install  ## start the embedded stack and every service until Ctrl-C (KAFKA=apache: on Apache Kafka; IDP=keycloak: Keycloak signs the tokens)
	$(BIN)/appeals-stack run $(if $(KAFKA),--kafka $(KAFKA)) $(if $(IDP),--idp $(IDP))

trace: install  ## one appeal's trace from a `make run`: make trace N=OA-2026-00000001
	$(BIN)/appeals trace $(N) --dir .state/traces

asyncapi: install  ## regenerate docs/asyncapi/<service>.json after a change to topics or subscriptions
	$(BIN)/appeals-asyncapi

demo: install  ## make run, plus citizens, executors and inspectors played (DEMO_RATE appeals/s)
	$(BIN)/appeals-stack run --demo --demo-rate $(or $(DEMO_RATE),5)

stack: install  ## only the embedded PostgreSQL and broker, until Ctrl-C
	$(BIN)/appeals-stack up

test: install tools  ## unit and integration tests, then the platform's lifecycle and appeals dlq again on Apache Kafka
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	APPEALS_KAFKA=apache $(BIN)/python -m pytest tests/integration/test_platform_lifecycle.py tests/integration/test_dead_letters.py $(PYTEST_ARGS)

test-unit: install tools
	$(BIN)/python -m pytest -m "not integration" $(PYTEST_ARGS)

test-integration: install
	$(BIN)/python -m pytest -m integration $(PYTEST_ARGS)

chaos: install tools  ## the platform under faults, checked: make chaos RUNS=100 (default 6, one per scenario); KAFKA=apache adds the broker's faults, SCENARIO=broker only those
	$(BIN)/python -m appeals_devstack.chaos --runs $(or $(RUNS),6) $(if $(KAFKA),--kafka $(KAFKA)) $(foreach s,$(SCENARIO),--scenario $(s))

screenshots: install tools  ## retake the console's, the portal's, the workspace's, the desk's and Keycloak's pictures in docs/img (the browser tests, saving there)
	CONSOLE_SCREENSHOTS=docs/img $(BIN)/python -m pytest tests/integration/test_console.py tests/integration/test_portal.py tests/integration/test_workspace.py tests/integration/test_desk.py tests/integration/test_keycloak.py $(PYTEST_ARGS)

bench-surge: install  ## N appeals (default 100,000) through all five services vs raw Kafka: make bench-surge N=20000 PROFILE=1 STATEMENTS=1 SCALE="notification=2" KAFKA=apache
	$(BIN)/python bench/surge.py --appeals $(or $(N),100000) $(if $(KAFKA),--kafka $(KAFKA)) $(if $(PROFILE),--profile) $(if $(STATEMENTS),--statements) $(foreach s,$(SCALE),--scale $(s))

bench-latency: install  ## a steady RATE appeals/s (default 200) for 60 s: p50/p95/p99 per stage (SCALE as for bench-surge)
	$(BIN)/python bench/latency.py --rate $(or $(RATE),200) --duration $(or $(DURATION),60) $(foreach s,$(SCALE),--scale $(s))

bench-relay: install  ## the outbox relay alone: 100,000 events from one service database vs the raw producer
	$(BIN)/python bench/relay.py --events $(or $(N),100000)

bench-portal: install  ## N status pages (default 1,000) through the citizen's portal vs intake's own status JSON
	$(BIN)/python bench/portal.py --appeals $(or $(N),1000)

bench-workspace: install  ## N case pages and queue pages through the executors' workspace vs routing's own JSON
	$(BIN)/python bench/workspace.py --appeals $(or $(N),1000)

bench-idp: install tools  ## `make run`'s start-up with the local issuer vs Keycloak (first start and the next)
	$(BIN)/python bench/idp_startup.py

bench-skip: install  ## each service's consumer parsing N appeals' records (default 10,000): all of them vs only the types it handles
	$(BIN)/python bench/consumer_skip.py --appeals $(or $(N),10000)

bench-intake: install  ## 50,000 appeals through intake vs a raw aiokafka baseline
	$(BIN)/python bench/intake_throughput.py --appeals 50000

# The routing database of the embedded stack (`make run`); set ROUTING_DATABASE_URL for another.
ROUTING_DATABASE_URL ?= postgresql://postgres@/routing?host=$(CURDIR)/.state/postgres
EXECUTORS ?= contracts/appeals_contracts/data/executors.yaml
RULES ?= services/routing/appeals_routing/data/rules.yaml

routing-rules: install  ## validate and load EXECUTORS and RULES into routing's database
	DATABASE_URL='$(ROUTING_DATABASE_URL)' $(BIN)/appeals-routing load-rules --executors $(EXECUTORS) --rules $(RULES)

calendar: install  ## regenerate the Kazakhstan working-day calendar (review the diff before committing)
	$(BIN)/python -m appeals_deadlines.tools.calendar_gen 2020 2027

bench-deadlines: install  ## timer sweep with 1,000,000 open deadlines vs 10,000, as a ratio
	$(BIN)/python bench/deadline_sweep.py

schemas: install  ## regenerate the committed JSON Schemas after a compatible change
	$(BIN)/python -m appeals_contracts.schemagen

constraints: install  ## re-pin every dependency from the current virtual environment
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check | grep -v '^-e ' > constraints.txt

clean:
	rm -rf $(VENV) .state
