#!/usr/bin/env bash
# Fails when generated/ differs from what crds/ produce (CI's drift check).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent codegen >/dev/null
if [[ -n "$(git status --porcelain -- generated config/crd/bases docs/reference.md)" ]]; then
  echo "generated/ drifted from crds/: run 'npm run codegen' and commit the result" >&2
  git status --short -- generated config/crd/bases docs/reference.md >&2
  git --no-pager diff --stat -- generated config/crd/bases docs/reference.md >&2
  exit 1
fi
echo "codegen: generated/ matches crds/"
