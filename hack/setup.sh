#!/usr/bin/env bash
# Installs what a fresh machine lacks for building and testing lanlb: Debian packages (etcd,
# libpcap headers for the `pcap` addon, the L2 test peers) and the cached kube-apiserver build.
# Idempotent and quick when everything is there.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DEBIAN_FRONTEND=noninteractive

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have etcd || need+=(etcd-server)
[[ -f /usr/include/pcap/pcap.h ]] || need+=(libpcap-dev)
have arping || need+=(arping)
have ndisc6 || need+=(ndisc6)
have tcpdump || need+=(tcpdump)
have ip || need+=(iproute2)
have kubectl || need+=(kubernetes-client)
have python3 || need+=(python3)
# Argo CD runs health checks in gopher-lua (Lua 5.1): the tests run config/argocd's scripts on it.
have lua5.1 || need+=(lua5.1)
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

$SUDO bash "$HERE/build-apiserver.sh"
echo "setup: ready"
