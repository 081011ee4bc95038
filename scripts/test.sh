#!/usr/bin/env bash
# The README's test command: installs what is missing, starts the integration environment (Docker
# engine, registry, sshd and test hosts, base images), then runs every test, unit and integration.
# Extra arguments go to vitest, e.g. `bash scripts/test.sh --project unit`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh
bash scripts/test-env.sh
exec pnpm exec vitest run "$@"
