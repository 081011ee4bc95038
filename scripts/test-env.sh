#!/usr/bin/env bash
# The integration-test environment: scripts/test-env/main.ts (docs/test-environment.md; --help).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The program runs on Node >= 22.18 (type stripping) with dockerode installed: scripts/setup.sh provides both.
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null ||
  [ ! -d node_modules/dockerode ]; then
  . scripts/setup.sh
fi
exec node scripts/test-env/main.ts "$@"
