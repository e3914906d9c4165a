// lanlb: peers' heartbeat frames checked inside the poll callback (issue 28, the wire side).
//
// Every selected node broadcasts heartbeat frames (docs/contract.md: EtherType 0x88B5,
// HMAC-SHA256 over the sender MAC and the payload), so a node hears every peer's. Taking each
// into JavaScript cost about 10 µs of the answer thread per frame; here a frame costs its HMAC
// and a few table lookups, and JavaScript takes each peer's latest heartbeat in a
// batch (lanlb_take_heard, every 100 ms). The rules are those of src/l2/election/heartbeat-inbox.ts
// (the budget per source MAC and for MACs never authenticated, the replay order, the latest per
// node, a peer not watched checked once per sample window), which serves captures without this
// addon; a test feeds both the same frames and compares every outcome
// (test/unit/l2/native-heartbeat.test.ts).
#ifndef LANLB_HEARTBEAT_H
#define LANLB_HEARTBEAT_H

// HMAC_CTX keeps the keyed state between frames (HMAC() derives the key's pads anew on every call,
// most of a frame's cost); OpenSSL 3 lists it as deprecated but keeps it, and node exports it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace lanlb {

const uint16_t ETHERTYPE_HEARTBEAT = 0x88b5;
const size_t HMAC_LENGTH = 32;

/** The outcomes counted, in the order lanlb_take_heard returns them (HEARTBEAT_OUTCOMES in JS). */
enum Outcome { ACCEPTED, REPLAYED, UNAUTHENTICATED, MALFORMED, THROTTLED, SAMPLED, OWN, OUTCOMES };

struct HeardPeer {
    uint64_t incarnation = 0, sequence = 0;
    uint32_t interval_ms = 0;
    uint8_t mac[6] = {0};
    double at_us = 0;
};

struct Heartbeats {
    bool enabled = false;
    std::string node;
    double per_source_per_second = 30, strangers_per_second = 1000;
    size_t max_sources = 20000;
    /** every peer's frames are checked, or only the watched ones' and the others' once per sample_us */
    bool watch_all = true;
    std::unordered_set<std::string> watched;
    double sample_us = 900e3;

    struct Source {
        double tokens, refilled_us;
        bool trusted;
    };
    std::unordered_map<uint64_t, Source> sources;
    struct Order {
        uint64_t incarnation, sequence;
        double accepted_us;
    };
    std::unordered_map<std::string, Order> order;
    std::unordered_map<std::string, HeardPeer> heard;
    double strangers_since_us = -1e300, strangers_used = 0;
    double counts[OUTCOMES] = {0};

    Heartbeats() = default;
    Heartbeats(const Heartbeats &) = delete;
    Heartbeats &operator=(const Heartbeats &) = delete;
    ~Heartbeats() { HMAC_CTX_free(hmac); }

    /** The key frames are checked with; false when OpenSSL refused it (then nothing is authentic). */
    bool SetKey(const uint8_t *key, size_t length) {
        if (!hmac) hmac = HMAC_CTX_new();
        keyed = hmac && HMAC_Init_ex(hmac, key, int(length), EVP_sha256(), NULL) == 1;
        return keyed;
    }

    static bool IsHeartbeat(const uint8_t *p, size_t n) {
        return n >= 14 && (uint16_t(p[12]) << 8 | p[13]) == ETHERTYPE_HEARTBEAT;
    }

    /**
     * Checks one heartbeat frame read at `now_us` (the budgets' clock) and stamped by the kernel at
     * `captured_us` (when the peer was heard: a capture that delivers in blocks reads it later).
     */
    Outcome Take(const uint8_t *p, size_t n, double now_us, double captured_us) {
        Outcome o = Check(p, n, now_us, captured_us);
        if (o != OWN) counts[o] += 1;
        return o;
    }

private:
    static uint64_t Big(const uint8_t *p, int bytes) {
        uint64_t v = 0;
        for (int i = 0; i < bytes; i++) v = v << 8 | p[i];
        return v;
    }

    Outcome Check(const uint8_t *p, size_t n, double now_us, double captured_us) {
        if (n < 14) return MALFORMED;
        Source &s = SourceOf(Big(p + 6, 6), now_us);
        if (!Admit(s, now_us)) return THROTTLED;
        const uint8_t *payload = p + 14;
        size_t length = n - 14;
        if (length < 6) return MALFORMED;
        if (memcmp(payload, "LNLB", 4) != 0 || payload[4] != 1) return MALFORMED;
        size_t name = payload[5], signed_length = 6 + name + 20;
        if (name == 0 || length < signed_length + HMAC_LENGTH) return MALFORMED;
        std::string node(reinterpret_cast<const char *>(payload + 6), name);
        if (Sampled(node, now_us)) return SAMPLED;
        if (!Authentic(p + 6, payload, signed_length)) return UNAUTHENTICATED;
        if (node == this->node) return OWN;
        s.trusted = true;
        uint64_t incarnation = Big(payload + 6 + name, 8), sequence = Big(payload + 14 + name, 8);
        auto last = order.find(node);
        if (last != order.end() && (incarnation < last->second.incarnation ||
                                    (incarnation == last->second.incarnation && sequence <= last->second.sequence)))
            return REPLAYED;
        order[node] = {incarnation, sequence, now_us};
        HeardPeer &h = heard[node];
        h.incarnation = incarnation;
        h.sequence = sequence;
        h.interval_ms = uint32_t(Big(payload + 22 + name, 4));
        memcpy(h.mac, p + 6, 6);
        h.at_us = captured_us;
        return ACCEPTED;
    }

    HMAC_CTX *hmac = NULL;
    bool keyed = false;

    /** A peer not watched whose last accepted frame is younger than the window: skipped unchecked. */
    bool Sampled(const std::string &node, double now_us) const {
        if (watch_all || watched.count(node)) return false;
        auto last = order.find(node);
        return last != order.end() && now_us - last->second.accepted_us < sample_us;
    }

    /** HMAC-SHA256 under the key of the sender MAC and the signed bytes, compared in constant time. */
    bool Authentic(const uint8_t *src, const uint8_t *payload, size_t signed_length) {
        uint8_t digest[EVP_MAX_MD_SIZE];
        unsigned int digest_length = 0;
        // A NULL key starts over with the key's state kept from SetKey.
        if (!keyed || HMAC_Init_ex(hmac, NULL, 0, NULL, NULL) != 1 || HMAC_Update(hmac, src, 6) != 1 ||
            HMAC_Update(hmac, payload, signed_length) != 1 || HMAC_Final(hmac, digest, &digest_length) != 1)
            return false;
        return digest_length == HMAC_LENGTH && CRYPTO_memcmp(digest, payload + signed_length, HMAC_LENGTH) == 0;
    }

    Source &SourceOf(uint64_t id, double now_us) {
        auto it = sources.find(id);
        if (it != sources.end()) return it->second;
        if (sources.size() >= max_sources) ForgetStrangers();
        // A full bucket (Admit caps it).
        return sources.emplace(id, Source{1e300, now_us, false}).first->second;
    }

    void ForgetStrangers() {
        for (auto it = sources.begin(); it != sources.end();)
            it = it->second.trusted ? std::next(it) : sources.erase(it);
        if (sources.size() >= max_sources) sources.clear();
    }

    bool Admit(Source &s, double now_us) {
        s.tokens = std::min(per_source_per_second, s.tokens + (now_us - s.refilled_us) * per_source_per_second / 1e6);
        s.refilled_us = now_us;
        if (s.tokens < 1) return false;
        s.tokens -= 1;
        if (s.trusted) return true;
        if (now_us - strangers_since_us >= 1e6) {
            strangers_since_us = now_us;
            strangers_used = 0;
        }
        return strangers_used++ < strangers_per_second;
    }
};

}  // namespace lanlb

#endif
