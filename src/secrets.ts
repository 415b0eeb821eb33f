import * as core from '@actions/core';

/** A JWT's header and the start of its payload: `eyJ…` then a dot. */
const JWT_SHAPE = /eyJ[\w-]*\.[\w-]*(?:\.[\w-]*)?/g;

/** The rest of a JWT after its header was redacted: `***.payload.signature`. */
const JWT_REMNANT = /\*\*\*(?:\.[\w-]{8,}){1,2}/g;

/** The panels' API keys, whole or cut short: Pterodactyl's `ptlc_`/`ptla_`, Pelican's `pacc_`/`papp_`. */
const KEY_SHAPE = /\b(?:ptl[ac]|pacc|papp)_[A-Za-z0-9]{6,}/gi;

/** Shorter values are not masked (see `SecretRegistry.add`). */
export const MIN_SECRET_LENGTH = 4;

/**
 * Query parameters of signed download URLs that carry a credential or a signature: Wings'
 * `token` (a JWT), S3's SigV4 and SigV2 ones, and the equivalents of other S3-compatible stores.
 * Other parameters (`X-Amz-SignedHeaders=host`, `X-Amz-Algorithm=AWS4-HMAC-SHA256`, dates) are
 * not secret, and masking them would hide words like `host` everywhere in the job's log.
 */
const SIGNED_URL_SECRETS = new Set([
  'token',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'signature',
  'awsaccesskeyid',
  'x-goog-signature',
  'x-goog-credential',
  'sig',
]);

/** The parts of a JWT long enough to be recognised alone (a library may print one part). */
const JWT_PART_MIN = 16;

/**
 * A run of this many characters of a wholly secret value (the key, a header value, a token) in
 * outside text is taken for a piece of it: a proxy or panel may echo a secret cut short.
 */
const FRAGMENT = 12;

/**
 * Every secret the action knows of: the API key, `headers` values, proxy credentials, websocket
 * tokens and signed URLs. Registering masks the value in the runner's log at once
 * (`core.setSecret`) and lets `redact` scrub it from any text the action builds itself (error
 * messages, the job summary), which the runner's masking does not cover.
 */
class SecretRegistry {
  private readonly values = new Set<string>();
  /** The values that are secret in every part (not a URL, whose origin and path are not). */
  private readonly whole = new Set<string>();

  /**
   * Registers a secret. A value under `MIN_SECRET_LENGTH` characters is skipped: masking `abc`
   * would also hide every `abc` in unrelated text, and the runner drops outputs holding a mask.
   */
  add(value: string | undefined): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    this.register(value);
    this.whole.add(value);
    // A URL-encoded form can appear in URLs built from the value, a JSON-escaped one in the JSON
    // outputs (`backup`, `backups`, `results`), which are redacted after serialising.
    this.register(encodeURIComponent(value));
    this.register(JSON.stringify(value).slice(1, -1));
    const parts = value.split('.');
    if (parts.length === 3 && value.startsWith('eyJ')) {
      for (const part of parts) if (part.length >= JWT_PART_MIN) this.register(part);
    }
  }

  /** Masks a signed URL and its credential-bearing query values (a token alone can be printed by a library). */
  addUrl(url: string): void {
    this.register(url);
    this.register(encodeURIComponent(url));
    try {
      for (const [name, value] of new URL(url).searchParams) {
        if (!SIGNED_URL_SECRETS.has(name.toLowerCase())) continue;
        if (name.toLowerCase() === 'x-amz-credential') {
          // `<access key id>/<date>/<region>/s3/aws4_request`: only the key id is secret in every part.
          this.register(value);
          this.add(value.split('/')[0]);
        } else {
          this.add(value);
        }
      }
    } catch {
      // Not a URL: the whole value is already masked.
    }
  }

  private register(value: string): void {
    if (this.values.has(value)) return;
    this.values.add(value);
    core.setSecret(value);
  }

  redact(text: string): string {
    let result = text;
    // Longest first, so a URL is replaced before the token inside it.
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      result = result.split(value).join('***');
    }
    return result;
  }

  /**
   * For text from outside (a daemon's message, a proxy's page, the panel's error detail):
   * `redact`, and also anything shaped like a JWT or an API key, whole or cut short (a token this
   * run never saw, or one cut by a length limit, which `redact` cannot match). Cut such text only
   * after this.
   */
  scrub(text: string): string {
    // Known values first, so a secret that holds a shape is hidden whole; then the shapes, and what
    // is left of a token whose known header part (a common one) was already replaced.
    const shaped = this.redact(text).replace(JWT_REMNANT, '***').replace(JWT_SHAPE, '***').replace(KEY_SHAPE, '***');
    return this.hideFragments(shaped);
  }

  /** Outside text made safe to print: one line, scrubbed, at most `max` characters. */
  oneLine(text: string, max: number): string {
    const line = this.scrub(text.replace(/[\u0000-\u001f\u007f]+/g, ' ')).trim();
    return line.length > max ? `${line.slice(0, max)}…` : line;
  }

  /** Replaces every run of `FRAGMENT` or more characters of a wholly secret value. */
  private hideFragments(text: string): string {
    let result = text;
    for (const secret of this.whole) {
      if (secret.length < FRAGMENT + 4) continue;
      for (let i = 0; i + FRAGMENT <= secret.length; i++) {
        const piece = secret.slice(i, i + FRAGMENT);
        for (let at = result.indexOf(piece); at >= 0; at = result.indexOf(piece, at + 3)) {
          let start = at;
          let end = at + FRAGMENT;
          for (let from = i; start > 0 && from > 0 && result[start - 1] === secret[from - 1]; from--) start--;
          for (let to = i + FRAGMENT; end < result.length && to < secret.length && result[end] === secret[to]; to++) end++;
          result = `${result.slice(0, start)}***${result.slice(end)}`;
          at = start;
        }
      }
    }
    return result;
  }
}

export const secrets = new SecretRegistry();
