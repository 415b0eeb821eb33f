// Server view, websocket token and resources
// (ServerController, WebsocketController, ResourceUtilizationController; wings.md §1.1, panel-api.md §11).
import { callDaemon } from '../daemon.ts';
import { HttpError, jsonReply } from '../envelope.ts';
import type { Reply } from '../envelope.ts';
import { websocketToken } from '../links.ts';
import { serverOf } from '../panel-context.ts';
import type { Ctx } from '../panel-context.ts';
import { resourceStats } from '../power.ts';
import { serverAttributes } from '../transform.ts';

export function serverView(ctx: Ctx): Reply {
  const { core, user } = ctx;
  const server = serverOf(ctx);
  return jsonReply(200, {
    object: 'server',
    attributes: serverAttributes(core, server, user),
    meta: {
      is_server_owner: core.isOwner(user, server),
      user_permissions: core.permissionsFor(user, server),
    },
  });
}

export function serverWebsocket(ctx: Ctx): Reply {
  const { core, user } = ctx;
  const server = serverOf(ctx);
  if (!core.can(user, server, 'websocket.connect')) {
    throw new HttpError(403, 'HttpForbiddenException', "You do not have permission to connect to this server's websocket.");
  }
  const socket = `${core.wingsUrl.replace(/^http/, 'ws')}/api/servers/${server.uuid}/ws`;
  return jsonReply(200, { data: { token: websocketToken(core, server, user), socket } });
}

export function serverResources(ctx: Ctx): Reply {
  const { core } = ctx;
  const server = serverOf(ctx);
  const ttl = core.settings.resourcesCacheMs;
  const cached = core.resourcesCache.get(server.id);
  let data: Record<string, unknown>;
  // The panel caches Wings' answer (about 20 s), so a state change can show late.
  if (ttl > 0 && cached && Date.now() - cached.at < ttl) {
    data = cached.data;
  } else {
    data = callDaemon(core, 'server.resources', () => resourceStats(server));
    if (ttl > 0) core.resourcesCache.set(server.id, { at: Date.now(), data });
  }
  return jsonReply(200, { object: 'stats', attributes: data });
}
