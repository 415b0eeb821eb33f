// GET /api/client (ClientController index): the servers the user owns or is a subuser of.
import { E, jsonReply } from '../envelope.ts';
import type { Reply } from '../envelope.ts';
import { paginate, resolvePage, resolvePerPage } from '../pagination.ts';
import { queryValue } from '../panel-context.ts';
import type { Ctx } from '../panel-context.ts';
import { serverAttributes } from '../transform.ts';

export function clientIndex(ctx: Ctx): Reply {
  const { core, user } = ctx;
  // paginate(min($request->query('per_page', 50), 100))
  const perPage = resolvePerPage(queryValue(ctx, 'per_page'), 50, 100);
  if (perPage === 'error') throw E.unexpected('ErrorException');
  const page = resolvePage(queryValue(ctx, 'page'));
  const servers = core.servers.filter((s) => core.isOwner(user, s) || s.subusers.has(user.id));
  const { items, pagination } = paginate(servers, perPage, page, ctx.pathUrl);
  return jsonReply(200, {
    object: 'list',
    data: items.map((s) => ({ object: 'server', attributes: serverAttributes(core, s, user) })),
    meta: { pagination },
  });
}
