#!/usr/bin/env bash
# Builds kube-apiserver 1.20.2 once from Debian's `kubernetes` source package and caches it
# outside the repo. Rebuilt only when the cached binary is missing (or LANLB_REBUILD=1).
#
# Why from source: no registry we reach ships a kube-apiserver binary; Debian bookworm ships the
# 1.20.2 source. Why the reflect2 patch: Kubernetes 1.20 vendors modern-go/reflect2 v1.0.1,
# whose mapiterinit linkname does not match Go >= 1.18's runtime, and the apiserver dies with
# `fatal error: fault` on the first custom-resource write (fixed upstream in reflect2 1.0.2).
set -euo pipefail

CACHE_DIR="${LANLB_CACHE_DIR:-$HOME/.cache/lanlb}"
BIN="$CACHE_DIR/bin/kube-apiserver"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ -x "$BIN" && "${LANLB_REBUILD:-0}" != "1" ]]; then
  echo "kube-apiserver cached at $BIN"
  exit 0
fi

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

WORK="$CACHE_DIR/src"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
apt-get source -qq --download-only kubernetes=1.20.2* >/dev/null 2>&1 || apt-get source -qq --download-only kubernetes >/dev/null
dpkg-source --no-check -x kubernetes_*.dsc kubernetes >/dev/null
cd kubernetes

"$HERE/patch-reflect2.sh" vendor/github.com/modern-go/reflect2

# Debian's golang is newer than 1.20 expects; GOFLAGS keeps the vendored tree authoritative.
export GOFLAGS=-mod=vendor GO111MODULE=on GOTOOLCHAIN=local
export KUBE_GIT_VERSION=v1.20.2 KUBE_GIT_TREE_STATE=clean
make WHAT=cmd/kube-apiserver KUBE_BUILD_PLATFORMS=linux/amd64 >"$CACHE_DIR/build.log" 2>&1 || {
  tail -40 "$CACHE_DIR/build.log"; exit 1; }
mkdir -p "$CACHE_DIR/bin"
install -m 0755 _output/local/go/bin/kube-apiserver "$BIN" 2>/dev/null ||
  install -m 0755 _output/bin/kube-apiserver "$BIN"
cd "$CACHE_DIR" && rm -rf "$WORK"
echo "kube-apiserver built at $BIN"
