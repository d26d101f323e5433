// OpenSSH known_hosts: parse, match a host (plain, [addr]:port, wildcards, negation, hashed
// |1|salt|hash), decide known/unknown/changed/revoked, and append safely under concurrency.
import { createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { keyTypeOf } from './fingerprint.js';

export interface KnownHostEntry {
  /** 1-based line in the file, for messages. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written (comma-separated patterns, or one hashed token). */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export interface ParsedKnownHosts {
  entries: KnownHostEntry[];
  /** "file:line: why" for lines that were skipped. */
  warnings: string[];
}

/** The name OpenSSH looks a host up by: "addr" on port 22, "[addr]:port" otherwise. */
export function hostToken(address: string, port: number): string {
  const a = address.toLowerCase();
  return port === 22 ? a : `[${a}]:${port}`;
}

export function parseKnownHosts(text: string, file = 'known_hosts'): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const warnings: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        warnings.push(`${file}:${i + 1}: unknown marker ${m}, line ignored`);
        continue;
      }
    }
    if (fields.length < 3) {
      warnings.push(`${file}:${i + 1}: expected "hosts keytype base64-key", line ignored`);
      continue;
    }
    const [hosts, keyType, b64] = fields;
    const key = Buffer.from(b64, 'base64');
    let embedded: string;
    try {
      embedded = keyTypeOf(key);
    } catch {
      warnings.push(`${file}:${i + 1}: key is not valid base64 SSH public key, line ignored`);
      continue;
    }
    if (embedded !== keyType) {
      warnings.push(`${file}:${i + 1}: key type ${keyType} does not match the key's own type ${embedded}, line ignored`);
      continue;
    }
    entries.push({ line: i + 1, marker, hosts, keyType, key });
  }
  return { entries, warnings };
}

/** Wildcard patterns compiled once: every host of a run is matched against every line of the
 * file, a million matches at 1000 hosts (a RegExp built per match was most of the controller's
 * CPU per host). */
const globs = new Map<string, RegExp>();

/** OpenSSH glob: '*' any run, '?' one character; whole-string, case-insensitive. */
function globMatch(pattern: string, text: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern.toLowerCase() === text.toLowerCase();
  let re = globs.get(pattern);
  if (!re) {
    re = new RegExp(
      '^' +
        pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.') +
        '$',
      'i',
    );
    globs.set(pattern, re);
  }
  return re.test(text);
}

function hashedMatch(field: string, token: string): boolean {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, token))
  const parts = field.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(token).digest();
  return want.length === got.length && got.equals(want);
}

/** Does the entry's host field name this token? Negated patterns veto, as in OpenSSH. */
export function entryMatches(entry: Pick<KnownHostEntry, 'hosts'>, token: string): boolean {
  if (entry.hosts.startsWith('|')) return hashedMatch(entry.hosts, token);
  let positive = false;
  for (const pat of entry.hosts.split(',')) {
    if (pat === '') continue;
    if (pat.startsWith('!')) {
      if (globMatch(pat.slice(1), token)) return false;
    } else if (globMatch(pat, token)) {
      positive = true;
    }
  }
  return positive;
}

export type HostKeyVerdict =
  | { kind: 'known'; entry: KnownHostEntry; otherPort?: boolean }
  | { kind: 'unknown' }
  | { kind: 'changed'; pinned: KnownHostEntry[] }
  | { kind: 'revoked'; entry: KnownHostEntry };

/** Entries whose host field is only plain names, by lower-cased name, and the others (wildcards,
 * negations, hashed), each with its position in the file: a thousand hosts each looked up in
 * a thousand lines is a million pattern matches; by name it is one lookup each. */
interface EntryIndex {
  size: number;
  plain: Map<string, KnownHostEntry[]>;
  other: KnownHostEntry[];
  position: Map<KnownHostEntry, number>;
}

const indexes = new WeakMap<KnownHostEntry[], EntryIndex>();

function indexOf(entries: KnownHostEntry[]): EntryIndex {
  const cached = indexes.get(entries);
  // An array changed since (a caller's own list) is indexed again.
  if (cached && cached.size === entries.length) return cached;
  const ix: EntryIndex = { size: entries.length, plain: new Map(), other: [], position: new Map() };
  entries.forEach((e, i) => {
    ix.position.set(e, i);
    const pats = e.hosts.split(',').filter((p) => p !== '');
    if (e.hosts.startsWith('|') || pats.some((p) => /[*?!]/.test(p))) {
      ix.other.push(e);
      return;
    }
    for (const p of new Set(pats.map((q) => q.toLowerCase()))) {
      const list = ix.plain.get(p);
      if (list) list.push(e);
      else ix.plain.set(p, [e]);
    }
  });
  indexes.set(entries, ix);
  return ix;
}

/** Host keys (not CA lines, not revocations) pinned for address:port, in file order. */
export function pinnedFor(entries: KnownHostEntry[], address: string, port: number): KnownHostEntry[] {
  const token = hostToken(address, port);
  const ix = indexOf(entries);
  const found = [...(ix.plain.get(token) ?? []), ...ix.other.filter((e) => entryMatches(e, token))];
  if (ix.other.length > 0) found.sort((a, b) => ix.position.get(a)! - ix.position.get(b)!);
  return found.filter((e) => e.marker === undefined);
}

export function checkHostKey(entries: KnownHostEntry[], address: string, port: number, offered: Buffer): HostKeyVerdict {
  // A revoked key is refused for every host, whatever its pattern says.
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(offered));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const pinned = pinnedFor(entries, address, port);
  const same = pinned.find((e) => e.key.equals(offered));
  if (same) return { kind: 'known', entry: same };
  if (pinned.length > 0) return { kind: 'changed', pinned };
  // The same server key pinned for this address on another port (sshd moved to a new port,
  // or --port override): the server proved it holds that key, so it is the same identity.
  // Only plain entries can be checked this way; a different key there is merely "unknown".
  const a = address.toLowerCase();
  const other = entries.find(
    (e) =>
      e.marker === undefined &&
      e.key.equals(offered) &&
      !e.hosts.startsWith('|') &&
      e.hosts.split(',').some((p) => p.toLowerCase() === a || p.toLowerCase().startsWith(`[${a}]:`)),
  );
  if (other) return { kind: 'known', entry: other, otherPort: true };
  return { kind: 'unknown' };
}

export function formatKnownHostsLine(address: string, port: number, key: Buffer): string {
  return `${hostToken(address, port)} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/** The last parse of each file, kept while the file is unchanged: every host of a run reads
 * the same file when it connects (1000 parses of 1000 lines at N = 1000). Entries are never
 * modified after parsing, so sharing them is safe. */
const parsed = new Map<string, { stamp: string; result: ParsedKnownHosts }>();

export async function readKnownHosts(file: string): Promise<ParsedKnownHosts> {
  let stamp = 'missing';
  try {
    const st = await stat(file);
    stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`cannot read the known_hosts file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const hit = parsed.get(file);
  if (hit && hit.stamp === stamp) return hit.result;
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`cannot read the known_hosts file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const result = parseKnownHosts(text, file);
  // The stamp is taken before the read: a change meanwhile gives a newer stamp next time.
  parsed.set(file, { stamp, result });
  return result;
}

// One queue per file: 50 hosts accepting new keys at once must not interleave or duplicate lines.
const queues = new Map<string, Promise<unknown>>();

function serialise<T>(file: string, job: () => Promise<T>): Promise<T> {
  const prev = queues.get(file) ?? Promise.resolve();
  const next = prev.then(job, job);
  const settled = next.catch(() => undefined);
  queues.set(file, settled);
  void settled.then(() => {
    if (queues.get(file) === settled) queues.delete(file);
  });
  return next;
}

/**
 * Record a host key. Re-reads the file inside the queue, so a key another connection just
 * recorded is not written twice, and a different key pinned meanwhile is never overridden.
 */
export function appendKnownHost(
  file: string,
  address: string,
  port: number,
  key: Buffer,
): Promise<{ result: 'added' | 'present' } | { result: 'changed'; pinned: KnownHostEntry[] }> {
  return serialise(file, async () => {
    const { entries } = await readKnownHosts(file);
    const verdict = checkHostKey(entries, address, port, key);
    if (verdict.kind === 'known' && !verdict.otherPort) return { result: 'present' as const };
    if (verdict.kind === 'changed') return { result: 'changed' as const, pinned: verdict.pinned };
    if (verdict.kind === 'revoked') throw new Error(`${file}:${verdict.entry.line}: this key is marked @revoked`);
    let prefix = '';
    try {
      const current = await readFile(file);
      if (current.length > 0 && current[current.length - 1] !== 0x0a) prefix = '\n';
    } catch {
      await mkdir(dirname(file), { recursive: true });
    }
    await appendFile(file, prefix + formatKnownHostsLine(address, port, key) + '\n', { mode: 0o644 });
    parsed.delete(file);
    return { result: 'added' as const };
  });
}
