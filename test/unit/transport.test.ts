import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, connect } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NetworkError } from '../../src/http/network-error.js';
import { HttpTransport } from '../../src/http/transport.js';
import type { HttpRequest } from '../../src/http/transport.js';
import { secrets } from '../../src/secrets.js';

// The transport asks `getProxyUrl` on every request, so the proxy variables are read per request,
// not when the transport is built. Each test starts with none of them set (the unstubbed values
// are restored after each test).
const PROXY_VARIABLES = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];

const open: Array<HttpServer | TcpServer> = [];
const sockets = new Set<Socket>();
let transport: HttpTransport;

async function listen<T extends HttpServer | TcpServer>(server: T): Promise<number> {
  open.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A panel stand-in on loopback: answers 200 with the Host header it received. */
async function startPanel(): Promise<number> {
  return listen(
    createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`host=${req.headers.host}`);
    }),
  );
}

interface Proxy {
  port: number;
  /** The request line and headers of each CONNECT, e.g. `CONNECT panel.invalid:1234 HTTP/1.1`. */
  requests: Array<{ line: string; headers: Record<string, string> }>;
}

/**
 * A CONNECT proxy that tunnels every target to 127.0.0.1 on the target's port (no DNS), or
 * refuses every tunnel with `refuse` as its status line.
 */
async function startProxy(refuse?: string): Promise<Proxy> {
  const proxy: Proxy = { port: 0, requests: [] };
  const server = createTcpServer((client) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const [line = '', ...headerLines] = head.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const header of headerLines) {
        const colon = header.indexOf(':');
        headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
      }
      proxy.requests.push({ line, headers });
      const port = Number(/^CONNECT \S+:(\d+) /.exec(line)?.[1]);
      if (refuse) {
        client.end(`HTTP/1.1 ${refuse}\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      if (!port) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
        return;
      }
      const upstream = connect(port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream).pipe(client);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    };
    client.on('data', onData);
  });
  proxy.port = await listen(server);
  return proxy;
}

function get(url: string, timeoutMs = 5_000): HttpRequest {
  return { method: 'GET', url: new URL(url), headers: { accept: 'application/json' }, timeoutMs };
}

async function failure(promise: Promise<unknown>): Promise<NetworkError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetworkError);
  return error as NetworkError;
}

beforeEach(() => {
  for (const name of PROXY_VARIABLES) vi.stubEnv(name, '');
  transport = new HttpTransport({ userAgent: 'transport-test' });
});

afterEach(async () => {
  await transport.close();
  for (const socket of sockets) socket.destroy();
  await Promise.all(open.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  vi.unstubAllEnvs();
});

describe('HTTP(S)_PROXY and NO_PROXY', () => {
  it('sends a request for a non-loopback host through HTTP_PROXY, as a CONNECT tunnel', async () => {
    const panelPort = await startPanel();
    const proxy = await startProxy();
    // Set after the transport was built: the variables are read per request.
    vi.stubEnv('HTTP_PROXY', `http://127.0.0.1:${proxy.port}`);

    const res = await transport.request(get(`http://panel.invalid:${panelPort}/api/client`));

    expect(proxy.requests.map((r) => r.line)).toEqual([`CONNECT panel.invalid:${panelPort} HTTP/1.1`]);
    expect(proxy.requests[0]?.headers['proxy-authorization']).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.text).toBe(`host=panel.invalid:${panelPort}`);
  });

  it("sends the proxy URL's credentials as Basic Proxy-Authorization and masks them", async () => {
    const panelPort = await startPanel();
    const proxy = await startProxy();
    vi.stubEnv('http_proxy', `http://builder:pr%40xy-pass@127.0.0.1:${proxy.port}`);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

    const res = await transport.request(get(`http://panel.invalid:${panelPort}/`));
    const masks = stdout.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('::add-mask::'));
    stdout.mockRestore();

    expect(res.status).toBe(200);
    const token = `Basic ${Buffer.from('builder:pr@xy-pass').toString('base64')}`;
    expect(proxy.requests[0]?.headers['proxy-authorization']).toBe(token);
    expect(masks).toContain('::add-mask::pr@xy-pass\n');
    expect(secrets.redact(`auth ${token}`)).toBe('auth ***');
  });

  it('takes a proxy variable without a scheme as http://, credentials included (as curl does)', async () => {
    const panelPort = await startPanel();
    const proxy = await startProxy();
    vi.stubEnv('HTTP_PROXY', `builder:n0-scheme-p%40ss@127.0.0.1:${proxy.port}`);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

    const res = await transport.request(get(`http://panel.invalid:${panelPort}/`));
    const masks = stdout.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('::add-mask::'));
    stdout.mockRestore();

    expect(res.status).toBe(200);
    expect(proxy.requests[0]?.headers['proxy-authorization']).toBe(`Basic ${Buffer.from('builder:n0-scheme-p@ss').toString('base64')}`);
    expect(masks).toContain('::add-mask::n0-scheme-p@ss\n');
  });

  it('refuses a proxy of another scheme (socks5://), naming the variables, before any connection', async () => {
    vi.stubEnv('HTTPS_PROXY', 'socks5://user:s0cks-pass@127.0.0.1:1080');
    const error: unknown = await transport.request(get('https://panel.invalid/api/client')).catch((e: unknown) => e);
    expect((error as Error).message).toBe('the proxy in HTTPS_PROXY/HTTP_PROXY uses socks5://; only http:// and https:// proxies are supported.');
  });

  it('says the proxy wants credentials when it answers the CONNECT with 407, and never tries again', async () => {
    const proxy = await startProxy('407 Proxy Authentication Required');
    vi.stubEnv('HTTPS_PROXY', `http://127.0.0.1:${proxy.port}`);

    const error = await failure(transport.request(get('https://panel.invalid/api/client')));

    expect(proxy.requests).toHaveLength(1);
    expect(error.kind).toBe('proxy-auth');
    expect(error.sent).toBe(false);
    expect(error.message).toBe('GET https://panel.invalid/api/client: the proxy asked for credentials (407 Proxy Authentication Required).');
  });

  it("names the proxy's status when it refuses the tunnel otherwise", async () => {
    const proxy = await startProxy('502 Bad Gateway');
    vi.stubEnv('HTTP_PROXY', `http://127.0.0.1:${proxy.port}`);

    const error = await failure(transport.request(get('http://panel.invalid/api/client')));

    expect(error.kind).toBe('proxy');
    expect(error.sent).toBe(false);
    expect(error.message).toBe('GET http://panel.invalid/api/client: the proxy would not open a tunnel to it (HTTP 502).');
  });

  it('bypasses the proxy for a host in NO_PROXY (here the name then fails to resolve)', async () => {
    const panelPort = await startPanel();
    const proxy = await startProxy();
    vi.stubEnv('HTTP_PROXY', `http://127.0.0.1:${proxy.port}`);
    vi.stubEnv('NO_PROXY', 'example.com, panel.invalid');

    const error = await failure(transport.request(get(`http://panel.invalid:${panelPort}/api/client?token=secret-query`)));

    expect(proxy.requests).toEqual([]);
    expect(error.kind).toBe('dns');
    expect(error.sent).toBe(false);
    expect(error.message).toBe(`GET http://panel.invalid:${panelPort}/api/client: the host name could not be resolved (ENOTFOUND).`);
  });

  it('never sends loopback requests through the proxy', async () => {
    const panelPort = await startPanel();
    const proxy = await startProxy();
    vi.stubEnv('HTTP_PROXY', `http://127.0.0.1:${proxy.port}`);

    const res = await transport.request(get(`http://127.0.0.1:${panelPort}/`));

    expect(res.status).toBe(200);
    expect(proxy.requests).toEqual([]);
  });
});

describe('requests that cannot be sent', () => {
  it('names a header value HTTP cannot carry as such, never sent', async () => {
    const panelPort = await startPanel();
    const request = get(`http://127.0.0.1:${panelPort}/api/client`);
    const error = await failure(transport.request({ ...request, headers: { ...request.headers, 'x-id': 'ab\u200bcd' } }));
    expect(error.kind).toBe('invalid-request');
    expect(error.sent).toBe(false);
    expect(error.message).toContain('could not be sent as given');
  });
});

describe('timeouts', () => {
  it('gives up on a server that accepts the request but never answers (response timeout)', async () => {
    const port = await listen(createServer(() => undefined));
    const started = Date.now();

    const error = await failure(transport.request(get(`http://127.0.0.1:${port}/api/client`, 300)));

    expect(error.kind).toBe('response-timeout');
    expect(error.sent).toBe(true);
    expect(error.message).toContain('no answer arrived in time');
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('gives up on a body that stops arriving (the same timeout, per chunk)', async () => {
    const port = await listen(
      createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"partial":');
      }),
    );

    const error = await failure(transport.request(get(`http://127.0.0.1:${port}/`, 300)));

    expect(error.kind).toBe('response-timeout');
  });

  it('gives up on a connection that never completes (connect timeout, injected)', async () => {
    // A TCP listener that never speaks TLS: undici's connect timeout covers the TLS handshake,
    // so this times out deterministically on loopback. (A non-routable address such as
    // 10.255.255.1 is answered by this sandbox's network, so it cannot be used here.)
    const port = await listen(createTcpServer(() => undefined));
    const short = new HttpTransport({ userAgent: 'transport-test', connectTimeoutMs: 200 });
    const started = Date.now();

    const error = await failure(short.request(get(`https://127.0.0.1:${port}/`, 30_000)));
    await short.close();

    expect(error.kind).toBe('connect-timeout');
    expect(error.sent).toBe(false);
    // undici's timers are coarse (up to about a second); far below the 30 s response timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
