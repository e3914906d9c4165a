#!/usr/bin/env bash
# Builds Kubernetes 1.20.2 binaries once from Debian's `kubernetes` source package and caches them
# outside the repo: `hack/build-kubernetes.sh kube-apiserver kubelet ...`. Only the binaries whose
# cached copy is missing are built (all of them with LANLB_REBUILD=1), in one `make`.
#
# Why from source: no registry we reach ships Kubernetes server binaries; Debian bookworm ships the
# 1.20.2 source. Why the reflect2 patch: Kubernetes 1.20 vendors modern-go/reflect2 v1.0.1,
# whose mapiterinit linkname does not match Go >= 1.18's runtime, and the apiserver dies with
# `fatal error: fault` on the first custom-resource write (fixed upstream in reflect2 1.0.2).
set -euo pipefail

CACHE_DIR="${LANLB_CACHE_DIR:-$HOME/.cache/lanlb}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
(($#)) || { echo "usage: $0 BINARY..." >&2; exit 2; }

missing=()
for name in "$@"; do
  if [[ -x "$CACHE_DIR/bin/$name" && "${LANLB_REBUILD:-0}" != "1" ]]; then
    echo "$name cached at $CACHE_DIR/bin/$name"
  else
    missing+=("$name")
  fi
done
((${#missing[@]})) || exit 0

export DEBIAN_FRONTEND=noninteractive
# deb-src derived from the existing deb entries, so the mirror and suites are the machine's own.
SRC_LIST=/etc/apt/sources.list.d/lanlb-deb-src.sources
if [[ ! -f "$SRC_LIST" ]]; then
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ "$f" == "$SRC_LIST" ]] && continue
    sed -n '/^Types:/,$p' "$f" | sed 's/^Types: deb$/Types: deb-src/' | grep -q 'deb-src' || continue
    sed 's/^Types: deb$/Types: deb-src/' "$f"
    echo
  done >"$SRC_LIST"
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends dpkg-dev golang-go rsync >/dev/null

# A work tree of its own per run, so two builds (setup and a cluster script) never share one.
WORK="$CACHE_DIR/src.$$"
trap 'rm -rf "$WORK"' EXIT
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
apt-get source -qq --download-only kubernetes=1.20.2* >/dev/null 2>&1 ||
  apt-get source -qq --download-only kubernetes >/dev/null
dpkg-source --no-check -x kubernetes_*.dsc kubernetes >/dev/null
cd kubernetes

"$HERE/patch-reflect2.sh" vendor/github.com/modern-go/reflect2

# Debian's golang is newer than 1.20 expects; GOFLAGS keeps the vendored tree authoritative.
export GOFLAGS=-mod=vendor GO111MODULE=on GOTOOLCHAIN=local
export KUBE_GIT_VERSION=v1.20.2 KUBE_GIT_TREE_STATE=clean
what="${missing[*]/#/cmd/}"
echo "building ${missing[*]} (several minutes per binary on 2 cores; log: $CACHE_DIR/build.log)"
make WHAT="$what" KUBE_BUILD_PLATFORMS=linux/amd64 >"$CACHE_DIR/build.log" 2>&1 || {
  tail -40 "$CACHE_DIR/build.log"; exit 1; }
mkdir -p "$CACHE_DIR/bin"
for name in "${missing[@]}"; do
  src=_output/local/go/bin/$name
  [[ -x "$src" ]] || src=_output/bin/$name
  install -m 0755 "$src" "$CACHE_DIR/bin/$name"
  echo "$name built at $CACHE_DIR/bin/$name"
done
