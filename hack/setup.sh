#!/usr/bin/env bash
# Installs what a fresh machine lacks for building and testing lanlb: Debian packages (etcd,
# libpcap headers for the `pcap` addon, the L2 test peers) and the cached kube-apiserver build.
# Idempotent and quick when everything is there.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DEBIAN_FRONTEND=noninteractive

# Every external program that the tests, the lab and the benchmarks run, with the Debian package
# that brings it. A fresh machine of this kind lacks several (ping among them: issue 16).
programs=(
  etcd:etcd-server
  ping:iputils-ping
  arping:arping
  ndisc6:ndisc6
  tcpdump:tcpdump
  ip:iproute2
  nsenter:util-linux
  capsh:libcap2-bin
  nft:nftables
  kubectl:kubernetes-client
  python3:python3
  # Argo CD runs health checks in gopher-lua (Lua 5.1): the tests run config/argocd's scripts on it.
  lua5.1:lua5.1
  curl:curl
  openssl:openssl
  # The one-node cluster of the end-to-end test (hack/cluster.sh) and its images (hack/build-image.sh).
  containerd:containerd
  runc:runc
  iptables:iptables
  buildah:buildah
  debootstrap:debootstrap
  gcc:gcc
  # The benchmark's userspace ARP peer (bench/arp-peer), built against Debian's mdlayher/arp.
  go:golang-go
)
need=()
have() { command -v "$1" >/dev/null 2>&1; }
for entry in "${programs[@]}"; do have "${entry%%:*}" || need+=("${entry#*:}"); done
[[ -f /usr/include/pcap/pcap.h ]] || need+=(libpcap-dev)
[[ -x /usr/lib/cni/bridge ]] || need+=(containernetworking-plugins)
[[ -d /usr/share/gocode/src/github.com/mdlayher/arp ]] || need+=(golang-github-mdlayher-arp-dev)
# gcc -static (the pause image) needs the C library's static archive.
[[ -f /usr/lib/x86_64-linux-gnu/libc.a ]] || need+=(libc6-dev)
[[ -f /usr/lib/x86_64-linux-gnu/lua/5.1/cjson.so || -f /usr/share/lua/5.1/cjson.lua ]] || need+=(lua-cjson)

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# etcd-server's package starts a system etcd on 2379; lanlb's tests run their own on free ports.
if have systemctl && systemctl is-active --quiet etcd 2>/dev/null; then $SUDO systemctl stop etcd || true; fi

# Fail here, naming the program, rather than in a test that would read its absence as "no answer".
missing=()
for entry in "${programs[@]}"; do have "${entry%%:*}" || missing+=("${entry%%:*}"); done
if ((${#missing[@]})); then
  echo "setup: still missing after install: ${missing[*]}" >&2
  exit 1
fi

# kube-apiserver for the integration tests, the node's binaries for the end-to-end test: one
# build on a fresh machine (about 13 minutes on 2 cores), cached in ~/.cache/lanlb after that.
$SUDO bash "$HERE/build-kubernetes.sh" kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy
echo "setup: ready"
