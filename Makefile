# The CRM's commands. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
UV := uv run

help: ## list the commands
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

install: ## install what is missing (Python env, Kafka jars, PostgreSQL, Chromium, fonts)
	@deploy/install.sh

up: install ## set up and run the whole system in the foreground (Kafka, SMTP sink, services, gateway, demo data)
	@$(UV) python -m deploy.local up

start: install ## the same in the background; returns when all are healthy
	@$(UV) python -m deploy.local start

stop: ## stop what `make start` started
	@$(UV) python -m deploy.local stop

test: install ## the whole test suite (starts Kafka, PostgreSQL and SMTP sinks itself)
	@deploy/kafka/kafka.sh start >/dev/null
	@deploy/postgres/pg.sh start >/dev/null
	@$(UV) pytest $(PYTEST_ARGS)

fuzz: install ## schemathesis over the whole API, with and without a token: no 5xx, every answer in its schema
	@deploy/kafka/kafka.sh start >/dev/null
	@CRM_FUZZ=1 $(UV) pytest tests/fuzz -m fuzz -q -p no:cacheprovider $(PYTEST_ARGS)

lint: ## ruff, mypy, the service shape (import-linter), drift of asyncapi.yaml, openapi.json, docs/configuration.md; AsyncAPI parser, Redocly, k8s-validate
	@$(UV) ruff check .
	@$(UV) ruff format --check .
	@$(UV) mypy contracts/src kit/src services/*/src deploy bench
	@$(UV) lint-imports --no-cache >/dev/null || $(UV) lint-imports --no-cache
	@$(UV) python -m crm_contracts.asyncapi --check
	@$(UV) python -m deploy.configdoc --check
	@$(UV) python -m crm_gateway.contract --check
	@$(UV) openapi-spec-validator contracts/openapi.json
	@npm run -s --prefix contracts/tools/checks check
	@npm run -s --prefix contracts/tools/checks lint-openapi
	@deploy/k8s/validate.sh >/dev/null

k8s-validate: ## render deploy/k8s (base, production) with kustomize, validate against the Kubernetes schemas (strict)
	@deploy/k8s/validate.sh

k8s-play: ## run the kustomize base with `podman kube play` (images of `make images`), check a login and a partner, tear down
	@deploy/k8s/play.sh up

k8s-play-down: ## remove what `CRM_K8S_PLAY_KEEP=1 make k8s-play` left running
	@deploy/k8s/play.sh down

asyncapi: ## regenerate contracts/asyncapi.yaml from the contracts
	@$(UV) python -m crm_contracts.asyncapi --write

bench: install ## run the benchmarks (each prints a ratio against a raw baseline)
	@deploy/kafka/kafka.sh start >/dev/null
	@deploy/postgres/pg.sh start >/dev/null
	@$(UV) python -m bench

bench-table: ## rewrite README's benchmark table from bench/results/latest.jsonl (newest figure, spread of 3 runs)
	@$(UV) python -m bench.table --write

images: ## build the container images (crm, crm-kafka, crm-postgres) with podman; base image cached in var/images
	@deploy/images/build.sh

compose-up: images ## run the whole system in containers (3 Kafka brokers, PostgreSQL, 2 notifiers), demo data loaded
	@deploy/compose.sh up

compose-down: ## stop and remove the containers of `make compose-up` (data volumes are kept)
	@deploy/compose.sh down

compose-test: compose-up ## the container stack's journey test against `make compose-up`
	@deploy/compose.sh test

test-containers: images ## e2e journeys and the broker-down fault test with Kafka, PostgreSQL, SMTP in containers
	@deploy/images/engine.sh start
	@env -u CRM_KAFKA_BOOTSTRAP -u CRM_TEST_PG_URL $$(deploy/images/engine.sh env) $(UV) pytest tests/e2e/test_journeys.py tests/e2e/test_broker_down.py $(PYTEST_ARGS)

clean: ## stop servers and delete var/ (all local data)
	-@$(UV) python -m deploy.local stop
	-@deploy/kafka/kafka.sh stop
	-@deploy/postgres/pg.sh stop
	rm -rf var

openapi: ## regenerate contracts/openapi.json from the apps (no service needs to run)
	@$(UV) python -m crm_gateway.contract --write
