import * as core from '@actions/core';

/**
 * Every secret the action knows of: the API key, `headers` values, proxy credentials, websocket
 * tokens and signed URLs. Registering masks the value in the runner's log at once
 * (`core.setSecret`) and lets `redact` scrub it from any text the action builds itself (error
 * messages, the job summary), which the runner's masking does not cover.
 */
class SecretRegistry {
  private readonly values = new Set<string>();

  /**
   * Registers a secret. By default a value under 4 characters is skipped (masking `abc` would also
   * hide every `abc` in unrelated text); `minLength: 1` registers any non-empty value, as
   * `headers` values need: no log may ever contain one, however short.
   */
  add(value: string | undefined, minLength = 4): void {
    if (!value || value.length < minLength) return;
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
