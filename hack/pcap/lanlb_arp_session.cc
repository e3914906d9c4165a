// lanlb: hack/patch-deps.mjs copies this file into node_pcap; pcap_session.cc includes it.
// PcapSession's side of the native ARP answer (lanlb_arp_answer.h says why and what it answers).

/** 4 bytes per address, network order, into a sorted list. */
static std::vector<uint32_t> ReadAddresses(Local<Value> buffer) {
    const uint8_t *b = reinterpret_cast<const uint8_t *>(node::Buffer::Data(buffer));
    std::vector<uint32_t> v(node::Buffer::Length(buffer) / 4);
    for (size_t i = 0; i < v.size(); i++) {
        const uint8_t *a = b + 4 * i;
        v[i] = (uint32_t(a[0]) << 24) | (uint32_t(a[1]) << 16) | (uint32_t(a[2]) << 8) | uint32_t(a[3]);
    }
    std::sort(v.begin(), v.end());
    return v;
}

static bool IsMacAndAddresses(Local<Value> mac, Local<Value> addresses) {
    return node::Buffer::HasInstance(mac) && node::Buffer::Length(mac) == 6 &&
           node::Buffer::HasInstance(addresses) && node::Buffer::Length(addresses) % 4 == 0;
}

// session.lanlb_arp_answers(enabled, mute, mac, addresses): what the poll callback answers.
void PcapSession::SetArpAnswers(const Nan::FunctionCallbackInfo<Value>& info) {
    if (info.Length() != 4 || !info[0]->IsBoolean() || !info[1]->IsBoolean() || !IsMacAndAddresses(info[2], info[3])) {
        Nan::ThrowTypeError("lanlb_arp_answers(enabled, mute, mac: 6 bytes, addresses: 4 bytes each)");
        return;
    }
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    lanlb::ArpAnswers &a = session->arp_answers;
    a.enabled = Nan::To<bool>(info[0]).FromJust();
    a.mute = Nan::To<bool>(info[1]).FromJust();
    memcpy(a.mac, node::Buffer::Data(info[2]), 6);
    a.v4 = ReadAddresses(info[3]);
}

// session.lanlb_arp_counts(): [requests, replies, inject errors] since the last call.
void PcapSession::TakeArpCounts(const Nan::FunctionCallbackInfo<Value>& info) {
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    lanlb::ArpAnswers &a = session->arp_answers;
    Local<Array> counts = Nan::New<Array>(3);
    Nan::Set(counts, 0, Nan::New<Number>(a.requests));
    Nan::Set(counts, 1, Nan::New<Number>(a.replies));
    Nan::Set(counts, 2, Nan::New<Number>(a.inject_errors));
    a.requests = a.replies = a.inject_errors = 0;
    info.GetReturnValue().Set(counts);
}

// binding.lanlb_arp_reply(frame, mac, addresses): the reply the poll callback would send, or
// undefined. No capture involved: for the property test against the JavaScript codec.
void PcapSession::ArpReply(const Nan::FunctionCallbackInfo<Value>& info) {
    if (info.Length() != 3 || !node::Buffer::HasInstance(info[0]) || !IsMacAndAddresses(info[1], info[2])) {
        Nan::ThrowTypeError("lanlb_arp_reply(frame, mac: 6 bytes, addresses: 4 bytes each)");
        return;
    }
    lanlb::ArpAnswers a;
    memcpy(a.mac, node::Buffer::Data(info[1]), 6);
    a.v4 = ReadAddresses(info[2]);
    uint8_t reply[lanlb::ARP_FRAME];
    const uint8_t *frame = reinterpret_cast<const uint8_t *>(node::Buffer::Data(info[0]));
    if (!lanlb::ArpReply(a, frame, node::Buffer::Length(info[0]), reply)) return;
    info.GetReturnValue().Set(Nan::CopyBuffer(reinterpret_cast<char *>(reply), sizeof reply).ToLocalChecked());
}

/** Answers `p` when it is an ARP request for an announced address; false for any other frame. */
bool PcapSession::AnswerArp(PcapSession *session, const struct pcap_pkthdr *h, const u_char *p) {
    lanlb::ArpAnswers &a = session->arp_answers;
    if (!a.enabled) return false;
    double read = a.timed ? lanlb::NowMicros() : 0;
    uint8_t reply[lanlb::ARP_FRAME];
    if (!lanlb::ArpReply(a, p, h->caplen, reply)) return false;
    a.requests++;
    if (a.mute) return true;
    double built = a.timed ? lanlb::NowMicros() : 0;
    if (pcap_inject(session->pcap_handle, reply, sizeof reply) == int(sizeof reply)) a.replies++;
    else a.inject_errors++;
    if (a.timed && a.timings.size() < 3 * 100000) {
        double stamped = double(h->ts.tv_sec) * 1e6 + double(h->ts.tv_usec);
        a.timings.insert(a.timings.end(), {read - stamped, built - read, lanlb::NowMicros() - built});
    }
    return true;
}

// session.lanlb_arp_timing(on): starts recording each answer's stages (true), or stops and
// returns them (false): a Float64Array of [kernel to read, build, inject] triplets, µs.
void PcapSession::ArpTiming(const Nan::FunctionCallbackInfo<Value>& info) {
    PcapSession *session = Nan::ObjectWrap::Unwrap<PcapSession>(info.Holder());
    lanlb::ArpAnswers &a = session->arp_answers;
    a.timed = info.Length() == 1 && Nan::To<bool>(info[0]).FromJust();
    if (a.timed) return;
    Local<ArrayBuffer> buffer = ArrayBuffer::New(info.GetIsolate(), a.timings.size() * sizeof(double));
    memcpy(buffer->Data(), a.timings.data(), a.timings.size() * sizeof(double));
    info.GetReturnValue().Set(Float64Array::New(buffer, 0, a.timings.size()));
    a.timings.clear();
}

/** Dispatch's packet callback: answer natively, else hand the frame to JavaScript. */
void PcapSession::AnswerOrDeliver(u_char *s, const struct pcap_pkthdr *h, const u_char *p) {
    if (!AnswerArp(reinterpret_cast<PcapSession *>(s), h, p)) PacketReady(s, h, p);
}

/** The poll callback's packet callback: answer natively, else keep the frame for Dispatch. */
void PcapSession::AnswerOrKeep(u_char *s, const struct pcap_pkthdr *h, const u_char *p) {
    PcapSession *session = reinterpret_cast<PcapSession *>(s);
    if (AnswerArp(session, h, p)) return;
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

// binding.lanlb_realtime(priority): the calling thread (lanlb's answer thread) is scheduled
// SCHED_RR at `priority`, so that a busy node (a control plane, a churn of objects) delays the
// answer no more than a wake-up; threads it starts later get the normal policy back
// (SCHED_RESET_ON_FORK). Needs CAP_SYS_NICE; returns undefined, or the reason it was refused.
void PcapSession::Realtime(const Nan::FunctionCallbackInfo<Value>& info) {
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
