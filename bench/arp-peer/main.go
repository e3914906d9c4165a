// The userspace peer of lanlb's ARP answer path in `npm run bench`: a MetalLB-style responder
// built on mdlayher/arp (the library MetalLB's speaker uses), a blocking read loop on an
// AF_PACKET socket. Answers ARP requests for the IPv4 addresses given after the interface name.
// Built by bench/l2.ts in GOPATH mode against Debian's golang-github-mdlayher-arp-dev.
package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/mdlayher/arp"
)

func main() {
	if len(os.Args) < 3 {
		fail(errors.New("usage: arp-peer INTERFACE ADDRESS..."))
	}
	ifi, err := net.InterfaceByName(os.Args[1])
	if err != nil {
		fail(err)
	}
	c, err := arp.Dial(ifi)
	if err != nil {
		fail(err)
	}
	ours := map[netip.Addr]bool{}
	for _, a := range os.Args[2:] {
		ours[netip.MustParseAddr(a)] = true
	}
	fmt.Println("ready")
	for {
		p, _, err := c.Read()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		// Frames that are not ARP over Ethernet are skipped, as MetalLB's speaker does.
		if err != nil || p.Operation != arp.OperationRequest || !ours[p.TargetIP] {
			continue
		}
		if err := c.Reply(p, ifi.HardwareAddr, p.TargetIP); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "arp-peer:", err)
	os.Exit(1)
}
