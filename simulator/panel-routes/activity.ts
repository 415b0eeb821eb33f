// GET /activity (ActivityLogController): filter[event] partial, sort timestamp, 25 per page (max 100).
import { E, jsonReply } from '../envelope.ts';
import type { Reply } from '../envelope.ts';
import { paginate, resolvePage, resolvePerPage } from '../pagination.ts';
import { queryValue, requirePermission, serverOf } from '../panel-context.ts';
import type { Ctx } from '../panel-context.ts';

export function serverActivity(ctx: Ctx): Reply {
  const { core } = ctx;
  const server = serverOf(ctx);
  requirePermission(ctx, 'activity.read');
  const perPage = resolvePerPage(queryValue(ctx, 'per_page'), 25, 100);
  if (perPage === 'error') throw E.unexpected('ErrorException');
  const page = resolvePage(queryValue(ctx, 'page'));
  let entries = core.activityOf(server);
  const filter = ctx.query['filter'];
  if (filter !== null && typeof filter === 'object' && !Array.isArray(filter)) {
    const ev = (filter as Record<string, unknown>)['event'];
    if (typeof ev === 'string') {
      // spatie/laravel-query-builder AllowedFilter::partial: LIKE %value%, case-insensitive
      const needle = ev.toLowerCase();
      entries = entries.filter((a) => a.event.toLowerCase().includes(needle));
    }
  }
  if (queryValue(ctx, 'sort') === 'timestamp') entries = entries.slice().reverse();
  const { items, pagination } = paginate(entries, perPage, page, ctx.pathUrl);
  return jsonReply(200, {
    object: 'list',
    data: items.map((a) => ({ object: 'activity_log', attributes: core.activityAttributes(a) })),
    meta: { pagination },
  });
}
