import type { OperationContext } from './context.js';
import { createOperation } from './create.js';
import { deleteOperation } from './delete.js';
import { downloadOperation } from './download.js';
import { getOperation } from './get.js';
import { listOperation } from './list.js';
import { lockOperation } from './lock.js';
import { pruneOperation } from './prune.js';
import { restoreOperation } from './restore.js';

/** Runs the operation the settings name on one server. */
export async function runOperation(ctx: OperationContext): Promise<void> {
  switch (ctx.settings.operation) {
    case 'create':
      return createOperation(ctx);
    case 'list':
      return listOperation(ctx);
    case 'get':
      return getOperation(ctx);
    case 'download':
      return downloadOperation(ctx);
    case 'delete':
      return deleteOperation(ctx);
    case 'lock':
      return lockOperation(ctx, true);
    case 'unlock':
      return lockOperation(ctx, false);
    case 'restore':
      return restoreOperation(ctx);
    case 'prune':
      return pruneOperation(ctx);
  }
}
