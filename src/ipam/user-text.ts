// User text (annotations, names) quoted into status conditions and Events, cut to a length that
// keeps them readable and small: a 100 KB lanlb.io/ips annotation must not be copied whole into
// every condition and Event about its Service.

export const MAX_ECHOED_CHARACTERS = 256;

/** `text` in quotes, cut to `max` characters with a note of how much was left out. */
export function quoteUserText(text: string, max = MAX_ECHOED_CHARACTERS): string {
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}... (${text.length - max} more characters)`;
}

/** A whole message cut to `max` characters (a last bound where a message is written). */
export function truncateMessage(message: string, max: number): string {
  return message.length <= max ? message : `${message.slice(0, max - 3)}...`;
}
