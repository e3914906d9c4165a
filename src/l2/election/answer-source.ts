// Whose answer an ARP reply or Neighbor Advertisement for a Service's address is (pure). The
// silent-holder probe counts only the holder's answers as its life; the address-in-use check
// counts only a foreign host's as "in use" (a lanlb announcer answering is a hand-over in flight,
// or a stale responder the answer audit repairs, not another host owning the address).

export type AnswerSource = 'own' | 'holder' | 'lanlb' | 'foreign';

export interface AnswerContext {
  /** this node's MACs */
  own: ReadonlySet<string>;
  /** MACs of lanlb announcers this node hears (heartbeats), its own included or not */
  lanlb: ReadonlySet<string>;
  /**
   * The holder's MACs from its Lease; [] when nobody holds; undefined when the Lease does not
   * say them (written before the holder filled them in): then any MAC but ours may be its.
   */
  holderMacs?: readonly string[];
}

export function answerSource(mac: string, c: AnswerContext): AnswerSource {
  if (c.own.has(mac)) return 'own';
  if (c.holderMacs === undefined || c.holderMacs.includes(mac)) return 'holder';
  return c.lanlb.has(mac) ? 'lanlb' : 'foreign';
}
