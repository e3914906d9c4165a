// The frame generator of `npm run bench -- --only scale` (issue 28, the wire side): K simulated
// announcers' heartbeat frames (docs/contract.md: EtherType 0x88B5, HMAC-SHA256) on one
// interface of a namespace the benchmark made, each peer at RATE frames a second, for SECONDS.
// MODE "auth" signs with the cluster's key and each peer's own MAC; "forged" sends the same
// frames under a wrong key from a different random MAC each, as any host on a LAN could.
// HOLDERS (optional, default PEERS): only that many peers send at RATE, as nodes holding a
// Service do; the others send once a second, as idle nodes do (wire-liveness.ts IDLE_HEARTBEAT_MS).
// ANSWER (optional, "IPv4/COUNT"): peer i answers ARP requests for the i-th address from IPv4
// (i < COUNT) with its MAC, as the holder of that Service's VIP does: the benchmark names those
// peers holders of Services (so that the measured node watches them), and the holders' audits
// and probes must find them answering.
// Prints one line: the frames sent. Standard library only (AF_PACKET socket).
package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func frame(key []byte, src net.HardwareAddr, node string, incarnation, seq uint64, intervalMs uint32) []byte {
	name := []byte(node)
	signed := make([]byte, 0, 26+len(name))
	signed = append(signed, 'L', 'N', 'L', 'B', 1, byte(len(name)))
	signed = append(signed, name...)
	signed = binary.BigEndian.AppendUint64(signed, incarnation)
	signed = binary.BigEndian.AppendUint64(signed, seq)
	signed = binary.BigEndian.AppendUint32(signed, intervalMs)
	m := hmac.New(sha256.New, key)
	m.Write(src)
	m.Write(signed)
	f := make([]byte, 0, 14+len(signed)+32)
	f = append(f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	f = append(f, src...)
	f = append(f, 0x88, 0xb5)
	f = append(f, signed...)
	return m.Sum(f)
}

func main() {
	if len(os.Args) < 7 || len(os.Args) > 9 {
		fail(fmt.Errorf("usage: heartbeat-peers IFACE KEY_HEX PEERS RATE SECONDS auth|forged [HOLDERS [IPv4/COUNT]]"))
	}
	ifi, err := net.InterfaceByName(os.Args[1])
	check(err)
	key, err := hex.DecodeString(os.Args[2])
	check(err)
	peers, _ := strconv.Atoi(os.Args[3])
	rate, _ := strconv.ParseFloat(os.Args[4], 64)
	seconds, _ := strconv.ParseFloat(os.Args[5], 64)
	forged := os.Args[6] == "forged"
	holders := peers
	if len(os.Args) >= 8 {
		holders, _ = strconv.Atoi(os.Args[7])
	}
	if len(os.Args) == 9 {
		go answerArp(ifi, os.Args[8])
	}
	idleEvery := int(rate) // rounds between an idle peer's frames: once a second
	if idleEvery < 1 {
		idleEvery = 1
	}
	if forged {
		key = []byte("not the cluster's key")
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(htons(syscall.ETH_P_ALL)))
	check(err)
	to := &syscall.SockaddrLinklayer{Ifindex: ifi.Index, Protocol: htons(0x88b5), Halen: 6}
	incarnation := uint64(time.Now().UnixMilli())
	seq := make([]uint64, peers)
	sent := 0
	if peers > 0 && rate > 0 {
		// One round sends every peer's next frame; rounds are paced to RATE a second.
		period := time.Duration(float64(time.Second) / rate)
		end := time.Now().Add(time.Duration(seconds * float64(time.Second)))
		round := 0
		for next := time.Now(); next.Before(end); next = next.Add(period) {
			round++
			for p := 0; p < peers; p++ {
				interval := uint32(1000 / rate)
				if p >= holders {
					if (round+p)%idleEvery != 0 {
						continue
					}
					interval = 1000
				}
				mac := peerMac(p)
				if forged {
					mac = make(net.HardwareAddr, 6)
					_, _ = rand.Read(mac)
					mac[0] = mac[0]&0xfe | 0x02
				}
				seq[p]++
				f := frame(key, mac, fmt.Sprintf("peer-%05d", p), incarnation, seq[p], interval)
				if syscall.Sendto(fd, f, 0, to) == nil {
					sent++
				}
			}
			if d := time.Until(next.Add(period)); d > 0 {
				time.Sleep(d)
			}
		}
	}
	fmt.Println(sent)
}

func peerMac(p int) net.HardwareAddr {
	return net.HardwareAddr{0x02, 0x42, 0, byte(p >> 16), byte(p >> 8), byte(p)}
}

// answerArp answers ARP requests (and RFC 5227 probes) for the COUNT addresses from FIRST, the
// i-th with peer i's MAC, until the process exits.
func answerArp(ifi *net.Interface, spec string) {
	ip, n, _ := strings.Cut(spec, "/")
	first := net.ParseIP(ip).To4()
	count, err := strconv.Atoi(n)
	if first == nil || err != nil {
		fail(fmt.Errorf("ANSWER %q: want IPv4/COUNT", spec))
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(htons(syscall.ETH_P_ARP)))
	check(err)
	check(syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ARP), Ifindex: ifi.Index}))
	to := &syscall.SockaddrLinklayer{Ifindex: ifi.Index, Protocol: htons(syscall.ETH_P_ARP), Halen: 6}
	buf := make([]byte, 1600)
	for {
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil || n < 42 || binary.BigEndian.Uint16(buf[20:22]) != 1 {
			continue
		}
		target := binary.BigEndian.Uint32(buf[38:42])
		p := int(target - binary.BigEndian.Uint32(first))
		if p < 0 || p >= count {
			continue
		}
		mac := peerMac(p)
		reply := make([]byte, 42)
		copy(reply[0:6], buf[22:28]) // to the requester's MAC
		copy(reply[6:12], mac)
		copy(reply[12:22], []byte{0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2})
		copy(reply[22:28], mac)
		copy(reply[28:32], buf[38:42])
		copy(reply[32:42], buf[22:32]) // the requester's MAC and IP (0.0.0.0 for a probe)
		_ = syscall.Sendto(fd, reply, 0, to)
	}
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "heartbeat-peers:", err)
	os.Exit(1)
}
