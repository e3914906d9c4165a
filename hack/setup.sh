#!/usr/bin/env bash
# Installs what a fresh machine lacks for lanlb, in two sizes:
#   bash hack/setup.sh         what `npm ci` and `npm run lab` need: etcd, libpcap headers for the
#                              `pcap` addon, the L2 peers, and the cached kube-apiserver build
#                              (about 4 minutes on 2 cores, once);
#   bash hack/setup.sh --all   also what the whole test suite and the benchmarks run: the one-node
#                              cluster's packages (containerd, runc, CNI, buildah, debootstrap),
#                              promtool, Argo CD's Lua, the Go ARP peer, and the node binaries
#                              (kubelet, kube-proxy, scheduler, controller-manager: about 10
#                              minutes more, once).
# Idempotent and quick when everything is there. Issue 25: the lab must not wait for what only
# the end-to-end test needs.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DEBIAN_FRONTEND=noninteractive

all=0
case "${1:-}" in
  "") ;;
  --all) all=1 ;;
  *) echo "usage: $0 [--all]" >&2; exit 2 ;;
esac

# Every external program that the lab and the L2 tests run, with the Debian package that brings
# it. A fresh machine of this kind lacks several (ping among them: issue 16).
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
  curl:curl
  openssl:openssl
  # kube-apiserver is built from Debian's source package with Debian's Go.
  go:golang-go
)
if ((all)); then
  programs+=(
    # Argo CD runs health checks in gopher-lua (Lua 5.1): the tests run config/argocd's scripts on it.
    lua5.1:lua5.1
    # config/prometheus's rules are checked and unit-tested with promtool.
    promtool:prometheus
    # npm run lint checks the C++ of packages/pcap.
    clang-format:clang-format
    # The one-node cluster of the end-to-end test (hack/cluster.sh) and its images (hack/build-image.sh).
    containerd:containerd
    runc:runc
    iptables:iptables
    buildah:buildah
    debootstrap:debootstrap
    gcc:gcc
  )
fi
need=()
have() { command -v "$1" >/dev/null 2>&1; }
for entry in "${programs[@]}"; do have "${entry%%:*}" || need+=("${entry#*:}"); done
[[ -f /usr/include/pcap/pcap.h ]] || need+=(libpcap-dev)
if ((all)); then
  [[ -x /usr/lib/cni/bridge ]] || need+=(containernetworking-plugins)
  # The benchmark's userspace ARP peer (bench/arp-peer), built against Debian's mdlayher/arp.
  [[ -d /usr/share/gocode/src/github.com/mdlayher/arp ]] || need+=(golang-github-mdlayher-arp-dev)
  # gcc -static (the pause image) needs the C library's static archive.
  [[ -f /usr/lib/x86_64-linux-gnu/libc.a ]] || need+=(libc6-dev)
  [[ -f /usr/lib/x86_64-linux-gnu/lua/5.1/cjson.so || -f /usr/share/lua/5.1/cjson.lua ]] || need+=(lua-cjson)
fi

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# etcd-server's package starts a system etcd on 2379, prometheus a server on 9090; lanlb's tests
# run their own etcd on free ports and need no Prometheus server (promtool alone).
for unit in etcd prometheus prometheus-node-exporter; do
  if have systemctl && systemctl is-active --quiet "$unit" 2>/dev/null; then $SUDO systemctl stop "$unit" || true; fi
done

# Fail here, naming the program, rather than in a test that would read its absence as "no answer".
missing=()
for entry in "${programs[@]}"; do have "${entry%%:*}" || missing+=("${entry%%:*}"); done
if ((${#missing[@]})); then
  echo "setup: still missing after install: ${missing[*]}" >&2
  exit 1
fi

# kube-apiserver for the lab and the integration tests; with --all the node's binaries for the
# end-to-end test too. Built once, cached in ~/.cache/lanlb after that.
binaries=(kube-apiserver)
((all)) && binaries+=(kube-controller-manager kube-scheduler kubelet kube-proxy)
$SUDO bash "$HERE/build-kubernetes.sh" "${binaries[@]}"
echo "setup: ready"
