import * as core from '@actions/core';

/**
 * Every secret the action knows of: the API key, `headers` values, proxy credentials, websocket
 * tokens and signed URLs. Registering masks the value in the runner's log at once
 * (`core.setSecret`) and lets `redact` scrub it from any text the action builds itself (error
 * messages, the job summary), which the runner's masking does not cover.
 */
/** Shorter values are not masked (see `SecretRegistry.add`). */
export const MIN_SECRET_LENGTH = 4;

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
}

export const secrets = new SecretRegistry();
