// Waiting benchmark (run on demand): how soon the step goes on after a backup finishes, and how
// many REST requests the wait costs, for wait-strategy poll and auto, measured in the same run.
//
//   ./node_modules/.bin/node bench/wait.ts [--backup-seconds 62.5] [--poll-interval 5]
//
// Both runs use the bundled action (dist/index.js) against the simulator, at the same time, on
// two servers with identical backups of about a minute. The default 62.5 s makes the backup end
// half-way between two polls, as a real backup does on average (a whole multiple of the
// interval would flatter polling).
import { parseArgs } from 'node:util';
import { startSimulator } from '../simulator/index.ts';
import { runAction } from '../test/e2e/run-action.ts';

const { values } = parseArgs({ options: { 'backup-seconds': { type: 'string', default: '62.5' }, 'poll-interval': { type: 'string', default: '5' } } });
const backupMs = Number(values['backup-seconds']) * 1000;
const pollInterval = `${values['poll-interval']}s`;

const sim = await startSimulator();
sim.settings.backupDurationMs = backupMs;
const strategies = ['poll', 'auto'] as const;
const servers = strategies.map((strategy) => ({ strategy, server: sim.addServer({ name: strategy }) }));

console.log(`A ${backupMs / 1000} s backup on each of two servers; poll-interval ${pollInterval}.`);
const runs = await Promise.all(
  servers.map(async ({ strategy, server }) => {
    const run = await runAction(
      {
        'panel-url': sim.panelUrl,
        'api-key': sim.apiKey,
        'server-id': server.identifier,
        'allow-insecure-http': 'true',
        'wait-strategy': strategy,
        'poll-interval': pollInterval,
      },
      { timeoutMs: backupMs + 120_000 },
    );
    const endedAt = Date.now();
    if (run.exitCode !== 0) throw new Error(`${strategy}: the action failed:\n${run.stdout}`);
    return { strategy, server, endedAt };
  }),
);

const rows = runs.map(({ strategy, server, endedAt }) => {
  const mine = sim.requests.filter((r) => r.path.includes(server.identifier) || r.path.includes(server.uuid));
  const finished = sim.serverEvents(server.identifier).find((e) => e.kind === 'backup:complete')!.at;
  // The wait's REST cost: the socket token and every read of the backup (not the create or the
  // download URL asked for the output afterwards).
  const waitRequests = mine.filter((r) => r.route === 'server.websocket' || r.route === 'backups.view');
  const lastRead = mine.filter((r) => r.route === 'backups.view').at(-1)!.at;
  return { strategy, requests: waitRequests.length, toFinalRead: lastRead - finished, toExit: endedAt - finished };
});
await sim.close();

console.log('\n| wait-strategy | REST requests while waiting | backup finished → final read | → step ended |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(`| ${row.strategy} | ${row.requests} | ${row.toFinalRead} ms | ${row.toExit} ms |`);
const [poll, auto] = rows as [(typeof rows)[0], (typeof rows)[0]];
console.log(`\nauto / poll: ${(auto.requests / poll.requests).toFixed(2)} × the requests, ${(auto.toExit / Math.max(1, poll.toExit)).toFixed(2)} × the delay after the backup finished.`);
