// Default knobs. They are read at use time, so tests may change `sim.settings` at any moment.
import type { SimSettings } from './types.ts';

export function defaultSettings(overrides: Partial<SimSettings> = {}): SimSettings {
  return {
    backupDurationMs: 300,
    backupOutcome: 'success',
    archiveBytes: 65536,
    s3SigningSkewSec: 0,
    // config/backups.php: BACKUP_THROTTLE_LIMIT / BACKUP_THROTTLE_PERIOD
    throttleLimit: 2,
    throttlePeriodSec: 600,
    // config/http.php: APP_API_CLIENT_RATELIMIT (720 in the Pterodactyl snapshot; Pelican and newer upstream use 256)
    rateLimitPerMinute: 720,
    requireAcceptJson: true,
    stopDurationMs: 300,
    startDurationMs: 300,
    killDurationMs: 0,
    wontStop: false,
    // ResourceUtilizationController: Cache::remember("resources:{uuid}", now + 20 s)
    resourcesCacheMs: 20_000,
    restoreDurationMs: 300,
    restoreOutcome: 'success',
    restoreActivityLagMs: 0,
    // W server/backup.go RestoreBackup: waits up to 2 min for the server to stop
    restoreStopTimeoutMs: 120_000,
    // app/Services/Nodes/NodeJWTService.php via WebsocketController: 10 minutes
    wsTokenLifetimeSec: 600,
    // W router/websocket/listeners.go listenForExpiration: 30 s ticker
    wsExpiryCheckMs: 30_000,
    // PL router/router_server_ws.go: 30 sockets per server
    wsMaxConnections: 30,
    // PL router/websocket/limiter.go: auth burst 2, then one every 5 s
    wsAuthBurst: 2,
    wsAuthRefillMs: 5000,
    wsStatsIntervalMs: 1000,
    // app/Services/Backups/DownloadLinkService.php: 15 minutes
    downloadTokenLifetimeSec: 900,
    legacyBackupEventName: false,
    wsRemote: undefined,
    tokenIssuer: undefined,
    wsAllowedOrigins: [],
    ...overrides,
  };
}
