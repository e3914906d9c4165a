// lanlb's fork of node_pcap 3.1.0 (MIT, LICENSE; upstream github.com/node-pcap/node_pcap): the
// capture sessions lanlb uses, without upstream's decoders, TCP tracker and DNS cache. The API of
// what is kept is upstream's: createSession, createOfflineSession, PcapSession (on 'packet',
// inject, stats, close), lib_version, findalldevs, warningHandler.
'use strict';
const util = require('util');
const events = require('events');
const timers = require('timers');
const binding = require('./build/Release/pcap_binding');

// This may be overridden by the user.
exports.warningHandler = function warningHandler(x) {
  console.warn('warning: %s - this may not actually work', x);
};

function PcapSession(
  isLive,
  deviceName,
  filter,
  bufferSize,
  snapLength,
  outfile,
  isMonitor,
  bufferTimeout,
  promiscuous,
) {
  this.is_live = isLive;
  this.device_name = deviceName;
  this.filter = filter || '';
  this.buffer_size = typeof bufferSize === 'number' && !isNaN(bufferSize) ? Math.round(bufferSize) : 10 * 1024 * 1024;
  this.snap_length = typeof snapLength === 'number' && !isNaN(snapLength) ? Math.round(snapLength) : 65535;
  this.outfile = outfile || '';
  this.is_monitor = Boolean(isMonitor);
  this.buffer_timeout = typeof bufferTimeout === 'number' && !isNaN(bufferTimeout) ? Math.round(bufferTimeout) : 1000;
  this.promiscuous = typeof promiscuous === 'undefined' ? true : promiscuous;
  this.link_type = null;
  this.empty_reads = 0;
  this.poll_errors = 0;
  this.session = new binding.PcapSession();

  const packetReady = this.on_packet_ready.bind(this);
  const open = isLive ? 'open_live' : 'open_offline';
  if (isLive) this.device_name = this.device_name || binding.default_device();
  this.link_type = this.session[open](
    this.device_name,
    this.filter,
    this.buffer_size,
    this.snap_length,
    this.outfile,
    packetReady,
    this.is_monitor,
    this.buffer_timeout,
    exports.warningHandler,
    this.promiscuous,
  );
  this.opened = true;
  this.buf = Buffer.alloc(this.snap_length);
  this.header = Buffer.alloc(16);

  if (isLive) {
    // Called when the capture is readable (the poll callback found a frame C did not answer), or
    // failed: libuv then stopped polling it (POLLERR: the interface went down), so it is polled
    // again 50 ms later, and again while the error lasts; else a link that comes back stays deaf.
    this.session.read_callback = (failed) => {
      if (this.session.dispatch(this.buf, this.header) < 1) this.empty_reads += 1;
      if (!failed) return;
      this.poll_errors += 1;
      timers.setTimeout(() => this.opened && this.session.lanlb_repoll(), 50);
    };
    this.session.start_polling();
    process.nextTick(this.session.read_callback); // kickstart to prevent races
  } else {
    timers.setImmediate(() => {
      while (this.session.dispatch(this.buf, this.header) > 0);
      this.emit('complete');
    });
  }
  events.EventEmitter.call(this);
}
util.inherits(PcapSession, events.EventEmitter);

function PacketWithHeader(buf, header, linkType) {
  this.buf = buf;
  this.header = header;
  this.link_type = linkType;
}

PcapSession.prototype.on_packet_ready = function () {
  this.emit('packet', new PacketWithHeader(this.buf, this.header, this.link_type));
};

PcapSession.prototype.close = function () {
  this.opened = false;
  this.removeAllListeners();
  this.session.close();
};

PcapSession.prototype.stats = function () {
  return this.session.stats();
};

PcapSession.prototype.inject = function (data) {
  return this.session.inject(data);
};

exports.lib_version = binding.lib_version();
exports.findalldevs = () => binding.findalldevs();
exports.Pcap = PcapSession;
exports.PcapSession = PcapSession;

exports.createSession = function (device, options) {
  options = options || {};
  return new PcapSession(
    true,
    device,
    options.filter,
    options.buffer_size,
    options.snap_length,
    null,
    options.monitor,
    options.buffer_timeout,
    options.promiscuous,
  );
};

exports.createOfflineSession = function (path, options) {
  options = options || {};
  return new PcapSession(false, path, options.filter, 0, null, null);
};
