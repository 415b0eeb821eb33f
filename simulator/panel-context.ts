// What a panel route handler sees, and the checks handlers share.
import { E } from './envelope.ts';
import type { Reply } from './envelope.ts';
import type { ApiKeyModel, BackupModel, ServerModel, SimCore, UserModel } from './state.ts';
import type { Flavor, RouteName } from './types.ts';

export interface Ctx {
  core: SimCore;
  route: RouteDef;
  method: string;
  params: Record<string, string>;
  /** Query parameters after TrimStrings/ConvertEmptyStringsToNull; `a[b]=c` becomes { a: { b: 'c' } }. */
  query: Record<string, unknown>;
  /** `$request->input()`: query merged under the (JSON or form) body. */
  input: Record<string, unknown>;
  headers: Record<string, string>;
  /** Absolute request URL without the query, as the paginator builds links from it. */
  pathUrl: string;
  user: UserModel;
  key: ApiKeyModel;
  server?: ServerModel;
  backup?: BackupModel;
  /** Headers added by middleware (X-RateLimit-*), kept on errors raised later. */
  resHeaders: Record<string, string>;
}

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

export interface RouteDef {
  name: RouteName;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under the panel root, with `{server}` / `{backup}` placeholders. */
  path: string;
  handler: Handler;
  /** Only registered for this flavor. */
  flavor?: Flavor;
}

export function serverOf(ctx: Ctx): ServerModel {
  if (!ctx.server) throw new Error('route has no server');
  return ctx.server;
}

export function backupOf(ctx: Ctx): BackupModel {
  if (!ctx.backup) throw new Error('route has no backup');
  return ctx.backup;
}

/** ClientApiRequest::authorize → ServerPolicy: 403 "This action is unauthorized." */
export function requirePermission(ctx: Ctx, permission: string): void {
  if (!ctx.core.can(ctx.user, serverOf(ctx), permission)) throw E.forbidden();
}

/** A scalar query value: undefined when absent, null when empty, else the (trimmed) string. */
export function queryValue(ctx: Ctx, name: string): string | null | undefined {
  const v = ctx.query[name];
  if (v === undefined || v === null) return v;
  return typeof v === 'string' ? v : undefined;
}
