// The secrets file (inventory/secrets.yml): committed to the repository, each value
// encrypted on its own with age, names in clear, so a review diff shows which secret
// changed and never its value.
//
//   recipients:                 # who can decrypt: age public keys, one per person or machine
//     - age1...                 # alice
//   secrets:
//     smtp_password: |          # a value set with `fleet secrets set`
//       -----BEGIN AGE ENCRYPTED FILE-----
//       ...
//     synapse_macaroon:         # generated on first use, then stable
//       generate: {length: 48}
//       value: |
//         -----BEGIN AGE ENCRYPTED FILE-----
//     wg_key:                   # one per host: wg_key@HOST entries appear as hosts use it
//       generate: {type: wireguard}
//       per_host: true
//
// Edits go through the yaml Document API (comments and layout kept) and are written
// atomically (temp file beside it, then rename).
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Document, LineCounter, Scalar, YAMLMap, YAMLSeq, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { SecretsError } from './errors.js';
import { generatorToYaml, parseGenerator, type GeneratorSpec } from './generate.js';

export interface StoreEntry {
  name: string;
  /** The ASCII-armored age file, when the secret has a value. */
  armored?: string;
  generator?: GeneratorSpec;
  /** A template entry: each host gets its own NAME@HOST. */
  perHost: boolean;
  /** Public half of a generated key pair (in clear: it is public). */
  public?: string;
  description?: string;
  line: number;
  column: number;
}

export interface StoreData {
  recipients: string[];
  entries: Map<string, StoreEntry>;
}

export interface StoreDoc {
  file: string;
  doc: Document;
  data: StoreData;
}

/** A secret's name: usable as `secrets.NAME`; per-host instances add `@HOST`. */
export const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INSTANCE = /^([A-Za-z_][A-Za-z0-9_]*)@([^\s@]+)$/;
const ENTRY_KEYS = ['value', 'generate', 'per_host', 'public', 'description'];
const TOP_KEYS = ['recipients', 'secrets'];
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';

/** A name `fleet secrets set` may create: NAME or NAME@HOST. */
export function checkSecretName(name: string): void {
  const { base } = splitInstance(name);
  if (!NAME.test(base) || base === 'public') {
    throw new SecretsError(
      `secret name '${name}': expected letters, digits and _ (not starting with a digit; 'public' is reserved), so that {{ secrets.${name} }} works`,
    );
  }
}

export function splitInstance(name: string): { base: string; host?: string } {
  const m = INSTANCE.exec(name);
  return m ? { base: m[1], host: m[2] } : { base: name };
}

export function readStoreFile(file: string): StoreDoc | undefined {
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SecretsError(`cannot read the secrets file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  return parseStore(file, text);
}

export function parseStore(file: string, text: string): StoreDoc {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const at = (node: unknown): { file: string; line: number; column: number } => {
    const off = (node as Node | undefined)?.range?.[0] ?? 0;
    const p = lc.linePos(off);
    return { file, line: p.line, column: p.col };
  };
  const err = doc.errors[0];
  if (err) {
    const p = err.linePos?.[0];
    throw new SecretsError(`invalid YAML: ${err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, {
      file,
      line: p?.line,
      column: p?.col,
    });
  }
  const data: StoreData = { recipients: [], entries: new Map() };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { file, doc, data };
  if (!isMap(root)) throw new SecretsError(`expected a mapping with ${TOP_KEYS.join(' and ')}`, at(root));
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key === 'recipients') data.recipients = readRecipients(pair.value, at);
    else if (key === 'secrets') readEntries(pair.value, data, at);
    else throw new SecretsError(`unknown key '${key}' (expected ${TOP_KEYS.join(', ')})`, at(pair.key));
  }
  return { file, doc, data };
}

type At = (node: unknown) => { file: string; line: number; column: number };

function readRecipients(node: unknown, at: At): string[] {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) throw new SecretsError('recipients: expected a list of age public keys (age1...)', at(node));
  const out: string[] = [];
  for (const item of node.items) {
    const v = isScalar(item) ? item.value : undefined;
    if (typeof v !== 'string' || !isRecipient(v)) {
      throw new SecretsError(
        `recipients: expected an age public key (age1..., as age-keygen -y prints), got ${JSON.stringify(v ?? null)}`,
        at(item),
      );
    }
    out.push(v);
  }
  return out;
}

export function isRecipient(s: string): boolean {
  return /^age1[02-9ac-hj-np-z]{58}$/.test(s) || /^age1(pq|tag|tagpq)1[02-9ac-hj-np-z]+$/.test(s);
}

function readEntries(node: unknown, data: StoreData, at: At): void {
  if (node === null || (isScalar(node) && node.value === null)) return;
  if (!isMap(node)) throw new SecretsError('secrets: expected a mapping of secret names to encrypted values', at(node));
  for (const pair of node.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const where = at(pair.key);
    const { base } = splitInstance(name);
    if (!NAME.test(base) || base === 'public') {
      throw new SecretsError(
        `secret name '${name}': expected letters, digits and _ (not starting with a digit; 'public' is reserved), so that {{ secrets.${name} }} works`,
        where,
      );
    }
    const entry: StoreEntry = { name, perHost: false, line: where.line, column: where.column };
    const v = pair.value;
    if (isScalar(v) && typeof v.value === 'string') {
      entry.armored = checkArmor(v.value, name, at(v));
    } else if (isMap(v)) {
      for (const p of v.items) {
        const k = isScalar(p.key) ? String(p.key.value) : '';
        const val = isScalar(p.value) ? p.value.value : (p.value as Node | null)?.toJSON?.();
        if (k === 'value') {
          if (typeof val !== 'string')
            throw new SecretsError(`secret '${name}': value must be an age-encrypted block (${ARMOR_BEGIN})`, at(p.value));
          entry.armored = checkArmor(val, name, at(p.value));
        } else if (k === 'generate') {
          const g = parseGenerator(isMap(p.value) ? p.value.toJSON() : val);
          if (typeof g === 'string') throw new SecretsError(`secret '${name}': ${g}`, at(p.value));
          entry.generator = g;
        } else if (k === 'per_host') {
          if (typeof val !== 'boolean') throw new SecretsError(`secret '${name}': per_host must be true or false`, at(p.value));
          entry.perHost = val;
        } else if (k === 'public' || k === 'description') {
          if (typeof val !== 'string') throw new SecretsError(`secret '${name}': ${k} must be a string`, at(p.value));
          entry[k] = val;
        } else {
          throw new SecretsError(`secret '${name}': unknown key '${k}' (allowed: ${ENTRY_KEYS.join(', ')})`, at(p.key));
        }
      }
      if (entry.perHost && entry.armored)
        throw new SecretsError(`secret '${name}': a per_host entry has no value of its own (each host gets ${name}@HOST)`, where);
      if (entry.perHost && !entry.generator) throw new SecretsError(`secret '${name}': per_host needs a generator (generate: ...)`, where);
      if (!entry.armored && !entry.generator) throw new SecretsError(`secret '${name}': neither a value nor a generator`, where);
    } else {
      throw new SecretsError(
        `secret '${name}': expected an age-encrypted value (set it with \`fleet secrets set ${name}\`) or a mapping with generate:, got ${v === null ? 'nothing' : 'something else'}`,
        at(v ?? pair.key),
      );
    }
    data.entries.set(name, entry);
  }
}

/** A value must be age armor; plaintext written here by mistake is refused loudly. */
function checkArmor(text: string, name: string, where: { file: string; line: number; column: number }): string {
  if (!text.trimStart().startsWith(ARMOR_BEGIN)) {
    throw new SecretsError(
      `secret '${name}' is not encrypted (expected a block starting with ${ARMOR_BEGIN}). ` +
        `If this is a plain value, remove it from the file (and from git history) and set it with \`fleet secrets set ${name}\``,
      where,
    );
  }
  return text;
}

// ---- edits ----------------------------------------------------------------------------

export function emptyStoreDoc(file: string): StoreDoc {
  const doc = new Document({ recipients: [], secrets: {} });
  doc.commentBefore =
    ' fleet secrets: each value is encrypted on its own with age for the recipients below;\n' +
    ' names stay in clear, so a review shows which secret changed, never its value.\n' +
    ' Manage with `fleet secrets` (set, get, edit, rotate, list, recipients).';
  return { file, doc, data: { recipients: [], entries: new Map() } };
}

function secretsMap(doc: Document): YAMLMap {
  let m = doc.get('secrets', true);
  if (!isMap(m)) {
    m = doc.createNode({}) as YAMLMap;
    doc.set('secrets', m);
  }
  // Block style: armored values are block scalars, which a flow mapping ({}) cannot hold.
  (m as YAMLMap).flow = false;
  return m as YAMLMap;
}

function block(doc: Document, armored: string): Scalar {
  const s = doc.createNode(armored.endsWith('\n') ? armored : armored + '\n') as Scalar;
  s.type = Scalar.BLOCK_LITERAL;
  return s;
}

/** Give NAME this encrypted value; a generated secret keeps its generator beside it. */
export function setEntryValue(
  doc: Document,
  name: string,
  armored: string,
  extra: { generator?: GeneratorSpec; public?: string } = {},
): void {
  const m = secretsMap(doc);
  const existing = m.get(name, true);
  if (!extra.generator && !extra.public && !isMap(existing)) {
    m.set(name, block(doc, armored));
    return;
  }
  let entry: YAMLMap;
  if (isMap(existing)) {
    entry = existing;
    entry.flow = false;
  } else {
    entry = doc.createNode({}) as YAMLMap;
    m.set(name, entry);
  }
  if (extra.generator && !entry.has('generate')) {
    const g = doc.createNode(generatorToYaml(extra.generator)) as YAMLMap;
    g.flow = true;
    entry.set('generate', g);
  }
  if (extra.public !== undefined) entry.set('public', extra.public);
  entry.set('value', block(doc, armored));
}

/** A per-host template entry (declared, no value of its own). */
export function setTemplateEntry(doc: Document, name: string, generator: GeneratorSpec): void {
  const g = doc.createNode(generatorToYaml(generator)) as YAMLMap;
  g.flow = true;
  const entry = doc.createNode({}) as YAMLMap;
  entry.set('generate', g);
  entry.set('per_host', true);
  secretsMap(doc).set(name, entry);
}

export function removeEntry(doc: Document, name: string): boolean {
  return secretsMap(doc).delete(name);
}

export function setRecipients(doc: Document, recipients: string[], comments: Record<string, string> = {}): void {
  const old = doc.get('recipients', true);
  const keep = new Map<string, string | undefined>();
  if (isSeq(old)) for (const item of (old as YAMLSeq).items) if (isScalar(item)) keep.set(String(item.value), item.comment ?? undefined);
  const seq = doc.createNode([]) as YAMLSeq;
  for (const r of recipients) {
    const node = doc.createNode(r) as Scalar;
    const c = comments[r] ?? keep.get(r);
    if (c) node.comment = c.startsWith(' ') ? c : ` ${c}`;
    seq.items.push(node);
  }
  doc.set('recipients', seq);
}

/** Write atomically: a temp file beside the target (same file system), fsync, rename. The
 * file's mode is kept. */
export function writeStoreFile(file: string, doc: Document): void {
  const text = doc.toString({ lineWidth: 0 });
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let mode = 0o644;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    // a new file
  }
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (e) {
    unlinkSync(tmp);
    throw new SecretsError(`cannot write the secrets file: ${(e as Error).message}`, { file });
  }
}

const LOCK_WAIT_MS = 30_000;
/** A lock older than this was left by a process that died: broken. */
const LOCK_STALE_MS = 120_000;
const held = new Map<string, number>();
const nap = new Int32Array(new SharedArrayBuffer(4));

/** Run `fn` holding FILE.lock (O_EXCL create; reentrant within this process), so a read,
 * change and write of the file by two fleet processes never interleave. */
export function withFileLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  const depth = held.get(lock) ?? 0;
  if (depth === 0) acquire(lock);
  held.set(lock, depth + 1);
  try {
    return fn();
  } finally {
    held.set(lock, depth);
    if (depth === 0) {
      held.delete(lock);
      try {
        unlinkSync(lock);
      } catch {
        // already gone
      }
    }
  }
}

function acquire(lock: string): void {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o644);
      writeSync(fd, `${process.pid}@${hostname()}\n`);
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new SecretsError(`cannot lock the secrets file: ${(e as Error).message}`, { file: lock });
    }
    try {
      if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) unlinkSync(lock);
    } catch {
      // released meanwhile
    }
    if (Date.now() > deadline) {
      throw new SecretsError(
        `another fleet process has held ${lock} for over ${LOCK_WAIT_MS / 1000} s; if none is running, remove the file`,
        { file: lock },
      );
    }
    Atomics.wait(nap, 0, 0, 50); // everything here is synchronous: sleep without a timer
  }
}
