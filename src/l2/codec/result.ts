// Decoders are total: they return a value or a typed error, and never throw on any input.

export type DecodeErrorKind = 'truncated' | 'invalid' | 'unsupported';

export interface DecodeError {
  kind: DecodeErrorKind;
  /** which layer and field, for logs and tests */
  message: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

export const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
export const truncated = (message: string): Decoded<never> => ({ ok: false, error: { kind: 'truncated', message } });
export const invalid = (message: string): Decoded<never> => ({ ok: false, error: { kind: 'invalid', message } });
export const unsupported = (message: string): Decoded<never> => ({
  ok: false,
  error: { kind: 'unsupported', message },
});
