#!/usr/bin/env bash
# Formats lanlb's C++ (packages/pcap) with clang-format and the repository's .clang-format;
# `--check` only reports (npm run lint), exit 1 when a file would change.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v clang-format >/dev/null || { echo "clang-format: not installed (bash hack/setup.sh --all)" >&2; exit 1; }
files=(packages/pcap/*.cc packages/pcap/*.h)
if [[ "${1:-}" == "--check" ]]; then
  clang-format --dry-run --Werror "${files[@]}"
else
  clang-format -i "${files[@]}"
fi
