#!/usr/bin/env bash
# The cached kube-apiserver that every integration test runs (see build-kubernetes.sh).
set -euo pipefail
exec bash "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/build-kubernetes.sh" kube-apiserver
