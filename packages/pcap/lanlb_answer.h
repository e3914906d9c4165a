// lanlb: the native ARP / NDP answer of lanlb's fork of node_pcap (this package).
//
// The answers to the common requests, an untagged ARP request or Neighbor Solicitation for an
// address this capture announces, given in C inside the addon's poll callback: the frame is read
// from libpcap's ring, checked and answered with pcap_inject without entering JavaScript.
// Measured (bench l2-answer): the JavaScript turn (poll callback into pcap.js, dispatch, the
// packet callback, the codec, a Buffer per reply) was most of lanlb's extra time over a Go
// responder's read loop, nearly all of it on a cold cache. Every other frame (VLAN-tagged,
// malformed, replies, advertisements, heartbeats) takes the JavaScript path as before. The rules
// are those of the general path (src/l2/codec/frames.ts replyFor) for these two cases, down to
// which malformed frame is declined; a property test compares the two byte for byte
// (test/unit/l2/native-answer.test.ts).
#ifndef LANLB_ANSWER_H
#define LANLB_ANSWER_H

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <sched.h>
#include <algorithm>
#include <array>
#include <vector>

/**
 * The interface lanlb's JavaScript expects of this addon (the lanlb_* methods and their
 * arguments); exported as `lanlb_abi` and checked where the addon loads, and written as
 * `lanlbAbi` in package.json, checked when the announcer starts
 * (src/l2/responder/pcap-responder.ts LANLB_PCAP_ABI). Raise all three together on any change.
 */
#define LANLB_PCAP_ABI 5

namespace lanlb {

typedef std::array<uint8_t, 16> Ipv6;

const size_t ETH = 14;              // an untagged Ethernet header
const size_t ARP_FRAME = ETH + 28;  // Ethernet + ARP for IPv4 over Ethernet
const size_t SHA = ETH + 8, SPA = ETH + 14, THA = ETH + 18, TPA = ETH + 24;
const size_t IP6 = ETH, IP6_SRC = IP6 + 8, IP6_DST = IP6 + 24, ICMP = IP6 + 40;
const size_t NS_OPTIONS = 24;       // ICMPv6 type, code, checksum, reserved, target
const size_t NA_FRAME = ICMP + 32;  // an advertisement with the target link-layer option

struct Answers {
    bool enabled = false;
    /** count requests for our addresses, answer none (the announcer's mute) */
    bool mute = false;
    uint8_t mac[6] = {0};
    /** the announced addresses, IPv4 in host order; both sorted */
    std::vector<uint32_t> v4;
    std::vector<Ipv6> v6;
    /** since the counts were last taken: [family 4, family 6] */
    double requests[2] = {0, 0}, replies[2] = {0, 0}, inject_errors = 0;
    /** for the benchmark's stage rows: per answer, µs from the kernel's capture stamp to the poll
        callback's read, reading to a built reply, and the inject; off unless asked for */
    bool timed = false;
    std::vector<double> timings;
    /** for the unit tests' harness (an offline capture cannot inject): replies kept, not sent */
    bool recording = false;
    std::vector<std::vector<uint8_t>> recorded;
    /**
     * The pause guard (lanlb_answer_alive): when the answer thread last said it runs, monotonic µs
     * (0: not guarded), and the gap that means it did not (the process was stopped or frozen).
     * After such a gap another node may hold these addresses: answering the requests that waited
     * in the capture's buffer would put a second MAC in the switch's table before the announcer
     * has read a single Lease. Held until lanlb_answer_release, which the announcer sends only
     * after it has planned again on what it knows after the gap.
     */
    double alive_at = 0, pause_us = 0;
    bool held = false;
};

/** CLOCK_MONOTONIC in µs: the pause guard's clock (a stopped process's gap shows in it). */
inline double MonotonicMicros() {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return double(t.tv_sec) * 1e6 + double(t.tv_nsec) / 1e3;
}

/** Whether answers are held: the guard saw a gap longer than pause_us (sticky until released). */
inline bool Held(Answers &a, double now) {
    if (!a.held && a.alive_at > 0 && now - a.alive_at > a.pause_us) a.held = true;
    return a.held;
}

/** CLOCK_REALTIME in µs, the clock of libpcap's capture stamps. */
inline double NowMicros() {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return double(t.tv_sec) * 1e6 + double(t.tv_nsec) / 1e3;
}

inline uint16_t Be16(const uint8_t *b) {
    return uint16_t((b[0] << 8) | b[1]);
}

/** htype 1, ptype 0x0800, hlen 6, plen 4, operation 1 (request), untagged. */
inline bool IsArpRequest(const uint8_t *b, size_t len) {
    static const uint8_t head[10] = {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1};
    return len >= ARP_FRAME && memcmp(b + 12, head, sizeof head) == 0;
}

/** Writes to `out` (ARP_FRAME bytes) the reply to `b` if it asks for an announced address. */
inline size_t ArpReply(const Answers &a, const uint8_t *b, size_t len, uint8_t *out) {
    if (!IsArpRequest(b, len)) return 0;
    uint32_t target =
        (uint32_t(b[TPA]) << 24) | (uint32_t(b[TPA + 1]) << 16) | (uint32_t(b[TPA + 2]) << 8) | uint32_t(b[TPA + 3]);
    if (!std::binary_search(a.v4.begin(), a.v4.end(), target)) return 0;
    memcpy(out, b + SHA, 6);  // to the requester's hardware address, as RFC 826 answers
    memcpy(out + 6, a.mac, 6);
    memcpy(out + 12, b + 12, 2 + 6);  // ethertype; htype, ptype, hlen, plen as asked
    out[ETH + 6] = 0;
    out[ETH + 7] = 2;  // reply
    memcpy(out + SHA, a.mac, 6);
    memcpy(out + SPA, b + TPA, 4);   // we are the asked-for address
    memcpy(out + THA, b + SHA, 10);  // target hardware + protocol address: the requester's
    return ARP_FRAME;
}

/** RFC 4443 2.3: the one's-complement sum over the pseudo-header and `icmp` (0 when it checks). */
inline uint16_t Icmpv6Checksum(const uint8_t *src, const uint8_t *dst, const uint8_t *icmp, size_t len) {
    uint32_t sum = 58 + uint32_t(len >> 16) + uint32_t(len & 0xffff);
    for (size_t i = 0; i < 16; i += 2) sum += Be16(src + i) + Be16(dst + i);
    for (size_t i = 0; i + 1 < len; i += 2) sum += Be16(icmp + i);
    if (len & 1) sum += uint32_t(icmp[len - 1]) << 8;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(~sum & 0xffff);
}

/**
 * The Neighbor Solicitation in `b`, checked as decodeNdp checks it (version, length, next
 * header, type and code, checksum, hop limit 255, well-formed options): its ICMPv6 message and
 * length, and the link-layer address to answer to (the last source link-layer option, else the
 * Ethernet source). False for anything else.
 */
inline bool ReadSolicitation(const uint8_t *b, size_t len, const uint8_t **icmp, size_t *icmp_len,
                             const uint8_t **reply_mac) {
    if (len < ICMP || Be16(b + 12) != 0x86dd || (b[IP6] >> 4) != 6) return false;
    size_t payload = Be16(b + IP6 + 4);
    if (ICMP + payload > len || b[IP6 + 6] != 58 || payload < NS_OPTIONS) return false;
    const uint8_t *m = b + ICMP;
    if (m[0] != 135 || m[1] != 0 || Icmpv6Checksum(b + IP6_SRC, b + IP6_DST, m, payload) != 0) return false;
    if (b[IP6 + 7] != 255) return false;
    const uint8_t *mac = b + 6;
    for (size_t at = NS_OPTIONS; at < payload;) {
        if (payload - at < 2 || m[at + 1] == 0) return false;
        size_t option = size_t(m[at + 1]) * 8;
        if (at + option > payload) return false;
        if (m[at] == 1) mac = m + at + 2;  // option length >= 8 here: a source link-layer address
        at += option;
    }
    *icmp = m;
    *icmp_len = payload;
    *reply_mac = mac;
    return true;
}

/**
 * Writes to `out` (NA_FRAME bytes) the advertisement answering `b` if it is a solicitation for an
 * announced address (RFC 4861 7.2.4): solicited, override, to the soliciting address; a
 * solicitation from the unspecified address (DAD) is answered to all nodes, unsolicited.
 */
inline size_t NaReply(const Answers &a, const uint8_t *b, size_t len, uint8_t *out) {
    const uint8_t *m, *reply_mac;
    size_t m_len;
    if (!ReadSolicitation(b, len, &m, &m_len, &reply_mac)) return 0;
    Ipv6 target;
    memcpy(target.data(), m + 8, 16);
    if (!std::binary_search(a.v6.begin(), a.v6.end(), target)) return 0;
    static const uint8_t unspecified[16] = {0};
    static const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
    bool to_all = memcmp(b + IP6_SRC, unspecified, 16) == 0;
    memcpy(out, to_all ? all_nodes_mac : reply_mac, 6);
    memcpy(out + 6, a.mac, 6);
    out[12] = 0x86, out[13] = 0xdd;
    static const uint8_t ip6_head[8] = {0x60, 0, 0, 0, 0, 32, 58, 255};  // payload 32, ICMPv6, hop limit
    memcpy(out + IP6, ip6_head, 8);
    memcpy(out + IP6_SRC, target.data(), 16);
    memcpy(out + IP6_DST, to_all ? all_nodes : b + IP6_SRC, 16);
    uint8_t *na = out + ICMP;
    memset(na, 0, 32);
    na[0] = 136;
    na[4] = uint8_t((to_all ? 0 : 0x40) | 0x20);  // solicited unless to all; override
    memcpy(na + 8, target.data(), 16);
    na[24] = 2, na[25] = 1;  // target link-layer address, 8 bytes
    memcpy(na + 26, a.mac, 6);
    uint16_t sum = Icmpv6Checksum(out + IP6_SRC, out + IP6_DST, na, 32);
    na[2] = uint8_t(sum >> 8), na[3] = uint8_t(sum & 0xff);
    return NA_FRAME;
}

/** The answer to `b`, its length and family (4 or 6) in `family`; 0 when it is not ours to give. */
inline size_t Reply(const Answers &a, const uint8_t *b, size_t len, uint8_t *out, int *family) {
    size_t n = ArpReply(a, b, len, out);
    *family = n ? 4 : 6;
    return n ? n : NaReply(a, b, len, out);
}

}  // namespace lanlb

#endif
