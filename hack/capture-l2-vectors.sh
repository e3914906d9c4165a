#!/usr/bin/env bash
# Captures the frames that test/unit/l2/frame-vectors.test.ts pins, from the Linux kernel, arping
# and ndisc6, on a veth pair between two namespaces this script makes and removes. Prints one
# "name hex" line per frame. Addresses only from 192.0.2.0/24 and 2001:db8::/64.
# Needs root, iproute2, tcpdump, arping, ndisc6 (hack/setup.sh installs them). This machine's
# kernel has no 802.1Q module, so VLAN-tagged vectors are derived in the test from untagged ones.
set -euo pipefail
A=lanlbv-a B=lanlbv-b
MAC_A=02:00:00:00:00:0a MAC_B=02:00:00:00:00:0b
work=$(mktemp -d)
cleanup() {
  [[ -n "${dump:-}" ]] && kill "$dump" 2>/dev/null && wait "$dump" 2>/dev/null
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$A"
ip netns add "$B"
ip link add eth0 netns "$A" type veth peer name eth0 netns "$B"
# A starts with another MAC: changing it to MAC_A later makes its kernel announce (arp_notify,
# ndisc_notify).
for pair in "$A:02:00:00:00:00:0c:1" "$B:$MAC_B:2"; do
  IFS=: read -r ns m1 m2 m3 m4 m5 m6 n <<<"$pair"
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 address "$m1:$m2:$m3:$m4:$m5:$m6"
  ip -n "$ns" link set eth0 up
  ip -n "$ns" addr add "192.0.2.$n/24" dev eth0
  ip -n "$ns" addr add "2001:db8::$n/64" dev eth0 nodad
done
sleep 1

# capture NAME CMD...: runs CMD in A while B's eth0 is captured; prints every frame but B's own
# router solicitations and MLD reports.
capture() {
  local name=$1; shift
  ip netns exec "$B" tcpdump -i eth0 -U -w "$work/$name.pcap" -s 256 2>/dev/null &
  dump=$!
  sleep 0.5
  "$@" >/dev/null 2>&1 || true
  sleep 2
  kill "$dump"; wait "$dump" 2>/dev/null || true; dump=
  python3 - "$work/$name.pcap" "$name" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
i, n = 24, 0
while i + 16 <= len(data):
    incl = struct.unpack('<I', data[i + 8:i + 12])[0]
    frame = data[i + 16:i + 16 + incl]
    i += 16 + incl
    if frame[12:14] == b'\x86\xdd' and (frame[20] == 0 or frame[54] == 133):  # MLD, RS: noise
        continue
    print(f'{sys.argv[2]}.{n} {frame.hex()}')
    n += 1
PY
}

# The kernel's gratuitous ARP (request form, RFC 5227 3) and unsolicited NA (RFC 4861 7.2.6)
# when A's MAC changes.
ip netns exec "$A" sysctl -qw net.ipv4.conf.eth0.arp_notify=1 net.ipv6.conf.eth0.ndisc_notify=1
capture kernel-announce ip -n "$A" link set eth0 address "$MAC_A"
ip netns exec "$A" sysctl -qw net.ipv4.conf.eth0.arp_notify=0 net.ipv6.conf.eth0.ndisc_notify=0
# Habets' arping: gratuitous ARP in reply form (-U -P: target MAC broadcast, as MetalLB sends).
capture garp-reply ip netns exec "$A" arping -c 1 -U -P -S 192.0.2.1 -I eth0 192.0.2.1
# DAD (RFC 4862 5.4): A claims B's address with DAD on; B's kernel defends it to all nodes.
capture dad ip -n "$A" addr add 2001:db8::2/64 dev eth0
