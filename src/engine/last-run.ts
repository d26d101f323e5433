// What the last run learned about a host, kept on the controller to seed this run's
// speculation: its facts, and the results of its read-only queries (`changed_when: false`
// commands). Stale values only make speculative probe texts miss (a round trip more), never a
// wrong result. Query results that could hold a secret are never kept.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Connection, Vars } from '../model/inventory.js';
import type { SecretRegistry } from '../model/secrets.js';
import type { GatheredFacts } from './facts.js';
import { isSecretName } from './secrets.js';

function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fleet', 'facts');
}

function cacheFile(host: string, c: Pick<Connection, 'address' | 'port'>, suffix: string): string {
  return join(cacheDir(), `${host}@${c.address}_${c.port}${suffix}`.replace(/[^\w@.-]/g, '_'));
}

function read<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    // No cache yet, or one from an older fleet: this run starts without guesses.
    return undefined;
  }
}

function write(file: string, value: unknown): void {
  try {
    mkdirSync(cacheDir(), { recursive: true });
    writeFileSync(file, JSON.stringify(value), { mode: 0o600 });
  } catch {
    // A cache that cannot be written only costs round trips next time.
  }
}

export function loadCachedFacts(host: string, c: Pick<Connection, 'address' | 'port'>): GatheredFacts | undefined {
  return read<GatheredFacts>(cacheFile(host, c, '.json'));
}

/** Keep this run's facts for the next one; not written again when only the host's clock moved
 * since `last` (what loadCachedFacts gave): a no-change run of 200 hosts spent more of the
 * controller's time in those 200 writes than in rendering its templates. The older clock
 * stands in next time: no guess is made from it. */
export function saveCachedFacts(host: string, c: Pick<Connection, 'address' | 'port'>, facts: GatheredFacts, last?: GatheredFacts): void {
  if (last && sameBesidesClock(last, facts)) return;
  write(cacheFile(host, c, '.json'), facts);
}

function sameBesidesClock(a: GatheredFacts, b: GatheredFacts): boolean {
  const { now: _a, ...restA } = a;
  const { now: _b, ...restB } = b;
  return JSON.stringify(restA) === JSON.stringify(restB);
}

/** This host's query results: the last run's to guess with, this run's to keep for the next. */
export class QueryCache {
  readonly lastRun: Vars;
  private readonly thisRun: Vars = {};

  constructor(
    private readonly host: string,
    private readonly conn: Pick<Connection, 'address' | 'port'>,
  ) {
    this.lastRun = read<Vars>(cacheFile(host, conn, '.queries.json')) ?? {};
  }

  /** Keep a query's registered result, unless it is named or looks like a secret. */
  record(register: string, registered: Vars, secrets: SecretRegistry): void {
    if (isSecretName(register) || secrets.containsSecret(JSON.stringify(registered))) return;
    this.thisRun[register] = registered;
  }

  /** This run's results over the last run's: a query this run skipped (one that runs in check
   * mode only) keeps its last known result for the next run to guess with. */
  save(): void {
    if (Object.keys(this.thisRun).length) write(cacheFile(this.host, this.conn, '.queries.json'), { ...this.lastRun, ...this.thisRun });
  }
}
