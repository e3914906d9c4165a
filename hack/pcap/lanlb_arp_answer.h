// lanlb: hack/patch-deps.mjs copies this file into node_pcap and includes it in pcap_session.cc.
//
// The answer to the common request, an untagged ARP request for an address this capture
// announces, given in C inside the addon's poll callback: the frame is read from libpcap's ring,
// checked and answered with pcap_inject without entering JavaScript. Measured (bench l2-answer):
// the JavaScript turn (poll callback into pcap.js, dispatch, the packet callback, the codec, a
// Buffer per reply) was most of lanlb's extra time over a Go responder's read loop, and nearly all
// of it on a cold cache. Every other frame (NDP, VLAN-tagged, malformed, replies, heartbeats) takes
// the JavaScript path as before. The rules are those of the general path (src/l2/codec/frames.ts
// replyFor) for this one case; a property test compares the two byte for byte
// (test/unit/l2/arp-native.test.ts).
#ifndef LANLB_ARP_ANSWER_H
#define LANLB_ARP_ANSWER_H

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <sched.h>
#include <algorithm>
#include <vector>

namespace lanlb {

const size_t ARP = 14;               // an untagged Ethernet header
const size_t ARP_FRAME = ARP + 28;   // Ethernet + ARP for IPv4 over Ethernet
const size_t SHA = ARP + 8, SPA = ARP + 14, THA = ARP + 18, TPA = ARP + 24;

struct ArpAnswers {
    bool enabled = false;
    /** count requests for our addresses, answer none (the announcer's mute) */
    bool mute = false;
    uint8_t mac[6] = {0};
    /** the announced IPv4 addresses, host order, sorted */
    std::vector<uint32_t> v4;
    /** since the counts were last taken */
    double requests = 0, replies = 0, inject_errors = 0;
    /** for the benchmark's stage rows: per answer, µs from the kernel's capture stamp to the poll
        callback's read, reading to a built reply, and the inject; off unless asked for */
    bool timed = false;
    std::vector<double> timings;
};

/** CLOCK_REALTIME in µs, the clock of libpcap's capture stamps. */
inline double NowMicros() {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return double(t.tv_sec) * 1e6 + double(t.tv_nsec) / 1e3;
}

/** htype 1, ptype 0x0800, hlen 6, plen 4, operation 1 (request), untagged. */
inline bool IsArpRequest(const uint8_t *b, size_t len) {
    static const uint8_t head[10] = {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1};
    return len >= ARP_FRAME && memcmp(b + 12, head, sizeof head) == 0;
}

/** Writes to `out` (ARP_FRAME bytes) the reply to `b` if it asks for an announced address. */
inline bool ArpReply(const ArpAnswers &a, const uint8_t *b, size_t len, uint8_t *out) {
    if (!IsArpRequest(b, len)) return false;
    uint32_t target = (uint32_t(b[TPA]) << 24) | (uint32_t(b[TPA + 1]) << 16) |
                      (uint32_t(b[TPA + 2]) << 8) | uint32_t(b[TPA + 3]);
    if (!std::binary_search(a.v4.begin(), a.v4.end(), target)) return false;
    memcpy(out, b + SHA, 6);            // to the requester's hardware address, as RFC 826 answers
    memcpy(out + 6, a.mac, 6);
    memcpy(out + 12, b + 12, 2 + 6);    // ethertype; htype, ptype, hlen, plen as asked
    out[ARP + 6] = 0;
    out[ARP + 7] = 2;                   // reply
    memcpy(out + SHA, a.mac, 6);
    memcpy(out + SPA, b + TPA, 4);      // we are the asked-for address
    memcpy(out + THA, b + SHA, 10);     // target hardware + protocol address: the requester's
    return true;
}

}  // namespace lanlb

#endif
