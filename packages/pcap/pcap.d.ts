// Types of what lanlb's fork of node_pcap exports (pcap.js).
import type { EventEmitter } from 'node:events';

export interface PacketWithHeader {
  buf: Buffer;
  header: Buffer;
  link_type: string;
}

export interface CaptureOptions {
  filter?: string;
  buffer_size?: number;
  snap_length?: number;
  monitor?: boolean;
  buffer_timeout?: number;
  promiscuous?: boolean;
}

export declare class PcapSession extends EventEmitter {
  link_type: string | null;
  on(event: 'packet', listener: (packet: PacketWithHeader) => void): this;
  on(event: 'complete', listener: () => void): this;
  close(): void;
  stats(): { ps_recv: number; ps_drop: number; ps_ifdrop: number };
  inject(data: Buffer): void;
}

export declare let warningHandler: (message: string) => void;
export declare const lib_version: string;
export declare function findalldevs(): unknown[];
export declare function createSession(device: string, options?: CaptureOptions): PcapSession;
export declare function createOfflineSession(path: string, options?: { filter?: string }): PcapSession;
export { PcapSession as Pcap };
