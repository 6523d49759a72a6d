# The two commands a newcomer needs are `make dev` and `make test`; the rest are for
# building, deploying and measuring.
.PHONY: dev test build lint bench tools invoke openapi metrics

dev:            ## run Gatehouse locally: moto + local gateway on 127.0.0.1:3000 + a bootstrap tenant and key
	infra/scripts/dev.sh

test:           ## every check and test, against a moto server it starts and stops
	infra/scripts/test.sh

build:          ## sam build: release arm64 Lambda bundles through cargo-lambda
	infra/scripts/build.sh

invoke:         ## one function, one sample event, against `make dev`'s stack: make invoke FUNCTION=authorizer EVENT=events/authorizer/deny-malformed-key.json
	infra/scripts/invoke.sh "$(FUNCTION)" "$(EVENT)"

metrics:        ## what `make dev`'s gateway measured lately: requests per route and EMF metrics (MINUTES=5)
	cargo run --quiet -p gatehouse-devtools --bin gatehouse-admin -- metrics --minutes $${MINUTES:-5}

openapi:        ## regenerate shared/openapi.json from the route declaration and the handlers' types
	cargo run --quiet -p gatehouse-devtools --bin gatehouse-admin -- openapi --out shared/openapi.json

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

bench:          ## benchmarks; results go to bench/RESULTS.md by hand, with the command
	infra/scripts/bench.sh

tools:
	infra/scripts/ensure-tools.sh
