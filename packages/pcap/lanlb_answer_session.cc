// lanlb's additions to PcapSession: the native answer (lanlb_answer.h says why and what it
// answers), its unit-test entry points, the real-time call, and the version the process checks.
#include <errno.h>
#include <sched.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "pcap_session.h"

using namespace v8;

/** 4 bytes per IPv4 address, network order, into a sorted list. */
static std::vector<uint32_t> ReadV4(Local<Value> buffer) {
    const uint8_t *b = reinterpret_cast<const uint8_t *>(node::Buffer::Data(buffer));
    std::vector<uint32_t> v(node::Buffer::Length(buffer) / 4);
    for (size_t i = 0; i < v.size(); i++) {
        const uint8_t *a = b + 4 * i;
        v[i] = (uint32_t(a[0]) << 24) | (uint32_t(a[1]) << 16) | (uint32_t(a[2]) << 8) | uint32_t(a[3]);
    }
    std::sort(v.begin(), v.end());
    return v;
}

/** 16 bytes per IPv6 address into a sorted list. */
static std::vector<lanlb::Ipv6> ReadV6(Local<Value> buffer) {
    const uint8_t *b = reinterpret_cast<const uint8_t *>(node::Buffer::Data(buffer));
    std::vector<lanlb::Ipv6> v(node::Buffer::Length(buffer) / 16);
    for (size_t i = 0; i < v.size(); i++) memcpy(v[i].data(), b + 16 * i, 16);
    std::sort(v.begin(), v.end());
    return v;
}

/** mac: 6 bytes; v4: 4 bytes each; v6: 16 bytes each. */
static bool IsMacAndAddresses(Local<Value> mac, Local<Value> v4, Local<Value> v6) {
    return node::Buffer::HasInstance(mac) && node::Buffer::Length(mac) == 6 && node::Buffer::HasInstance(v4) &&
           node::Buffer::Length(v4) % 4 == 0 && node::Buffer::HasInstance(v6) && node::Buffer::Length(v6) % 16 == 0;
}

// session.lanlb_answers(enabled, mute, mac, v4, v6): what the poll callback answers.
void PcapSession::SetAnswers(const Nan::FunctionCallbackInfo<Value> &info) {
    if (info.Length() != 5 || !info[0]->IsBoolean() || !info[1]->IsBoolean() ||
        !IsMacAndAddresses(info[2], info[3], info[4])) {
        Nan::ThrowTypeError("lanlb_answers(enabled, mute, mac: 6 bytes, v4: 4 bytes each, v6: 16 bytes each)");
        return;
    }
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    lanlb::Answers &a = session->answers;
    a.enabled = Nan::To<bool>(info[0]).FromJust();
    a.mute = Nan::To<bool>(info[1]).FromJust();
    memcpy(a.mac, node::Buffer::Data(info[2]), 6);
    a.v4 = ReadV4(info[3]);
    a.v6 = ReadV6(info[4]);
}

// session.lanlb_answer_counts(): [requests v4, replies v4, requests v6, replies v6, inject errors]
// since the last call.
void PcapSession::TakeAnswerCounts(const Nan::FunctionCallbackInfo<Value> &info) {
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    lanlb::Answers &a = session->answers;
    double counts[5] = {a.requests[0], a.replies[0], a.requests[1], a.replies[1], a.inject_errors};
    Local<Array> out = Nan::New<Array>(5);
    for (uint32_t i = 0; i < 5; i++) Nan::Set(out, i, Nan::New<Number>(counts[i]));
    a.requests[0] = a.requests[1] = a.replies[0] = a.replies[1] = a.inject_errors = 0;
    info.GetReturnValue().Set(out);
}

// session.lanlb_answer_alive(pauseMs): the answer thread runs (called every few tens of ms). Returns
// whether answers are held: the previous call was more than pauseMs ago (the guard in Answers).
void PcapSession::AnswerAlive(const Nan::FunctionCallbackInfo<Value> &info) {
    if (info.Length() != 1 || !info[0]->IsNumber()) {
        Nan::ThrowTypeError("lanlb_answer_alive(pauseMs)");
        return;
    }
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    lanlb::Answers &a = session->answers;
    double now = lanlb::MonotonicMicros();
    bool held = lanlb::Held(a, now);
    if (!held) a.alive_at = now;
    a.pause_us = Nan::To<double>(info[0]).FromJust() * 1e3;
    info.GetReturnValue().Set(held);
}

// session.lanlb_answer_release(): answers again after a hold (the announcer has planned anew).
void PcapSession::AnswerRelease(const Nan::FunctionCallbackInfo<Value> &info) {
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    lanlb::Answers &a = session->answers;
    a.held = false;
    a.alive_at = lanlb::MonotonicMicros();
}

// binding.lanlb_reply(frame, mac, v4, v6): the answer the poll callback would send, or undefined.
// No capture involved: for the property test against the JavaScript codec.
void PcapSession::Reply(const Nan::FunctionCallbackInfo<Value> &info) {
    if (info.Length() != 4 || !node::Buffer::HasInstance(info[0]) || !IsMacAndAddresses(info[1], info[2], info[3])) {
        Nan::ThrowTypeError("lanlb_reply(frame, mac: 6 bytes, v4: 4 bytes each, v6: 16 bytes each)");
        return;
    }
    lanlb::Answers a;
    memcpy(a.mac, node::Buffer::Data(info[1]), 6);
    a.v4 = ReadV4(info[2]);
    a.v6 = ReadV6(info[3]);
    uint8_t reply[lanlb::NA_FRAME];
    int family;
    const uint8_t *frame = reinterpret_cast<const uint8_t *>(node::Buffer::Data(info[0]));
    size_t n = lanlb::Reply(a, frame, node::Buffer::Length(info[0]), reply, &family);
    if (n) info.GetReturnValue().Set(Nan::CopyBuffer(reinterpret_cast<char *>(reply), n).ToLocalChecked());
}

/** Answers `p` when it asks for an announced address; false for any other frame. */
bool PcapSession::Answer(PcapSession *session, const struct pcap_pkthdr *h, const u_char *p) {
    lanlb::Answers &a = session->answers;
    if (!a.enabled) return false;
    double read = a.timed ? lanlb::NowMicros() : 0;
    uint8_t reply[lanlb::NA_FRAME];
    int family;
    size_t n = lanlb::Reply(a, p, h->caplen, reply, &family);
    if (!n) return false;
    int f = family == 4 ? 0 : 1;
    a.requests[f]++;
    if (a.mute || lanlb::Held(a, lanlb::MonotonicMicros())) return true;
    double built = a.timed ? lanlb::NowMicros() : 0;
    if (a.recording) {
        a.recorded.emplace_back(reply, reply + n);
        a.replies[f]++;
    } else if (pcap_inject(session->pcap_handle, reply, n) == int(n)) {
        a.replies[f]++;
    } else {
        a.inject_errors++;
    }
    if (a.timed && a.timings.size() < 3 * 100000) {
        double stamped = double(h->ts.tv_sec) * 1e6 + double(h->ts.tv_usec);
        a.timings.insert(a.timings.end(), {read - stamped, built - read, lanlb::NowMicros() - built});
    }
    return true;
}

// session.lanlb_answer_timing(on): starts recording each answer's stages (true), or stops and
// returns them (false): a Float64Array of [kernel to read, build, inject] triplets, µs.
void PcapSession::AnswerTiming(const Nan::FunctionCallbackInfo<Value> &info) {
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    lanlb::Answers &a = session->answers;
    a.timed = info.Length() == 1 && Nan::To<bool>(info[0]).FromJust();
    if (a.timed) return;
    Local<ArrayBuffer> buffer = ArrayBuffer::New(info.GetIsolate(), a.timings.size() * sizeof(double));
    memcpy(buffer->Data(), a.timings.data(), a.timings.size() * sizeof(double));
    info.GetReturnValue().Set(Float64Array::New(buffer, 0, a.timings.size()));
    a.timings.clear();
}

/** A peer's heartbeat frame, checked and recorded here (lanlb_heartbeat.h); false for others. */
bool PcapSession::TakeHeartbeat(PcapSession *session, const struct pcap_pkthdr *h, const u_char *p) {
    lanlb::Heartbeats &b = session->heartbeats;
    if (!b.enabled || !lanlb::Heartbeats::IsHeartbeat(p, h->caplen)) return false;
    double now = lanlb::NowMicros();
    double stamped = double(h->ts.tv_sec) * 1e6 + double(h->ts.tv_usec);
    // A savefile's stamps are not this clock (the unit tests'): then when it was read.
    b.Take(p, h->caplen, now, std::abs(now - stamped) < 10e6 ? std::min(now, stamped) : now);
    return true;
}

/** Dispatch's packet callback: answer natively, else hand the frame to JavaScript. */
void PcapSession::AnswerOrDeliver(u_char *s, const struct pcap_pkthdr *h, const u_char *p) {
    PcapSession *session = reinterpret_cast<PcapSession *>(s);
    if (!TakeHeartbeat(session, h, p) && !Answer(session, h, p)) PacketReady(s, h, p);
}

/** The poll callback's packet callback: answer natively, else keep the frame for Dispatch. */
void PcapSession::AnswerOrKeep(u_char *s, const struct pcap_pkthdr *h, const u_char *p) {
    PcapSession *session = reinterpret_cast<PcapSession *>(s);
    if (TakeHeartbeat(session, h, p) || Answer(session, h, p)) return;
    session->kept.assign(p, p + h->caplen);
    session->kept_header = *h;
    session->has_kept = true;
}

/**
 * Answers what the capture holds, up to 64 frames (the poll is level-triggered: more wake it
 * again). False when JavaScript must run: a frame it must see was read, or libpcap reported an
 * error for its dispatch to meet.
 */
bool PcapSession::AnswerAll(PcapSession *session) {
    for (int i = 0; i < 64; i++) {
        int n = pcap_dispatch(session->pcap_handle, 1, AnswerOrKeep, reinterpret_cast<u_char *>(session));
        if (session->has_kept || n < 0) return false;
        if (n == 0) return true;
    }
    return true;
}

/** The poll callback's first step: true when every readable frame was answered in C. */
bool PcapSession::PollAnswered(PcapSession *session) {
    bool native = session->answers.enabled || session->heartbeats.enabled;
    return native && session->pcap_handle != NULL && AnswerAll(session);
}

// session.lanlb_heartbeats(enabled, node, key, perSourcePerSecond, strangersPerSecond, watched, sampleMs):
// peers' heartbeat frames are checked here and taken with lanlb_take_heard, not handed to
// JavaScript. watched: the node names whose every frame is checked (null: every peer's); the
// others' are checked once per sampleMs.
void PcapSession::SetHeartbeats(const Nan::FunctionCallbackInfo<Value> &info) {
    if (info.Length() != 7 || !info[0]->IsBoolean() || !info[1]->IsString() || !node::Buffer::HasInstance(info[2]) ||
        !info[3]->IsNumber() || !info[4]->IsNumber() || !(info[5]->IsArray() || info[5]->IsNull()) ||
        !info[6]->IsNumber()) {
        Nan::ThrowTypeError(
            "lanlb_heartbeats(enabled, node, key: Buffer, perSourcePerSecond, strangersPerSecond, "
            "watched: string[] | null, sampleMs)");
        return;
    }
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    lanlb::Heartbeats &b = session->heartbeats;
    b.enabled = Nan::To<bool>(info[0]).FromJust();
    b.node = *Nan::Utf8String(info[1]);
    b.SetKey(reinterpret_cast<const uint8_t *>(node::Buffer::Data(info[2])), node::Buffer::Length(info[2]));
    b.per_source_per_second = Nan::To<double>(info[3]).FromJust();
    b.strangers_per_second = Nan::To<double>(info[4]).FromJust();
    b.watch_all = info[5]->IsNull();
    b.watched.clear();
    if (!b.watch_all) {
        Local<Array> watched = info[5].As<Array>();
        for (uint32_t i = 0; i < watched->Length(); i++)
            b.watched.insert(*Nan::Utf8String(Nan::Get(watched, i).ToLocalChecked()));
    }
    b.sample_us = Nan::To<double>(info[6]).FromJust() * 1e3;
}

// session.lanlb_setfilter(filter): replaces the capture's kernel filter in place (pcap_setfilter);
// unlike a reopen, no frame that passes both filters is lost meanwhile. Throws when it cannot.
void PcapSession::SetFilter(const Nan::FunctionCallbackInfo<Value> &info) {
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    if (info.Length() != 1 || !info[0]->IsString() || session->pcap_handle == NULL) {
        Nan::ThrowTypeError("lanlb_setfilter(filter: string) on an open capture");
        return;
    }
    struct bpf_program program;
    Nan::Utf8String filter(info[0]);
    if (pcap_compile(session->pcap_handle, &program, *filter, 1, PCAP_NETMASK_UNKNOWN) == -1) {
        Nan::ThrowError(pcap_geterr(session->pcap_handle));
        return;
    }
    int set = pcap_setfilter(session->pcap_handle, &program);
    pcap_freecode(&program);
    if (set == -1) Nan::ThrowError(pcap_geterr(session->pcap_handle));
}

// session.lanlb_take_heard(): [nodes, numbers, counts] since the last call. Each peer's latest
// authentic heartbeat: its node name in `nodes`, and in `numbers` (a Float64Array, 5 per peer)
// incarnation, sequence, intervalMs, MAC (48 bits) and ageMs; counts: [accepted, replayed,
// unauthenticated, malformed, throttled, sampled]. One typed array, not an object per peer: thousands of
// peers a batch.
void PcapSession::TakeHeard(const Nan::FunctionCallbackInfo<Value> &info) {
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    lanlb::Heartbeats &b = session->heartbeats;
    double now = lanlb::NowMicros();
    size_t n = b.heard.size();
    Local<Array> nodes = Nan::New<Array>(uint32_t(n));
    Local<ArrayBuffer> buffer = ArrayBuffer::New(info.GetIsolate(), 5 * n * sizeof(double));
    double *numbers = static_cast<double *>(buffer->GetBackingStore()->Data());
    uint32_t i = 0;
    for (auto &entry : b.heard) {
        const lanlb::HeardPeer &h = entry.second;
        double mac = 0;
        for (int k = 0; k < 6; k++) mac = mac * 256 + h.mac[k];
        Nan::Set(nodes, i, Nan::New(entry.first).ToLocalChecked());
        double *row = numbers + 5 * i++;
        row[0] = double(h.incarnation);
        row[1] = double(h.sequence);
        row[2] = h.interval_ms;
        row[3] = mac;
        row[4] = std::max(0.0, (now - h.at_us) / 1e3);
    }
    b.heard.clear();
    Local<Array> counts = Nan::New<Array>(lanlb::OWN);
    for (uint32_t k = 0; k < lanlb::OWN; k++) {
        Nan::Set(counts, k, Nan::New<Number>(b.counts[k]));
        b.counts[k] = 0;
    }
    Local<Array> out = Nan::New<Array>(3);
    Nan::Set(out, 0, nodes);
    Nan::Set(out, 1, Float64Array::New(buffer, 0, 5 * n));
    Nan::Set(out, 2, counts);
    info.GetReturnValue().Set(out);
}

// session.lanlb_poll(): what the poll callback does when the capture is readable, on whatever
// the capture holds (for the unit tests, an offline capture of a frame table): true when C
// answered everything, false when JavaScript must dispatch (a kept frame, or answers off).
void PcapSession::Poll(const Nan::FunctionCallbackInfo<Value> &info) {
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    info.GetReturnValue().Set(Nan::New<Boolean>(PollAnswered(session)));
}

// session.lanlb_record(on): replies are kept instead of injected (true); false stops that and
// returns the kept replies as Buffers, in order. For the unit tests' harness.
void PcapSession::Record(const Nan::FunctionCallbackInfo<Value> &info) {
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    lanlb::Answers &a = session->answers;
    a.recording = info.Length() == 1 && Nan::To<bool>(info[0]).FromJust();
    if (a.recording) return;
    Local<Array> out = Nan::New<Array>(a.recorded.size());
    for (uint32_t i = 0; i < a.recorded.size(); i++) {
        const std::vector<uint8_t> &r = a.recorded[i];
        Nan::Set(out, i, Nan::CopyBuffer(reinterpret_cast<const char *>(r.data()), r.size()).ToLocalChecked());
    }
    a.recorded.clear();
    info.GetReturnValue().Set(out);
}

// binding.lanlb_realtime(priority): the calling thread (lanlb's answer thread) is scheduled
// SCHED_RR at `priority`, so that a busy node (a control plane, a churn of objects) delays the
// answer no more than a wake-up; threads it starts later get the normal policy back
// (SCHED_RESET_ON_FORK). Needs CAP_SYS_NICE; returns undefined, or the reason it was refused.
void PcapSession::Realtime(const Nan::FunctionCallbackInfo<Value> &info) {
    if (info.Length() != 1 || !info[0]->IsInt32()) {
        Nan::ThrowTypeError("lanlb_realtime(priority: 1..99)");
        return;
    }
    struct sched_param param;
    memset(&param, 0, sizeof param);
    param.sched_priority = Nan::To<int32_t>(info[0]).FromJust();
    if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) == 0) return;
    info.GetReturnValue().Set(Nan::New(strerror(errno)).ToLocalChecked());
}
