// JSON text parsed only when its nesting stays within a bound: an object nested 100,000 levels
// deep parses, but later recursion over it (JSON.stringify, validation) overflows the stack and
// kills the process. The depth is counted on the text before parsing, without recursion.

/** Kubernetes objects nest a dozen levels; 100 leaves room and stops abuse. */
export const MAX_JSON_DEPTH = 100;

export type BoundedJson = { ok: true; value: unknown } | { ok: false; message: string };

export function parseBoundedJson(text: string, maxDepth = MAX_JSON_DEPTH): BoundedJson {
  const depth = nestingDepth(text);
  if (depth > maxDepth) return { ok: false, message: `JSON nested deeper than ${maxDepth} levels` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, message: `request body is not JSON: ${(err as Error).message}` };
  }
}

/** The deepest bracket nesting of JSON text, strings skipped (escapes included). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}
