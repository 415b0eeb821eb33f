// POST /power (PowerController, SendPowerRequest): permission by signal, then validation, then Wings.
import { callDaemon } from '../daemon.ts';
import { noContent } from '../envelope.ts';
import type { Reply } from '../envelope.ts';
import { requirePermission, serverOf } from '../panel-context.ts';
import type { Ctx } from '../panel-context.ts';
import { powerAction } from '../power.ts';
import type { PowerSignal } from '../types.ts';
import { validate } from '../validation.ts';

const SIGNALS = ['start', 'stop', 'restart', 'kill'] as const;

function permissionFor(signal: unknown): string {
  switch (signal) {
    case 'start':
      return 'control.start';
    case 'stop':
    case 'kill':
      return 'control.stop';
    case 'restart':
      return 'control.restart';
    default:
      // SendPowerRequest::permission(): an unknown signal needs a permission nobody has.
      return '__invalid';
  }
}

export function serverPower(ctx: Ctx): Reply {
  const { core } = ctx;
  const server = serverOf(ctx);
  const signal = ctx.input['signal'];
  requirePermission(ctx, permissionFor(signal));
  validate(ctx.input, { signal: ['required', 'string', { in: SIGNALS }] });
  const s = signal as PowerSignal;
  callDaemon(core, 'server.power', () => powerAction(core, server, s));
  core.logActivity(server, `server:power.${s}`);
  return noContent();
}
