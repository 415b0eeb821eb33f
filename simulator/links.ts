// Signed links the panel hands out: websocket tokens (WebsocketController) and download URLs
// (app/Services/Backups/DownloadLinkService.php), both signed with the node's daemon token.
import { createHmac } from 'node:crypto';
import { amzDate } from './format.ts';
import { md5Hex, randomString } from './ids.ts';
import { signJwt } from './jwt.ts';
import type { BackupModel, ServerModel, SimCore, UserModel } from './state.ts';

export const S3_BUCKET = 'pterodactyl-backups';
export const S3_LIFETIME_SEC = 300;

/** NodeJWTService: iss = panel URL, aud = node address, jti = md5(user id + server uuid), nbf = now − 5 min. */
function baseClaims(core: SimCore, server: ServerModel, user: UserModel, lifetimeSec: number): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: core.settings.tokenIssuer ?? core.panelUrl,
    aud: core.wingsUrl,
    jti: md5Hex(`${user.id}${server.uuid}`),
    iat: now,
    nbf: now - 300,
    exp: now + lifetimeSec,
    server_uuid: server.uuid,
    user_uuid: user.uuid,
    user_id: user.id,
    unique_id: randomString(16),
  };
}

export function websocketToken(core: SimCore, server: ServerModel, user: UserModel): string {
  const claims = baseClaims(core, server, user, core.settings.wsTokenLifetimeSec);
  claims['permissions'] = core.permissionsFor(user, server);
  if (core.flavor === 'pelican') claims['scope'] = 'websocket';
  return signJwt(claims, core.daemonToken, { jti: claims['jti'] });
}

export function downloadUrl(core: SimCore, server: ServerModel, backup: BackupModel, user: UserModel): string {
  if (backup.disk === 's3') return presignS3(core, server, backup);
  const claims = baseClaims(core, server, user, core.settings.downloadTokenLifetimeSec);
  claims['backup_uuid'] = backup.uuid;
  if (core.flavor === 'pelican') claims['scope'] = 'backup-download';
  const token = signJwt(claims, core.daemonToken, { jti: claims['jti'] });
  return `${core.wingsUrl}/download/backup?token=${token}`;
}

export function s3ObjectPath(serverUuid: string, backupUuid: string): string {
  return `/${S3_BUCKET}/${serverUuid}/${backupUuid}.tar.gz`;
}

export function s3Signature(core: SimCore, path: string, date: string, expires: string): string {
  return createHmac('sha256', core.s3Secret).update(`${path}\n${date}\n${expires}`).digest('hex');
}

/** An AWS presigned GetObject URL for `{server_uuid}/{backup_uuid}.tar.gz`, valid 5 minutes. */
export function presignS3(core: SimCore, server: ServerModel, backup: BackupModel): string {
  const path = s3ObjectPath(server.uuid, backup.uuid);
  const date = amzDate(Date.now() + core.settings.s3SigningSkewSec * 1000);
  const expires = String(S3_LIFETIME_SEC);
  const q = new URLSearchParams({
    'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `AKIASIMULATOR0000000/${date.slice(0, 8)}/us-east-1/s3/aws4_request`,
    'X-Amz-Date': date,
    'X-Amz-SignedHeaders': 'host',
    'X-Amz-Expires': expires,
  });
  q.set('X-Amz-Signature', s3Signature(core, path, date, expires));
  return `${core.s3Url}${path}?${q.toString()}`;
}
