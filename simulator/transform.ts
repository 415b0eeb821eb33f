// Response shapes (app/Transformers/Api/Client/BackupTransformer.php, ServerTransformer.php;
// recorded shapes in test/fixtures/pelican/*.json).
import type { BackupAttributes } from './types.ts';
import type { BackupModel, ServerModel, SimCore, UserModel } from './state.ts';

export function backupAttributes(core: SimCore, b: BackupModel): BackupAttributes {
  const base = {
    uuid: b.uuid,
    is_successful: b.isSuccessful,
    is_locked: b.isLocked,
  };
  const rest = {
    name: b.name,
    ignored_files: [...b.ignoredFiles],
    checksum: b.checksum,
    bytes: b.bytes,
    created_at: core.atom(b.createdAt),
    completed_at: b.completedAt === null ? null : core.atom(b.completedAt),
  };
  // PEL app/Transformers/Api/Client/BackupTransformer.php adds is_scheduled after is_locked.
  return core.flavor === 'pelican' ? { ...base, is_scheduled: b.isScheduled, ...rest } : { ...base, ...rest };
}

export function backupEnvelope(core: SimCore, b: BackupModel): { object: 'backup'; attributes: BackupAttributes } {
  return { object: 'backup', attributes: backupAttributes(core, b) };
}

export function serverAttributes(core: SimCore, server: ServerModel, user: UserModel): Record<string, unknown> {
  const port = 25565 + (server.id - 1) * 2;
  return {
    server_owner: core.isOwner(user, server),
    identifier: server.identifier,
    internal_id: server.id,
    uuid: server.uuid,
    name: server.name,
    node: 'sim-node',
    is_node_under_maintenance: server.nodeMaintenance,
    sftp_details: { ip: '127.0.0.1', alias: null, port: 2022 },
    description: `Simulated server ${server.identifier}.`,
    limits: {
      memory: 1024,
      swap: 0,
      disk: 5120,
      io: 500,
      cpu: 100,
      threads: null,
      oom_disabled: true,
      oom_killer: false,
    },
    invocation: 'java -Xms128M -Xmx1024M -jar server.jar',
    docker_image: 'ghcr.io/pterodactyl/yolks:java_21',
    egg_features: null,
    feature_limits: { databases: null, allocations: null, backups: server.backupLimit },
    status: server.status,
    is_suspended: server.status === 'suspended',
    // ServerTransformer: is_installing = !isInstalled() (installing or install_failed)
    is_installing: server.status === 'installing' || server.status === 'install_failed',
    is_transferring: server.transferring,
    relationships: {
      allocations: {
        object: 'list',
        data: [
          {
            object: 'allocation',
            attributes: { id: server.id * 2 - 1, ip: '127.0.0.1', ip_alias: null, port, notes: null, is_default: true },
          },
          {
            object: 'allocation',
            attributes: {
              id: server.id * 2,
              ip: '127.0.0.1',
              ip_alias: null,
              port: port + 1,
              notes: 'Secondary allocation',
              is_default: false,
            },
          },
        ],
      },
      variables: {
        object: 'list',
        data: [
          {
            object: 'egg_variable',
            attributes: {
              name: 'Server Jar',
              description: 'The jar file to run.',
              env_variable: 'SERVER_JARFILE',
              default_value: 'server.jar',
              server_value: 'server.jar',
              is_editable: true,
              rules: 'required|string',
            },
          },
        ],
      },
    },
  };
}
