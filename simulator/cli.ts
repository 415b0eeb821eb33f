// Start one simulator with one server and a couple of backups; print how to reach it; run until Ctrl-C.
//   node simulator/cli.ts [--flavor pelican] [--prefix /panel] [--s3] [--tz-offset 120] [--outputs FILE]
// --outputs writes `panel-url=`, `api-key=` and `server-id=` lines to FILE once it listens (the file
// appears complete, by rename), for a workflow to copy into GITHUB_OUTPUT.
import { renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startSimulator } from './index.ts';

const { values } = parseArgs({
  options: {
    flavor: { type: 'string', default: 'pterodactyl' },
    prefix: { type: 'string', default: '' },
    s3: { type: 'boolean', default: false },
    'tz-offset': { type: 'string', default: '0' },
    outputs: { type: 'string' },
  },
});

const flavor = values.flavor === 'pelican' ? 'pelican' : 'pterodactyl';
const sim = await startSimulator({
  flavor,
  pathPrefix: values.prefix,
  s3: values.s3,
  timezoneOffsetMinutes: Number(values['tz-offset']),
});
const server = sim.addServer({ name: 'Survival' });
const hour = 3_600_000;
sim.addBackup(server.identifier, { name: 'nightly', createdAt: new Date(Date.now() - 26 * hour) });
sim.addBackup(server.identifier, { name: 'before-update', createdAt: new Date(Date.now() - 2 * hour), locked: true });

if (values.outputs) {
  const lines = [`panel-url=${sim.panelUrl}`, `api-key=${sim.apiKey}`, `server-id=${server.identifier}`];
  writeFileSync(`${values.outputs}.partial`, `${lines.join('\n')}\n`);
  renameSync(`${values.outputs}.partial`, values.outputs);
}

process.stdout.write(
  [
    `Simulated ${flavor} panel`,
    `  panel-url : ${sim.panelUrl}`,
    `  wings     : ${sim.wingsUrl}`,
    `  server-id : ${server.identifier} (uuid ${server.uuid})`,
    `  api-key   : ${sim.apiKey}`,
    '',
    `  curl -H "Authorization: Bearer ${sim.apiKey}" -H "Accept: application/json" ${sim.panelUrl}/api/client/servers/${server.identifier}/backups`,
    '',
    'Ctrl-C to stop.',
    '',
  ].join('\n'),
);

const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
