import { Input, OPERATIONS, WAIT_STRATEGIES, NAME_MAX_LENGTH } from '../constants.js';
import type { InputName, Operation, WaitStrategy } from '../constants.js';
import { hasRetentionRules } from './settings.js';
import type { RetentionRules, Settings } from './settings.js';
import { parseBoolean, parseDuration, parseLines, parseWholeNumber, shown, ValueError } from './values.js';
import { parseBackupRef, parseServerSelection } from './identifiers.js';
import { parsePanelUrl } from './panel-url.js';
import { parseHeaders } from './headers.js';
import { namesDirectory } from '../download/target-path.js';

/** Reads one input's raw (trimmed) value; empty when not given. */
export type InputReader = (name: InputName) => string;

/** Every problem with the inputs, each naming its input; thrown before any request is sent. */
export class InputError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      problems.length === 1
        ? `Invalid input: ${problems[0]}`
        : `Invalid inputs:\n${problems.map((problem) => `- ${problem}`).join('\n')}`,
    );
    this.name = 'InputError';
    this.problems = problems;
  }
}

const BACKUP_ID_OPERATIONS: readonly Operation[] = ['get', 'download', 'delete', 'lock', 'unlock', 'restore'];
const CHANGING_OPERATIONS: readonly Operation[] = ['create', 'delete', 'lock', 'unlock', 'restore', 'prune'];

/** Which operations use each input (the rest are used by all); drives the "not used" warning. */
const USED_BY: Partial<Record<InputName, readonly Operation[] | 'fleet'>> = {
  [Input.BackupId]: BACKUP_ID_OPERATIONS,
  [Input.Name]: ['create'],
  [Input.IgnoredFiles]: ['create'],
  [Input.Locked]: ['create'],
  [Input.Wait]: ['create', 'restore'],
  [Input.WaitTimeout]: ['create', 'restore'],
  [Input.WaitStrategy]: ['create', 'restore'],
  [Input.PollInterval]: ['create', 'restore'],
  [Input.DownloadPath]: ['create', 'download'],
  [Input.SkipIfNewerThan]: ['create'],
  [Input.Rotate]: ['create'],
  [Input.Keep]: ['create', 'prune'],
  [Input.KeepDaily]: ['create', 'prune'],
  [Input.KeepWeekly]: ['create', 'prune'],
  [Input.KeepMonthly]: ['create', 'prune'],
  [Input.MaxAge]: ['create', 'prune'],
  [Input.PruneFailed]: ['create', 'prune'],
  [Input.RetentionMatch]: ['create', 'prune', ...BACKUP_ID_OPERATIONS],
  [Input.Truncate]: ['restore'],
  [Input.RestartServer]: ['restore'],
  [Input.DryRun]: CHANGING_OPERATIONS,
  [Input.Concurrency]: 'fleet',
};

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Defaults as declared in action.yml; an input equal to its default counts as not given. */
export const DEFAULTS: Partial<Record<InputName, string>> = {
  [Input.Operation]: 'create',
  [Input.Locked]: 'false',
  [Input.Wait]: 'true',
  [Input.WaitTimeout]: '1h',
  [Input.WaitStrategy]: 'auto',
  [Input.PollInterval]: '5s',
  [Input.Rotate]: 'false',
  [Input.PruneFailed]: 'false',
  [Input.Truncate]: 'false',
  [Input.RestartServer]: 'true',
  [Input.DryRun]: 'false',
  [Input.AllowInsecureHttp]: 'false',
  [Input.Concurrency]: '4',
  [Input.Summary]: 'true',
};

export interface ParsedInputs {
  settings: Settings;
  /** Warnings to show (inputs the operation does not use). */
  warnings: string[];
}

/**
 * Parses and validates every input, including the contradictions between inputs and the
 * operation. Collects all problems and throws one `InputError` naming each input.
 */
export function parseInputs(read: InputReader): ParsedInputs {
  const problems: string[] = [];
  const raw = (name: InputName): string => read(name);
  const field = <T>(name: InputName, parse: (value: string) => T, fallback: T): T => {
    try {
      return parse(raw(name));
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      problems.push(`${name} ${error.message}`);
      return fallback;
    }
  };
  const required = (name: InputName, form: string): string => {
    const value = raw(name);
    if (value === '') problems.push(`${name} is required; expected ${form}`);
    return value;
  };
  const optional = <T>(name: InputName, parse: (value: string) => T): T | undefined =>
    field(name, (value) => (value === '' ? undefined : parse(value)), undefined);
  const bool = (name: InputName): boolean => field(name, (value) => parseBoolean(value, DEFAULTS[name] === 'true'), DEFAULTS[name] === 'true');

  const allowInsecureHttp = bool(Input.AllowInsecureHttp);
  const panelUrlRaw = required(Input.PanelUrl, 'the panel\'s base URL, e.g. https://panel.example.com');
  const panelUrl = panelUrlRaw === '' ? undefined : field(Input.PanelUrl, (value) => parsePanelUrl(value, allowInsecureHttp), undefined);
  const apiKey = required(Input.ApiKey, 'a client API key from the panel (Account → API Credentials)');
  if (/\s/.test(apiKey)) problems.push(`${Input.ApiKey} contains whitespace; expected the key alone`);
  else if (/[^\x21-\x7e]/.test(apiKey)) {
    problems.push(`${Input.ApiKey} contains a character that is not visible ASCII (an invisible one, such as a zero-width space, copied along?); expected the key alone, copied again from the panel`);
  }
  const serverIdRaw = required(Input.ServerId, "a server's 8-character short id or UUID, a list of them, or all");
  const servers = serverIdRaw === '' ? undefined : field(Input.ServerId, parseServerSelection, undefined);

  const operation = field(
    Input.Operation,
    (value) => {
      const op = (value === '' ? 'create' : value) as Operation;
      if (!OPERATIONS.includes(op)) throw new ValueError(`${shown(value)} is not an operation; expected one of ${OPERATIONS.join(', ')}`);
      return op;
    },
    undefined as Operation | undefined,
  );
  const backupId = optional(Input.BackupId, parseBackupRef);
  const name = optional(Input.Name, (value) => {
    if (value.length > NAME_MAX_LENGTH) {
      throw new ValueError(`is ${value.length} characters long; expected at most ${NAME_MAX_LENGTH} (Pelican's limit; Pterodactyl's is 191)`);
    }
    return value;
  });
  const ignoredFiles = parseLines(raw(Input.IgnoredFiles));
  const locked = bool(Input.Locked);
  const wait = bool(Input.Wait);
  // Upper bounds: no job runs longer than 5 days (self-hosted runners), and a wait computed from
  // a longer value would overflow the timers (Node fires anything over 24.8 days at once).
  const waitTimeoutMs = field(Input.WaitTimeout, (value) => parseDuration(value || '1h', { maxMs: 7 * DAY_MS }), 3_600_000);
  const waitStrategy = field(
    Input.WaitStrategy,
    (value) => {
      const strategy = (value === '' ? 'auto' : value) as WaitStrategy;
      if (!WAIT_STRATEGIES.includes(strategy)) throw new ValueError(`${shown(value)} is not a strategy; expected auto, websocket or poll`);
      return strategy;
    },
    'auto' as WaitStrategy,
  );
  const pollIntervalMs = field(Input.PollInterval, (value) => parseDuration(value || '5s', { minMs: 1_000, maxMs: HOUR_MS }), 5_000);
  const downloadPath = optional(Input.DownloadPath, (value) => value);
  const skipIfNewerThanMs = optional(Input.SkipIfNewerThan, (value) => parseDuration(value));
  const rotate = bool(Input.Rotate);
  const retention: RetentionRules = {
    keep: optional(Input.Keep, (value) => parseWholeNumber(value)),
    keepDaily: optional(Input.KeepDaily, (value) => parseWholeNumber(value)),
    keepWeekly: optional(Input.KeepWeekly, (value) => parseWholeNumber(value)),
    keepMonthly: optional(Input.KeepMonthly, (value) => parseWholeNumber(value)),
    maxAgeMs: optional(Input.MaxAge, (value) => parseDuration(value, { unitRequired: true, minMs: 3_600_000 })),
    pruneFailed: bool(Input.PruneFailed),
  };
  const retentionMatch = parseLines(raw(Input.RetentionMatch)).map((line) => line.trim());
  const truncate = bool(Input.Truncate);
  const restartServer = bool(Input.RestartServer);
  const dryRun = bool(Input.DryRun);
  const headers = field(Input.Headers, (value) => parseHeaders(parseLines(value)), {});
  const concurrency = field(Input.Concurrency, (value) => parseWholeNumber(value || '4', 1, 64), 4);
  const summary = bool(Input.Summary);

  // Contradictions between the inputs and the operation (interface: "Inputs that contradict the operation").
  if (operation) {
    if (BACKUP_ID_OPERATIONS.includes(operation) && raw(Input.BackupId) === '') {
      problems.push(`${Input.BackupId} is required for operation '${operation}'; expected a backup UUID or latest`);
    }
    if (!BACKUP_ID_OPERATIONS.includes(operation) && raw(Input.BackupId) !== '') {
      problems.push(`${Input.BackupId} cannot be used with operation '${operation}'; remove it`);
    }
    if (operation === 'delete' && backupId?.kind === 'latest') {
      problems.push(`${Input.BackupId} cannot be 'latest' for operation 'delete'; name the backup's UUID, or use prune with retention rules`);
    }
    if (operation === 'create' && downloadPath !== undefined && !wait) {
      problems.push(`${Input.DownloadPath} needs wait: true (the archive exists only once the backup has finished)`);
    }
    const anyRule = hasRetentionRules(retention);
    // Fleet mode (interface): the operations that act on one chosen backup, or undo, are refused.
    if (servers && servers.mode !== 'single') {
      if (operation === 'restore' || operation === 'delete' || operation === 'unlock') {
        problems.push(`operation '${operation}' cannot run on several servers (server-id is a list or all); run it for one server`);
      }
      if (backupId?.kind === 'uuid') {
        problems.push(`${Input.BackupId} cannot be a backup UUID when server-id names several servers; use latest, or one server`);
      }
      if (downloadPath !== undefined && USED_BY[Input.DownloadPath]!.includes(operation) && !namesDirectory(downloadPath, process.cwd())) {
        problems.push(
          `${Input.DownloadPath} must be a directory (an existing one, or a path ending in /) when server-id names several servers, so each archive gets its own <uuid>.tar.gz`,
        );
      }
    }
    if (operation === 'prune' && !anyRule) {
      problems.push(`operation 'prune' needs a retention rule: set keep, keep-daily, keep-weekly, keep-monthly, max-age or prune-failed`);
    }
  }

  if (problems.length > 0 || !panelUrl || !servers || !operation) throw new InputError(problems);

  const warnings: string[] = [];
  // Some inputs are read by an operation only in some runs: retention-match by rotation,
  // retention, latest and skip-if-newer-than; the wait inputs of create only when it waits.
  const situational: Partial<Record<InputName, boolean>> = {
    [Input.RetentionMatch]:
      operation === 'prune' ||
      backupId?.kind === 'latest' ||
      (operation === 'create' && (rotate || hasRetentionRules(retention) || skipIfNewerThanMs !== undefined)),
    ...(operation === 'create' && !wait ? { [Input.WaitTimeout]: false, [Input.PollInterval]: false, [Input.WaitStrategy]: false } : {}),
  };
  const unused = (Object.keys(USED_BY) as InputName[]).filter((input) => {
    const value = raw(input);
    const given = value !== '' && value !== DEFAULTS[input];
    const usedBy = USED_BY[input]!;
    const used = (usedBy === 'fleet' ? servers.mode !== 'single' : usedBy.includes(operation)) && situational[input] !== false;
    return given && !used;
  });
  if (unused.length > 0) {
    warnings.push(`Operation '${operation}' does not use ${unused.join(', ')}; ${unused.length === 1 ? 'it is' : 'they are'} ignored.`);
  }

  return {
    settings: {
      panelUrl,
      apiKey,
      servers,
      operation,
      backupId,
      name,
      ignoredFiles,
      locked,
      wait,
      waitTimeoutMs,
      waitStrategy,
      pollIntervalMs,
      downloadPath,
      skipIfNewerThanMs,
      rotate,
      retention,
      retentionMatch,
      truncate,
      restartServer,
      dryRun,
      headers,
      allowInsecureHttp,
      concurrency,
      summary,
    },
    warnings,
  };
}
