#!/usr/bin/env bash
# The README's main job: sets up a fresh Debian machine (Node 24, pnpm, dependencies, a Docker engine,
# a local registry and base images), builds Berth, and deploys examples/hello-agent to the local
# Docker engine through Berth's public API. Run it again: the second deploy is a quick `noop`.
# Extra arguments go to the example: `bash scripts/main.sh status|history|fail|down`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh
bash scripts/test-env.sh --only docker,registry,images >&2
pnpm -s build >/dev/null
exec node examples/hello-agent/deploy.ts "$@"
