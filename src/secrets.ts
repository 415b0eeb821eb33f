import * as core from '@actions/core';

/** A JWT's header and the start of its payload: `eyJ…` then a dot. */
const JWT_SHAPE = /eyJ[\w-]*\.[\w-]*(?:\.[\w-]*)?/g;

/** Shorter values are not masked (see `SecretRegistry.add`). */
export const MIN_SECRET_LENGTH = 4;

/**
 * Every secret the action knows of: the API key, `headers` values, proxy credentials, websocket
 * tokens and signed URLs. Registering masks the value in the runner's log at once
 * (`core.setSecret`) and lets `redact` scrub it from any text the action builds itself (error
 * messages, the job summary), which the runner's masking does not cover.
 */
class SecretRegistry {
  private readonly values = new Set<string>();

  /**
   * Registers a secret. A value under `MIN_SECRET_LENGTH` characters is skipped: masking `abc`
   * would also hide every `abc` in unrelated text, and the runner drops outputs holding a mask.
   */
  add(value: string | undefined): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    this.register(value);
    // A URL-encoded form can appear in URLs built from the value.
    this.register(encodeURIComponent(value));
  }

  /** Masks a signed URL and its query values (a token alone can be printed by a library). */
  addUrl(url: string): void {
    this.add(url);
    try {
      for (const value of new URL(url).searchParams.values()) this.add(value);
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
   * For text from outside (a daemon's message, a proxy's page): `redact`, and also anything
   * shaped like a JWT, whole or cut short (a token this run never saw, or one cut by a length
   * limit, which `redact` cannot match). Cut such text only after this.
   */
  scrub(text: string): string {
    return this.redact(text).replace(JWT_SHAPE, '***');
  }
}

export const secrets = new SecretRegistry();
