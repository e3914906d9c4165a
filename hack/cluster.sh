#!/usr/bin/env bash
# A real one-node Kubernetes 1.20.2 cluster inside network namespaces, for end-to-end tests:
#   hack/cluster.sh up        etcd, kube-apiserver, controller-manager, scheduler, containerd, kubelet
#                             and kube-proxy (iptables) in namespace lanlb-node (node e2e-node); a LAN host in lanlb-lan
#   hack/cluster.sh down      stops what `up` started (by pid), removes namespaces, mounts, cgroups,
#                             and restores the sysctls kubelet changes
#   hack/cluster.sh kubectl ARGS...   kubectl as cluster admin (inside lanlb-node)
#   hack/cluster.sh lan CMD...        a command on the LAN host
#   hack/cluster.sh import FILE...    imports OCI archives into the node's containerd
# Binaries: hack/build-kubernetes.sh (cached); images: hack/build-image.sh. Addresses only from
# 198.18.0.0/15: node 198.18.0.10 and LAN host 198.18.0.100 on one veth link (198.18.0.0/24),
# pods 198.18.16.0/24, Services 198.18.32.0/24. Facts this relies on (issue 12):
# - `nsenter --net=` keeps /sys as it is (`ip netns exec` remounts it and runc then finds no cgroup);
# - without CAP_SYS_RESOURCE every sandbox fails unless containerd restricts oom_score_adj and
#   kubelet and kube-proxy keep oomScoreAdj 0.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${LANLB_CACHE_DIR:-$HOME/.cache/lanlb}"
BIN="$CACHE_DIR/bin"
STATE="${LANLB_CLUSTER_DIR:-/var/lib/lanlb-cluster}"
NODE_NS=lanlb-node
NODE_NAME=e2e-node
LAN_NS=lanlb-lan
NODE_IP=198.18.0.10
LAN_IP=198.18.0.100
POD_CIDR=198.18.16.0/24
SERVICE_CIDR=198.18.32.0/24
KUBERNETES_SERVICE_IP=198.18.32.1
# Global sysctls kubelet sets when protectKernelDefaults is off; saved by `up`, restored by `down`.
KERNEL_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

in_node() { nsenter --net="/run/netns/$NODE_NS" "$@"; }
in_lan() { nsenter --net="/run/netns/$LAN_NS" "$@"; }
kc() { in_node kubectl --kubeconfig="$STATE/admin.kubeconfig" "$@"; }
log() { echo "cluster: $*" >&2; }

# Starts a long-running program in the node's namespace, logs to STATE/logs/NAME.log, pid in
# STATE/pids/NAME. setsid: its own process group, so a terminal's signals do not reach it.
start() {
  local name="$1"
  shift
  setsid nsenter --net="/run/netns/$NODE_NS" "$@" >"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/pids/$name"
}

wait_for() {
  local what="$1" seconds="$2" i
  shift 2
  for ((i = 0; i < seconds * 4; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  log "timed out after ${seconds}s waiting for $what"
  return 1
}

network() {
  ip netns add "$NODE_NS"
  ip netns add "$LAN_NS"
  ip link add lanlb-n0 type veth peer name lanlb-l0
  ip link set lanlb-n0 netns "$NODE_NS"
  ip link set lanlb-l0 netns "$LAN_NS"
  in_node ip link set lanlb-n0 name eth0
  in_lan ip link set lanlb-l0 name lan0
  in_node ip addr add "$NODE_IP/24" dev eth0
  in_lan ip addr add "$LAN_IP/24" dev lan0
  for ns in "$NODE_NS" "$LAN_NS"; do nsenter --net="/run/netns/$ns" ip link set lo up; done
  in_node ip link set eth0 up
  in_lan ip link set lan0 up
  # No default route: nothing in these namespaces can send to an address outside 198.18.0.0/15.
  # Service addresses need a route for the socket to be made at all (kube-proxy's DNAT follows).
  in_node ip route add "$SERVICE_CIDR" dev eth0
  # Namespaced sysctls: they vanish with the namespace.
  in_node sysctl -qw net.ipv4.ip_forward=1
  in_node sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
}

certificates() {
  local d="$STATE/pki"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
    -subj /CN=lanlb-e2e-ca 2>/dev/null
  cat >"$d/apiserver.ext" <<EOF
subjectAltName = IP:$NODE_IP, IP:$KUBERNETES_SERVICE_IP, IP:127.0.0.1, DNS:kubernetes, DNS:kubernetes.default, \
  DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage = serverAuth
EOF
  openssl req -newkey rsa:2048 -nodes -keyout "$d/apiserver.key" -out "$d/apiserver.csr" \
    -subj /CN=kube-apiserver 2>/dev/null
  openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -out "$d/apiserver.crt" -days 2 -extfile "$d/apiserver.ext" 2>/dev/null
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

# Static tokens: one per component, each with the user name and groups its RBAC expects.
kubeconfigs() {
  local user groups token tokens="$STATE/pki/tokens.csv"
  : >"$tokens"
  # kubeconfig name|user|groups (user names contain colons).
  for entry in "admin|lanlb-admin|system:masters" "kubelet|system:node:e2e-node|system:nodes" \
    "kube-proxy|system:kube-proxy|" "controller-manager|system:kube-controller-manager|" \
    "scheduler|system:kube-scheduler|"; do
    local name
    IFS='|' read -r name user groups <<<"$entry"
    token="$(openssl rand -hex 24)"
    echo "$token,$user,$user,\"$groups\"" >>"$tokens"
    cat >"$STATE/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster: {server: "https://$NODE_IP:6443", certificate-authority: "$STATE/pki/ca.crt"}
users:
  - name: $name
    user: {token: "$token"}
contexts:
  - name: e2e
    context: {cluster: e2e, user: $name}
current-context: e2e
EOF
  done
}

control_plane() {
  start etcd /usr/bin/etcd --name=e2e --data-dir="$STATE/etcd" --listen-client-urls=http://127.0.0.1:2379 \
    --advertise-client-urls=http://127.0.0.1:2379 --listen-peer-urls=http://127.0.0.1:2380 \
    --unsafe-no-fsync --log-level=warn --logger=zap
  wait_for etcd 20 in_node curl -sf http://127.0.0.1:2379/health
  start kube-apiserver "$BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
    --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port=6443 \
    --tls-cert-file="$STATE/pki/apiserver.crt" --tls-private-key-file="$STATE/pki/apiserver.key" \
    --client-ca-file="$STATE/pki/ca.crt" --token-auth-file="$STATE/pki/tokens.csv" \
    --authorization-mode=Node,RBAC --anonymous-auth=false \
    --service-account-key-file="$STATE/pki/sa.pub" --service-account-signing-key-file="$STATE/pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc --api-audiences=https://kubernetes.default.svc \
    --service-cluster-ip-range="$SERVICE_CIDR" --allow-privileged=true --profiling=false \
    --kubelet-preferred-address-types=InternalIP
  wait_for kube-apiserver 60 kc get --raw /readyz
  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$STATE/controller-manager.kubeconfig" --leader-elect=false --bind-address=127.0.0.1 \
    --port=0 --secure-port=0 --use-service-account-credentials=true \
    --service-account-private-key-file="$STATE/pki/sa.key" --root-ca-file="$STATE/pki/ca.crt" \
    --cluster-cidr="$POD_CIDR" --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$STATE/scheduler.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --port=0 --secure-port=0 --profiling=false
}

containerd_config() {
  mkdir -p "$STATE/cni/net.d" "$STATE/containerd"
  cat >"$STATE/cni/net.d/10-e2e.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "e2e", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$STATE/cni/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
  cat >"$STATE/containerd/config.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
[grpc]
  address = "$STATE/containerd.sock"
[ttrpc]
  address = "$STATE/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "lanlb.test/pause:3.5"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
EOF
}

node_agents() {
  containerd_config
  start containerd /usr/bin/containerd --config="$STATE/containerd/config.toml"
  wait_for containerd 20 ctr --address="$STATE/containerd.sock" version
  cat >"$STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
cgroupDriver: cgroupfs
oomScoreAdj: 0
failSwapOn: false
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
clusterDomain: cluster.local
resolvConf: $STATE/resolv.conf
evictionHard: {memory.available: 50Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
  echo "nameserver $LAN_IP" >"$STATE/resolv.conf"
  start kubelet "$BIN/kubelet" --config="$STATE/kubelet.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
    --container-runtime=remote --container-runtime-endpoint="unix://$STATE/containerd.sock" \
    --root-dir="$STATE/kubelet" --cert-dir="$STATE/kubelet/pki" --hostname-override="$NODE_NAME" \
    --node-ip="$NODE_IP" --pod-cidr="$POD_CIDR"
  cat >"$STATE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $STATE/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
clusterCIDR: $POD_CIDR
oomScoreAdj: 0
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
# 0: leave the (global) conntrack sysctls alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  start kube-proxy "$BIN/kube-proxy" --config="$STATE/kube-proxy.yaml"
  wait_for "node $NODE_NAME Ready" 90 node_ready || { tail -20 "$STATE/logs/kubelet.log" >&2; return 1; }
}

node_ready() {
  [[ "$(kc get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

up() {
  [[ -e "$STATE/up" ]] && { log "already up (state in $STATE); run down first"; exit 1; }
  bash "$HERE/build-kubernetes.sh" kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy >&2
  mkdir -p "$STATE/pids" "$STATE/logs"
  touch "$STATE/up"
  trap 'log "up failed: stopping what it started"; down' ERR
  ls /run/netns 2>/dev/null >"$STATE/netns.before" || : >"$STATE/netns.before"
  # `ip netns add` bind-mounts /run/netns onto itself the first time; undone by down if so.
  mountpoint -q /run/netns || touch "$STATE/netns.mount-ours"
  # kubelet writes container logs to /var/log/pods and /var/log/containers (not configurable in 1.20).
  ls /var/log/pods /var/log/containers 2>/dev/null >"$STATE/logs.before" || : >"$STATE/logs.before"
  for s in "${KERNEL_SYSCTLS[@]}"; do echo "$s=$(sysctl -n "$s")"; done >"$STATE/sysctl.saved"
  network
  certificates
  kubeconfigs
  control_plane
  node_agents
  log "up: kubectl with hack/cluster.sh kubectl ...; state in $STATE"
}

import_images() {
  local f
  for f in "$@"; do
    ctr --address="$STATE/containerd.sock" -n k8s.io images import "$f" >/dev/null
  done
}

# Every process whose command line names the state directory was started by `up` or by the
# containerd it started (shims and their containers): TERM them, then KILL what is left.
stop_processes() {
  local name pids
  for name in kubelet kube-proxy; do
    [[ -f "$STATE/pids/$name" ]] && kill "$(cat "$STATE/pids/$name")" 2>/dev/null || true
  done
  if [[ -S "$STATE/containerd.sock" ]]; then
    local c=(ctr --address="$STATE/containerd.sock" -n k8s.io) id
    for id in $("${c[@]}" tasks ls -q 2>/dev/null); do "${c[@]}" tasks kill -s SIGKILL "$id" 2>/dev/null || true; done
    sleep 0.5
    for id in $("${c[@]}" tasks ls -q 2>/dev/null); do "${c[@]}" tasks rm -f "$id" >/dev/null 2>&1 || true; done
    for id in $("${c[@]}" containers ls -q 2>/dev/null); do "${c[@]}" containers rm "$id" >/dev/null 2>&1 || true; done
  fi
  for name in containerd kube-scheduler kube-controller-manager kube-apiserver etcd; do
    [[ -f "$STATE/pids/$name" ]] && kill "$(cat "$STATE/pids/$name")" 2>/dev/null || true
  done
  for _ in $(seq 1 40); do
    pids="$(ours)"
    [[ -z "$pids" ]] && return 0
    sleep 0.25
  done
  # shellcheck disable=SC2086
  kill -9 $(ours) 2>/dev/null || true
}

ours() {
  local pid
  for pid in $(cat "$STATE"/pids/* 2>/dev/null); do [[ -d /proc/$pid ]] && echo "$pid"; done
  local f args
  for f in /proc/[0-9]*/cmdline; do
    mapfile -d '' args <"$f" 2>/dev/null || continue
    pid="${f#/proc/}"
    pid="${pid%/cmdline}"
    [[ "$pid" != "$$" && "${args[*]}" == *"$STATE/"* ]] && echo "$pid"
  done
  return 0
}

unmount_all() {
  local m
  # Deepest first; pod namespaces the CNI made are the /run/netns entries that were not there before.
  for m in $(awk '{print $2}' /proc/mounts | grep -E "^$STATE/" | sort -r); do umount -l "$m" 2>/dev/null || true; done
  for m in $(ls /run/netns 2>/dev/null | grep '^cni-' || true); do
    grep -qx "$m" "$STATE/netns.before" 2>/dev/null || ip netns delete "$m" 2>/dev/null || true
  done
}

# Kubelet's cgroups (kubepods, pods', containers') in every v1 hierarchy, leaves first.
remove_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/kubepods; do
    [[ -d "$d" ]] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

remove_pod_logs() {
  local d f
  for d in /var/log/pods /var/log/containers; do
    for f in $(ls "$d" 2>/dev/null); do grep -qx "$f" "$STATE/logs.before" 2>/dev/null || rm -rf "${d:?}/$f"; done
  done
}

down() {
  trap - ERR
  [[ -d "$STATE" ]] || { log "not up"; return 0; }
  stop_processes
  unmount_all
  remove_cgroups
  remove_pod_logs
  ip netns delete "$LAN_NS" 2>/dev/null || true
  ip netns delete "$NODE_NS" 2>/dev/null || true
  if [[ -e "$STATE/netns.mount-ours" && -z "$(ls -A /run/netns)" ]]; then
    umount /run/netns 2>/dev/null || true
  fi
  if [[ -f "$STATE/sysctl.saved" ]]; then
    while IFS= read -r line; do sysctl -qw "$line" || log "could not restore $line"; done <"$STATE/sysctl.saved"
  fi
  rm -rf "$STATE"
  log "down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  kubectl) shift; kc "$@" ;;
  lan) shift; in_lan "$@" ;;
  node) shift; in_node "$@" ;;
  import) shift; import_images "$@" ;;
  *) echo "usage: $0 up|down|kubectl ARGS|lan CMD|node CMD|import FILE..." >&2; exit 2 ;;
esac
