#!/usr/bin/env bash
# run-job.sh <resource group> <job name>: starts a Container Apps job (the migration job) and waits for it;
# exits non-zero unless the execution succeeded. Used by .github/workflows/deploy.yml.
set -euo pipefail
rg=$1 job=$2
execution=$(az containerapp job start -g "$rg" -n "$job" --query name -o tsv)
echo "started $job execution $execution"
for _ in $(seq 1 180); do
  status=$(az containerapp job execution show -g "$rg" -n "$job" --job-execution-name "$execution" --query properties.status -o tsv)
  case "$status" in
    Succeeded) echo "$job: succeeded"; exit 0 ;;
    Failed|Stopped|Degraded) echo "$job: $status (see the job's logs in Log Analytics: ContainerAppConsoleLogs_CL)" >&2; exit 1 ;;
  esac
  sleep 10
done
echo "$job: still $status after 30 minutes" >&2
exit 1
