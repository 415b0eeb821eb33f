import { Agent, ProxyAgent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { getProxyUrl } from '@actions/http-client/lib/proxy';
import type { Readable } from 'node:stream';
import { ActionError } from '../errors.js';
import { secrets } from '../secrets.js';
import { toNetworkError } from './network-error.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** Longest wait for the response headers, and for each chunk of the body. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  text: string;
}

export interface HttpStreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

export interface TransportOptions {
  userAgent: string;
  connectTimeoutMs?: number;
  /** Replaces the proxy-aware dispatchers (tests inject undici's MockAgent). */
  dispatcher?: Dispatcher;
}

/**
 * The only module that talks HTTP. It honours HTTP(S)_PROXY and NO_PROXY exactly as the
 * toolkit's http-client decides them (`getProxyUrl`, which also bypasses loopback), sets
 * connect and response timeouts and a descriptive User-Agent, and turns transport failures into
 * `NetworkError`s that never carry a URL's query (where signed tokens live).
 */
export class HttpTransport {
  private readonly userAgent: string;
  private readonly connectTimeoutMs: number;
  private readonly injected: Dispatcher | undefined;
  private direct: Agent | undefined;
  private readonly proxies = new Map<string, ProxyAgent>();

  constructor(options: TransportOptions) {
    this.userAgent = options.userAgent;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.injected = options.dispatcher;
  }

  /** Sends a request and reads the whole (small) answer. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const res = await this.send(req);
    try {
      const text = await res.body.text();
      return { status: res.status, headers: res.headers, text };
    } catch (error) {
      throw toNetworkError(error, describeTarget(req));
    }
  }

  /** Sends a request and hands back the body as a stream (downloads). */
  async stream(req: HttpRequest): Promise<HttpStreamResponse> {
    const res = await this.send(req);
    return { status: res.status, headers: res.headers, body: res.body };
  }

  /** The dispatcher for a URL: a proxy when the environment says so, else a direct agent. */
  dispatcherFor(url: URL): Dispatcher {
    if (this.injected) return this.injected;
    const proxy = withScheme(getProxyUrl(url));
    if (!proxy) {
      this.direct ??= new Agent({ connect: { timeout: this.connectTimeoutMs } });
      return this.direct;
    }
    const key = proxy.href;
    let agent = this.proxies.get(key);
    if (!agent) {
      let token: string | undefined;
      const uri = new URL(proxy.href);
      if (uri.username || uri.password) {
        const [username, password] = [decoded(uri.username), decoded(uri.password)];
        token = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
        secrets.add(password);
        secrets.add(token);
      }
      uri.username = '';
      uri.password = '';
      agent = new ProxyAgent({ uri: uri.href, ...(token ? { token } : {}), connect: { timeout: this.connectTimeoutMs } });
      this.proxies.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    const agents: Dispatcher[] = [...this.proxies.values()];
    if (this.direct) agents.push(this.direct);
    this.proxies.clear();
    this.direct = undefined;
    await Promise.allSettled(agents.map((agent) => agent.close()));
  }

  private async send(req: HttpRequest): Promise<{ status: number; headers: Record<string, string>; body: Dispatcher.ResponseData['body'] }> {
    // A proxy setting the action cannot use is the user's to fix, not a network error to retry.
    const dispatcher = this.dispatcherFor(req.url);
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: { 'user-agent': this.userAgent, ...req.headers },
        ...(req.body !== undefined ? { body: req.body } : {}),
        dispatcher,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
        ...(req.signal ? { signal: req.signal } : {}),
      });
      return { status: res.statusCode, headers: flattenHeaders(res.headers), body: res.body };
    } catch (error) {
      throw toNetworkError(error, describeTarget(req));
    }
  }
}

/** `GET https://panel.example.com/api/client/...` without the query, which may hold a token. */
export function describeTarget(req: Pick<HttpRequest, 'method' | 'url'>): string {
  return `${req.method} ${req.url.origin}${req.url.pathname}`;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * A proxy variable without a scheme (`user:pass@proxy:3128`) parses as a URL whose scheme is the
 * user name; curl takes such a value as `http://`, and so does this. Another scheme (`socks5://`)
 * is refused, naming the variables, rather than tried as something else.
 */
function withScheme(proxy: URL | undefined): URL | undefined {
  if (!proxy || proxy.protocol === 'http:' || proxy.protocol === 'https:') return proxy;
  if (!proxy.href.includes('://')) {
    try {
      return new URL(`http://${proxy.href}`);
    } catch {
      // Not a host either: refused below.
    }
  }
  throw new ActionError(`the proxy in HTTPS_PROXY/HTTP_PROXY uses ${proxy.protocol.replace(/:$/, '')}://; only http:// and https:// proxies are supported.`);
}

/** A URL's user name or password as written before percent-encoding (kept as is when it does not decode). */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
