// Facts about a network interface from /sys (works for interfaces with no IP address), and
// all-multicast, so Neighbor Solicitations sent to a VIP's solicited-node multicast group reach
// the capture (Cilium's NDP responder missed exactly this).
import { readFileSync, readdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseMac, type Mac } from '../codec/mac.js';

const execFileP = promisify(execFile);
const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_ALLMULTI = 0x200;

export interface LinkInfo {
  name: string;
  mac: Mac;
  up: boolean;
  loopback: boolean;
  allMulticast: boolean;
  /** the link has carrier (/sys/class/net/X/carrier; unreadable while the link is down) */
  carrier: boolean;
  /** carrier ups and downs so far (/sys/class/net/X/carrier_changes): a flap between two reads */
  carrierChanges?: number;
}

export function readLink(name: string): LinkInfo | undefined {
  try {
    const dir = `/sys/class/net/${name}`;
    const mac = parseMac(readFileSync(`${dir}/address`, 'utf8'));
    const flags = parseInt(readFileSync(`${dir}/flags`, 'utf8'), 16);
    if (!mac) return undefined;
    return {
      name,
      mac,
      up: (flags & IFF_UP) !== 0,
      loopback: (flags & IFF_LOOPBACK) !== 0,
      allMulticast: (flags & IFF_ALLMULTI) !== 0,
      carrier: readCarrier(dir),
      carrierChanges: readCount(`${dir}/carrier_changes`),
    };
  } catch {
    return undefined;
  }
}

function readCarrier(dir: string): boolean {
  try {
    return readFileSync(`${dir}/carrier`, 'utf8').trim() === '1';
  } catch {
    return false; // EINVAL while the link is administratively down
  }
}

function readCount(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

export function listLinks(): LinkInfo[] {
  let names: string[] = [];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    return [];
  }
  return names.flatMap((n) => readLink(n) ?? []);
}

export async function setAllMulticast(name: string, on: boolean): Promise<void> {
  await execFileP('ip', ['link', 'set', 'dev', name, 'allmulticast', on ? 'on' : 'off']);
}

/** The host's interfaces, read from /sys on every call (the announcer's LinkSource). */
export const sysfsLinks = { list: listLinks, read: readLink };
