#!/usr/bin/env bash
# Checks the deployment files: Prometheus config, rules and their unit tests, the hub's
# metrics text (promtool lint), docker-compose.yml, and every dashboard query against a
# real Prometheus. Runs every step, prints each result, exits non-zero if any failed.
#
#   scripts/check-deploy.sh
#
# Needs: promtool + prometheus (Debian package `prometheus`), docker-compose (Debian
# package `docker-compose`; or the docker compose plugin), node + npm deps installed.
# CHECK_DEPLOY_LIVE=0 skips the live-Prometheus query step (it takes ~10 s).
set -uo pipefail

cd "$(dirname "$0")/.."
failed=()

step() {
  local name=$1
  shift
  printf '== %s\n' "$name"
  if "$@"; then
    printf '   ok\n'
  else
    printf '   FAILED: %s\n' "$name"
    failed+=("$name")
  fi
}

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    printf 'missing tool: %s (%s)\n' "$1" "$2"
    failed+=("tool $1")
    return 1
  fi
}

compose() {
  if command -v docker-compose >/dev/null 2>&1; then
    docker-compose "$@"
  elif docker compose version >/dev/null 2>&1; then
    docker compose "$@"
  else
    printf 'missing tool: docker-compose (apt-get install docker-compose)\n'
    return 1
  fi
}

lint_metrics() {
  # the exporter over a fake county; prom-client's default process gauges are left out
  # (their *_total gauge names are prom-client's, not ours, and fail the lint)
  local text
  text=$(npx --no-install tsx src/metrics/print-fake-metrics.ts) || return 1
  [ -n "$text" ] || return 1
  printf '%s\n' "$text" | promtool check metrics
}

if need promtool 'apt-get install prometheus'; then
  step 'promtool check config' promtool check config deploy/prometheus/prometheus.yml
  step 'promtool check rules' promtool check rules deploy/prometheus/rules.yml
  step 'promtool test rules' bash -c 'cd deploy/prometheus && promtool test rules rules.test.yml'
  step 'promtool check metrics (hub exporter)' lint_metrics
fi

step 'docker-compose config' compose -f docker-compose.yml config -q

if [ "${CHECK_DEPLOY_LIVE:-1}" != 0 ]; then
  if need prometheus 'apt-get install prometheus'; then
    step 'dashboard queries on a live Prometheus' npx --no-install tsx test/deploy/live-queries.ts
    step 'Prometheus scrapes the demo hub; county online rate read back' npx --no-install tsx test/deploy/prometheus-demo-hub.ts
  fi
else
  printf '== dashboard queries on a live Prometheus: skipped (CHECK_DEPLOY_LIVE=0)\n'
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf '\ncheck-deploy: %d failed: %s\n' "${#failed[@]}" "${failed[*]}"
  exit 1
fi
printf '\ncheck-deploy: all ok\n'
