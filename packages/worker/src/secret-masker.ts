/** What a secret value is replaced with. */
export const MASK = '***';

// Lines of a multi-line secret (a private key) shorter than this are not masked on their own: they
// would blank out ordinary text (`-----`) while revealing nothing.
const MIN_LINE_SECRET = 8;
// A text cut at a size cap may end in the first characters of a secret; shorter tails are left alone.
const MIN_TAIL = 4;

/**
 * Replaces the values of an input's secret keys with `***` wherever they appear: in log lines, error
 * messages and anywhere inside an output (stdout text included). Values nested in a secret map or
 * list are each masked; numbers are masked as their text.
 */
export class SecretMasker {
  /** The texts to hide, longest first so a secret containing another is masked whole. */
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    const set = new Set<string>();
    for (const secret of secrets) {
      if (secret === '') continue;
      set.add(secret);
      // Output is streamed line by line: each line of a multi-line secret must be caught alone.
      if (secret.includes('\n')) {
        for (const line of secret.split(/\r?\n/)) if (line.trim().length >= MIN_LINE_SECRET) set.add(line);
      }
    }
    this.secrets = [...set].sort((a, b) => b.length - a.length);
  }

  /** The masker for `input`'s values under `secretKeys`. */
  static forInput(input: Record<string, unknown>, secretKeys: readonly string[]): SecretMasker {
    const values: string[] = [];
    for (const key of secretKeys) collectTexts(input[key], values);
    return new SecretMasker(values);
  }

  /** True when there is nothing to mask. */
  get empty(): boolean {
    return this.secrets.length === 0;
  }

  /** `text` with every secret replaced by `***`. */
  maskText(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  }

  /**
   * Like `maskText`, for a text cut at a size cap: also masks a tail that is the start of a secret,
   * which the cut would otherwise leave readable.
   */
  maskTruncated(text: string): string {
    const out = this.maskText(text);
    for (const secret of this.secrets) {
      for (let n = Math.min(secret.length - 1, out.length); n >= MIN_TAIL; n--) {
        if (out.endsWith(secret.slice(0, n))) return out.slice(0, out.length - n) + MASK;
      }
    }
    return out;
  }

  /** A copy of a JSON-shaped value with every string masked (keys are kept as they are). */
  maskValue<T>(value: T): T {
    if (this.empty) return value;
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.maskText(value);
    if (typeof value === 'number') {
      return this.secrets.includes(String(value)) ? MASK : value;
    }
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = this.walk(item);
      return out;
    }
    return value;
  }
}

function collectTexts(value: unknown, into: string[]): void {
  if (typeof value === 'string') into.push(value);
  // A secret true/false would mask every "true" in the output while hiding nothing.
  else if (typeof value === 'number') into.push(String(value));
  else if (Array.isArray(value)) for (const item of value) collectTexts(item, into);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) collectTexts(item, into);
}
