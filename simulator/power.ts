// Wings' power state machine (W server/power.go HandlePowerAction, environment states) and its stats.
import type { ServerModel, SimCore } from './state.ts';
import type { PowerSignal } from './types.ts';

const pending = new WeakMap<ServerModel, NodeJS.Timeout[]>();

function clearPending(core: SimCore, server: ServerModel): void {
  for (const t of pending.get(server) ?? []) core.cancel(t);
  pending.set(server, []);
}

function schedule(core: SimCore, server: ServerModel, ms: number, fn: () => void): void {
  const list = pending.get(server) ?? [];
  list.push(core.later(ms, fn));
  pending.set(server, list);
}

function start(core: SimCore, server: ServerModel): void {
  // Starting needs an offline, unsuspended server (otherwise Wings only logs an error).
  if (server.power !== 'offline' || server.status === 'suspended') return;
  clearPending(core, server);
  core.setPower(server, 'starting');
  schedule(core, server, core.settings.startDurationMs, () => core.setPower(server, 'running'));
}

function stop(core: SimCore, server: ServerModel, then?: () => void): void {
  if (server.power === 'offline') {
    then?.();
    return;
  }
  clearPending(core, server);
  core.setPower(server, 'stopping');
  if (core.settings.wontStop) return; // stays 'stopping' until killed
  schedule(core, server, core.settings.stopDurationMs, () => {
    core.setPower(server, 'offline');
    then?.();
  });
}

function kill(core: SimCore, server: ServerModel): void {
  if (server.power === 'offline') return;
  clearPending(core, server);
  const ms = core.settings.killDurationMs;
  if (ms <= 0) core.setPower(server, 'offline');
  else schedule(core, server, ms, () => core.setPower(server, 'offline'));
}

/**
 * Wings answers the panel 202 at once and runs the action in the background
 * (W router/router_server.go postServerPower), so invalid transitions are silently ignored.
 */
export function powerAction(core: SimCore, server: ServerModel, signal: PowerSignal, source = 'panel'): void {
  core.recordEvent(server, `power:${signal}`, { from: server.power, source });
  switch (signal) {
    case 'start':
      start(core, server);
      break;
    case 'stop':
      if (server.power === 'stopping') return;
      stop(core, server);
      break;
    case 'kill':
      kill(core, server);
      break;
    case 'restart':
      if (server.power === 'offline') start(core, server);
      else if (server.status !== 'suspended') stop(core, server, () => start(core, server));
      break;
  }
}

export function cancelPower(core: SimCore, server: ServerModel): void {
  clearPending(core, server);
}

/** Resolves true once the server is offline, false after `timeoutMs`. */
export function waitForOffline(core: SimCore, server: ServerModel, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const tick = (): void => {
      if (server.power === 'offline') resolve(true);
      else if (Date.now() >= deadline) resolve(false);
      else core.later(Math.min(20, Math.max(1, deadline - Date.now())), tick);
    };
    tick();
  });
}

/** Wings' server details (`GET /api/servers/{uuid}`), as the panel's StatsTransformer shows them. */
export function resourceStats(server: ServerModel): Record<string, unknown> {
  const running = server.power !== 'offline';
  const uptime = server.power === 'running' && server.runningSince !== null ? Date.now() - server.runningSince : 0;
  return {
    current_state: server.power,
    is_suspended: server.status === 'suspended',
    resources: {
      memory_bytes: running ? 536_870_912 : 0,
      cpu_absolute: server.power === 'running' ? 12.5 : 0,
      disk_bytes: server.filesPresent ? 104_857_600 : 0,
      network_rx_bytes: running ? 1024 : 0,
      network_tx_bytes: running ? 2048 : 0,
      uptime,
    },
  };
}

/** The `stats` websocket payload (W environment/stats.go), sent as a JSON string. */
export function wsStats(server: ServerModel): string {
  const r = resourceStats(server)['resources'] as Record<string, number>;
  return JSON.stringify({
    memory_bytes: r['memory_bytes'],
    memory_limit_bytes: 1_073_741_824,
    cpu_absolute: r['cpu_absolute'],
    network: { rx_bytes: r['network_rx_bytes'], tx_bytes: r['network_tx_bytes'] },
    uptime: r['uptime'],
    state: server.power,
    disk_bytes: r['disk_bytes'],
  });
}
