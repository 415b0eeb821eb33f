// Public API of the Pterodactyl/Pelican panel + Wings simulator. See docs/simulator.md.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { archiveSha1Sync } from './archive.ts';
import { emitBackupCompleted, startBackupJob } from './backup-job.ts';
import { dateTimeString } from './format.ts';
import { uuidV4 } from './ids.ts';
import { createPanelServer } from './panel.ts';
import { createS3Server } from './s3.ts';
import { SimCore } from './state.ts';
import type { BackupModel, ServerModel } from './state.ts';
import { backupAttributes } from './transform.ts';
import type {
  AddBackupOptions,
  AddServerOptions,
  AddUserOptions,
  BackupAttributes,
  BackupEventPayload,
  Fault,
  SimServer,
  Simulator,
  SimulatorOptions,
} from './types.ts';
import { createWingsServer } from './wings.ts';
import { WsHub } from './wings-websocket.ts';

export type * from './types.ts';

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const core = new SimCore(opts);
  const root = core.createUser({ permissions: [] });
  const apiKey = core.createKey(root, 'client');
  const applicationKey = core.createKey(root, 'application');
  const hub = new WsHub(core);
  core.sink = hub;

  const panel = createPanelServer(core);
  const wings = createWingsServer(core, hub);
  const s3 = core.s3 ? createS3Server(core) : null;
  const panelPort = await listen(panel);
  const wingsPort = await listen(wings);
  core.panelUrl = `http://127.0.0.1:${panelPort}${core.prefix}`;
  core.wingsUrl = `http://127.0.0.1:${wingsPort}`;
  if (s3) core.s3Url = `http://127.0.0.1:${await listen(s3)}`;

  function mustServer(idOrUuid: string): ServerModel {
    const server = core.findServer(idOrUuid);
    if (!server) throw new Error(`simulator: unknown server ${idOrUuid}`);
    return server;
  }

  function addUser(o: AddUserOptions): { apiKey: string; userId: number } {
    const user = core.createUser({ permissions: o.permissions, rootAdmin: o.rootAdmin ?? false });
    const key = core.createKey(user, 'client', o.keyPrefix);
    for (const server of core.servers) {
      if (server.visibleTo === 'all' && server.ownerId !== user.id) server.subusers.set(user.id, [...o.permissions]);
    }
    return { apiKey: key, userId: user.id };
  }

  function addServer(o: AddServerOptions = {}): SimServer {
    const id = core.newServerId();
    const uuid = o.uuid ?? (o.identifier ? o.identifier + uuidV4().slice(o.identifier.length) : uuidV4());
    const identifier = o.identifier ?? uuid.slice(0, 8); // uuidShort = first 8 characters of the uuid
    if (core.servers.some((s) => s.identifier === identifier || s.uuid === uuid)) {
      throw new Error(`simulator: server ${identifier} already exists`);
    }
    const visibleTo = o.visibleTo ?? 'all';
    const subusers = new Map<number, string[]>();
    let ownerId = root.id;
    if (visibleTo === 'all') {
      for (const u of core.users) if (!u.hidden && u.id !== root.id) subusers.set(u.id, [...u.defaultPermissions]);
    } else {
      const users = visibleTo.map((k) => core.userByKey(k)).filter((u) => u !== undefined);
      if (!users.some((u) => u.id === root.id)) ownerId = core.hiddenOwner().id;
      for (const u of users) if (u.id !== ownerId) subusers.set(u.id, [...u.defaultPermissions]);
    }
    const power = o.power ?? 'running';
    const server: ServerModel = {
      id,
      identifier,
      uuid,
      name: o.name ?? `Server ${identifier}`,
      backupLimit: o.backupLimit ?? 10,
      status: o.suspended ? 'suspended' : (o.status ?? null),
      suspended: false, // replaced by an accessor below
      nodeMaintenance: o.nodeMaintenance ?? false,
      transferring: o.transferring ?? false,
      power,
      visibleTo,
      filesPresent: true,
      ownerId,
      subusers,
      runningSince: power === 'running' ? Date.now() : null,
    };
    Object.defineProperty(server, 'suspended', {
      enumerable: true,
      get: () => server.status === 'suspended',
      set: (v: boolean) => {
        if (v) server.status = 'suspended';
        else if (server.status === 'suspended') server.status = null;
      },
    });
    core.servers.push(server);
    return server;
  }

  function addBackup(serverIdOrUuid: string, o: AddBackupOptions = {}): BackupAttributes {
    const server = mustServer(serverIdOrUuid);
    const now = Date.now();
    const state = o.state ?? 'successful';
    const createdAt = o.createdAt?.getTime() ?? now;
    const size = o.bytes ?? core.settings.archiveBytes;
    const completedAt =
      o.completedAt === null ? null : (o.completedAt?.getTime() ?? (state === 'pending' ? null : createdAt));
    const uuid = uuidV4();
    const successful = state === 'successful' && completedAt !== null;
    const backup: BackupModel = {
      id: core.newBackupId(),
      uuid,
      serverId: server.id,
      name: o.name ?? `Backup at ${dateTimeString(createdAt, core.tzOffset)}`,
      ignoredFiles: [...(o.ignoredFiles ?? [])],
      isLocked: o.locked ?? false,
      isScheduled: o.isScheduled ?? false,
      isSuccessful: successful,
      checksum: successful ? `sha1:${archiveSha1Sync(uuid, size)}` : null,
      bytes: successful ? size : 0,
      createdAt,
      completedAt,
      deletedAt: o.deleted ? now : null,
      archiveSize: size,
      startedAt: now,
      durationMs: core.settings.backupDurationMs,
      disk: core.s3 ? 's3' : 'wings',
    };
    const attributes = backupAttributes(core, backup);
    // Pelican hard-deletes: a deleted backup leaves no row at all.
    if (o.deleted && core.flavor === 'pelican') return attributes;
    core.backups.push(backup);
    if (completedAt === null && o.completeInMs !== undefined && !o.deleted) {
      startBackupJob(core, server, backup, o.completeInMs);
    }
    return attributes;
  }

  function backup(uuid: string, o: { includeDeleted?: boolean } = {}): BackupAttributes | undefined {
    const b = core.backupByUuid(uuid);
    if (!b || (b.deletedAt !== null && !o.includeDeleted)) return undefined;
    return backupAttributes(core, b);
  }

  function emitBackupEvent(serverIdOrUuid: string, payload: Partial<BackupEventPayload> | string): void {
    const server = mustServer(serverIdOrUuid);
    if (typeof payload === 'string') {
      emitBackupCompleted(core, server, '', payload, false);
      return;
    }
    const full: BackupEventPayload = {
      checksum: payload.checksum ?? '',
      checksum_type: payload.checksum_type ?? 'sha1',
      file_size: payload.file_size ?? 0,
      is_successful: payload.is_successful ?? false,
      uuid: payload.uuid ?? uuidV4(),
    };
    emitBackupCompleted(core, server, full.uuid, full, false);
  }

  let closed = false;
  const sim: Simulator = {
    flavor: core.flavor,
    panelUrl: core.panelUrl,
    wingsUrl: core.wingsUrl,
    s3Url: core.s3Url,
    apiKey,
    applicationKey,
    settings: core.settings,
    requests: core.recorder.requests,
    clearRequests: () => core.recorder.clear(),
    addUser,
    addServer,
    server: (idOrUuid) => mustServer(idOrUuid),
    addBackup,
    backup,
    fault: (f: Fault) => core.faults.add(f),
    clearFaults: () => core.faults.clear(),
    serverEvents: (idOrUuid) => [...(core.timelines.get(mustServer(idOrUuid).id) ?? [])],
    activity: (idOrUuid) => core.activityOf(mustServer(idOrUuid)).map((a) => core.activityAttributes(a)),
    emitBackupEvent,
    emitWsEvent: (idOrUuid, event, args = []) => hub.broadcast(mustServer(idOrUuid), event, args),
    wsConnections: (idOrUuid) => hub.count(mustServer(idOrUuid)),
    dropWebsockets: (idOrUuid) => hub.drop(mustServer(idOrUuid)),
    async close() {
      if (closed) return;
      closed = true;
      core.clearTimers();
      hub.closeAll();
      await Promise.all([closeServer(panel), closeServer(wings), ...(s3 ? [closeServer(s3)] : [])]);
      core.clearTimers();
    },
  };
  return sim;
}
