// The Wings HTTP server: `/download/backup` and the websocket upgrade on `/api/servers/:uuid/ws`
// (W router/router.go). Anything else is gin's plain 404.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { lowerHeaders, queryRecord, recordableBody } from './recorder.ts';
import type { SimCore } from './state.ts';
import { handleWingsDownload, sendJson, sendText } from './wings-download.ts';
import type { WsHub } from './wings-websocket.ts';

export function createWingsServer(core: SimCore, hub: WsHub): Server {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = lowerHeaders(req.headers);
      const isDownload = url.pathname === '/download/backup';
      const wsMatch = /^\/api\/servers\/([^/]+)\/ws\/?$/.exec(url.pathname);
      const rec = core.recorder.add({
        route: isDownload ? 'wings.download' : wsMatch ? 'wings.ws' : 'wings.unknown',
        method: req.method ?? 'GET',
        path: url.pathname,
        query: queryRecord(url.searchParams),
        headers,
        body: recordableBody(Buffer.concat(chunks).toString('utf8'), headers['content-type']),
        at: Date.now(),
      });
      if (isDownload) {
        handleWingsDownload(core, req, res, rec, url).catch(() => res.destroy());
        return;
      }
      if (wsMatch && req.method === 'GET') {
        const known = core.servers.some((s) => s.uuid === decodeURIComponent(wsMatch[1] as string));
        if (!known) {
          sendJson(res, rec, 404, { error: 'The requested resource does not exist on this instance.' });
          return;
        }
        // gorilla's Upgrade on a plain GET
        sendText(res, rec, 400, "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header\n");
        return;
      }
      sendText(res, rec, 404, '404 page not found');
    });
  });
  server.on('upgrade', (req, socket, head: Buffer) => {
    hub.handleUpgrade(req, socket, head).catch(() => socket.destroy());
  });
  return server;
}
