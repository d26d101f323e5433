// The secrets store: reads inventory/secrets.yml, decrypts one value when asked (only in
// memory, cached for the run), generates declared secrets on first use and writes them
// back, and re-encrypts for a changed list of recipients.
import { existsSync } from 'node:fs';
import { ageDecrypt, ageEncrypt, ageRecipientOf, AgeError } from './age-sync.js';
import type { Declaration } from './declarations.js';
import { SecretsError } from './errors.js';
import { describeGenerator, generate, type GeneratorSpec } from './generate.js';
import { loadIdentity, projectDirOf, type IdentitySource } from './identity.js';
import { revealSecret } from '../model/secret-values.js';
import {
  emptyStoreDoc,
  isRecipient,
  parseStore,
  readStoreFile,
  removeEntry,
  setEntryValue,
  setRecipients,
  setTemplateEntry,
  splitInstance,
  checkSecretName,
  withFileLock,
  writeStoreFile,
  type StoreDoc,
  type StoreEntry,
} from './store-file.js';

export interface StoreOptions {
  /** Where the controller's identity comes from (tests pass their own environment). */
  env?: NodeJS.ProcessEnv;
  /** Told when a secret is generated: written to the file, or (dry run) kept in memory only. */
  onGenerated?: (name: string, file: string, written: boolean) => void;
}

export class SecretStore {
  private sd: StoreDoc;
  private identity?: IdentitySource;
  private myRecipients?: string[];
  /** Decrypted values, by entry name: in memory only, for this process. */
  private readonly plain = new Map<string, string>();
  /** Values (and public halves) a dry run made up: never written, never used by an apply. */
  private readonly dryPlain = new Map<string, string>();
  private readonly dryPublic = new Map<string, string>();

  constructor(
    readonly file: string,
    private readonly opts: StoreOptions = {},
  ) {
    this.sd = readStoreFile(file) ?? emptyStoreDoc(file);
  }

  /** Whether the file existed when this store last read or wrote it: asked for every task of
   * every host (a stat each, 35 000 at 1000 hosts), and the contents kept are of that read. */
  private existed?: boolean;

  get exists(): boolean {
    return (this.existed ??= existsSync(this.file));
  }

  get recipients(): string[] {
    return [...this.sd.data.recipients];
  }

  /** Every entry, as written (per-host templates and their NAME@HOST instances included). */
  entries(): StoreEntry[] {
    return [...this.sd.data.entries.values()];
  }

  entry(name: string): StoreEntry | undefined {
    return this.sd.data.entries.get(name);
  }

  /** Names a template can read as secrets.NAME (instances are reached through their base). */
  baseNames(): string[] {
    return this.entries()
      .filter((e) => splitInstance(e.name).host === undefined)
      .map((e) => e.name);
  }

  /** The entry name a read of NAME on HOST resolves to (NAME, or NAME@HOST if per host). */
  resolveName(name: string, host: string | undefined, declared?: Declaration): string {
    const e = this.entry(name);
    const perHost = e ? e.perHost : declared?.perHost === true;
    if (!perHost) return name;
    if (!host) throw new SecretsError(`secret '${name}' is per host: name one host's value, ${name}@HOST`, this.where(name));
    return `${name}@${host}`;
  }

  /**
   * The value in clear. Decrypts (once per process) or, when the secret has a generator and
   * no value yet, generates it, encrypts it for the recipients and writes it to the file
   * before returning, so every host of the run and every later run gets the same value.
   */
  reveal(name: string, opts: { host?: string; declared?: Declaration; dryRun?: boolean } = {}): string {
    const key = this.resolveName(name, opts.host, opts.declared);
    const cached = this.plain.get(key);
    if (cached !== undefined) return cached;
    const entry = this.entry(key);
    if (entry?.armored) return this.remember(key, this.decryptEntry(entry));
    const generator = entry?.generator ?? this.entry(name)?.generator ?? opts.declared?.generator;
    if (!generator) {
      throw new SecretsError(
        `secret '${key}' has no value${entry ? '' : ' in the secrets file'}: set one with \`fleet secrets set ${key}\` (value on stdin), ` +
          'or declare a generator (generate: {length: 32})',
        entry ? this.where(key) : { file: this.file },
      );
    }
    const why = generatedFor(key, opts.declared);
    return opts.dryRun ? this.generateInMemory(key, generator, why) : this.generateInto(key, generator, why);
  }

  /** The public half of a generated key pair (generated now if it does not exist yet). */
  publicOf(name: string, opts: { host?: string; declared?: Declaration; dryRun?: boolean } = {}): string | undefined {
    const key = this.resolveName(name, opts.host, opts.declared);
    if (!this.entry(key)?.armored) this.reveal(name, opts);
    return this.entry(key)?.public ?? (opts.dryRun ? this.dryPublic.get(key) : undefined);
  }

  private remember(key: string, value: string): string {
    revealSecret(value);
    this.plain.set(key, value);
    return value;
  }

  /**
   * A dry run (check mode) changes nothing, the secrets file included: a value that does not
   * exist yet is made up for this process only, so templates render and diffs show a
   * (masked) change; the first apply generates the value that is kept.
   */
  private generateInMemory(key: string, generator: GeneratorSpec, why: string): string {
    const made = this.dryPlain.get(key);
    if (made !== undefined) return made;
    this.reload();
    const now = this.entry(key);
    if (now?.armored) return this.remember(key, this.decryptEntry(now));
    this.writableRecipients(why); // what would stop the apply stops the check too
    const g = generate(generator);
    revealSecret(g.value);
    this.dryPlain.set(key, g.value);
    if (g.public !== undefined) this.dryPublic.set(key, g.public);
    this.opts.onGenerated?.(key, this.file, false);
    return g.value;
  }

  private generateInto(key: string, generator: GeneratorSpec, why: string): string {
    const made = withFileLock(this.file, () => {
      // Another run sharing the file may have generated it since we read the file: theirs
      // wins, so the value stays one value.
      this.reload();
      const now = this.entry(key);
      if (now?.armored) return undefined;
      const g = generate(generator);
      revealSecret(g.value);
      const armored = ageEncrypt(g.value, this.writableRecipients(why));
      this.update((doc) => setEntryValue(doc.doc, key, armored, { generator, public: g.public }));
      return g;
    });
    if (!made) return this.remember(key, this.decryptEntry(this.entry(key)!));
    this.opts.onGenerated?.(key, this.file, true);
    return this.remember(key, made.value);
  }

  // ---- changes made by `fleet secrets` ---------------------------------------------------

  /** Set a value (new or replacing); a generated secret keeps its generator. */
  set(name: string, value: string): void {
    checkSecretName(name);
    const { base } = splitInstance(name);
    const template = this.entry(base);
    if (this.entry(name)?.perHost) throw new SecretsError(`secret '${name}' is per host: set ${name}@HOST`, this.where(name));
    revealSecret(value);
    const armored = ageEncrypt(value, this.writableRecipients());
    const generator = this.entry(name)?.generator ?? (template?.perHost ? template.generator : undefined);
    this.update((doc) => setEntryValue(doc.doc, name, armored, generator ? { generator } : {}));
    this.plain.set(name, value);
  }

  /** Replace generated secrets with new values: NAME, or every NAME@HOST of a per-host one. */
  rotate(name: string, declared?: Declaration): string[] {
    const entry = this.entry(name);
    const targets =
      entry?.perHost || (!entry && declared?.perHost)
        ? this.entries()
            .filter((e) => splitInstance(e.name).base === name && splitInstance(e.name).host !== undefined)
            .map((e) => e.name)
        : [name];
    const generator = entry?.generator ?? this.entry(splitInstance(name).base)?.generator ?? declared?.generator;
    if (!generator) {
      throw new SecretsError(
        `secret '${name}' has no generator, so it cannot be rotated: set a new value with \`fleet secrets set ${name}\``,
        entry ? this.where(name) : { file: this.file },
      );
    }
    if (targets.length === 0)
      throw new SecretsError(`secret '${name}' has not been generated for any host yet: nothing to rotate`, this.where(name));
    const recipients = this.writableRecipients();
    const made = targets.map((t) => ({ t, g: generate(generator) }));
    for (const { g } of made) revealSecret(g.value);
    const armored = made.map(({ t, g }) => ({ t, g, a: ageEncrypt(g.value, recipients) }));
    this.update((doc) => {
      for (const { t, g, a } of armored) setEntryValue(doc.doc, t, a, { generator, public: g.public });
    });
    for (const { t, g } of made) this.plain.set(t, g.value);
    return targets;
  }

  remove(name: string): void {
    if (!this.entry(name)) throw new SecretsError(`no secret '${name}' in the secrets file`, { file: this.file });
    this.update((doc) => void removeEntry(doc.doc, name));
    this.plain.delete(name);
  }

  /** Declare a per-host generated secret in the file itself. */
  declarePerHost(name: string, generator: GeneratorSpec): void {
    this.update((doc) => setTemplateEntry(doc.doc, name, generator));
  }

  /** Create the file with its first recipient (`fleet secrets init`). */
  init(recipient: string): void {
    if (this.exists) throw new SecretsError('the secrets file exists already', { file: this.file });
    const sd = emptyStoreDoc(this.file);
    setRecipients(sd.doc, [recipient]);
    writeStoreFile(this.file, sd.doc);
    this.reload();
  }

  addRecipient(recipient: string, comment?: string): void {
    checkRecipient(recipient);
    if (this.recipients.includes(recipient)) throw new SecretsError(`${recipient} is a recipient already`, { file: this.file });
    this.reencrypt([...this.recipients, recipient], comment ? { [recipient]: comment } : {});
  }

  removeRecipient(recipient: string): void {
    if (!this.recipients.includes(recipient))
      throw new SecretsError(`${recipient} is not a recipient (recipients: ${this.recipients.join(', ') || 'none'})`, { file: this.file });
    const rest = this.recipients.filter((r) => r !== recipient);
    if (rest.length === 0)
      throw new SecretsError('refusing to remove the last recipient: nobody could decrypt the secrets any more', { file: this.file });
    this.reencrypt(rest);
  }

  /** Decrypt every value and encrypt it again for `recipients` (all or nothing). */
  reencrypt(recipients = this.recipients, comments: Record<string, string> = {}): number {
    const valued = this.entries().filter((e) => e.armored);
    const clear = valued.map((e) => ({ e, v: this.reveal(e.name) }));
    const out = clear.map(({ e, v }) => ({ name: e.name, a: ageEncrypt(v, recipients) }));
    this.update((doc) => {
      setRecipients(doc.doc, recipients, comments);
      for (const { name, a } of out) setEntryValue(doc.doc, name, a);
    });
    return out.length;
  }

  /** How many recipients a value was encrypted for (age's header lists one stanza each). */
  stanzaCount(name: string): number | undefined {
    const a = this.entry(name)?.armored;
    return a ? countStanzas(a) : undefined;
  }

  /** This controller's public keys (to tell the user which key to have added). */
  myKeys(): string[] {
    this.myRecipients ??= this.loadedIdentity().identities.map((i) => ageRecipientOf(i));
    return this.myRecipients;
  }

  // ---- internals --------------------------------------------------------------------------

  private loadedIdentity(): IdentitySource {
    this.identity ??= loadIdentity({ projectDir: projectDirOf(this.file), env: this.opts.env });
    return this.identity;
  }

  private where(name: string): { file: string; line?: number; column?: number } {
    const e = this.entry(name);
    return e ? { file: this.file, line: e.line, column: e.column } : { file: this.file };
  }

  /** Recipients to encrypt for; refuses when this controller could not read back what it writes.
   * `why` (a secret about to be generated, and who declared it) leads the message. */
  private writableRecipients(why = ''): string[] {
    const rs = this.recipients;
    if (rs.length === 0) {
      throw new SecretsError(
        `${why}${this.exists ? 'the file lists no recipients' : 'there is no secrets file yet'}: run \`fleet secrets init\` (or \`fleet secrets recipients add age1...\`) first`,
        { file: this.file },
      );
    }
    let mine: string[];
    try {
      mine = this.myKeys();
    } catch {
      return rs; // no identity here: encrypting needs only the public keys
    }
    if (!mine.some((k) => rs.includes(k))) {
      throw new SecretsError(
        `${why}your age key ${mine[0]} is not one of the recipients, so you could not read back what you write. ` +
          `Ask someone who is to run \`fleet secrets recipients add ${mine[0]}\``,
        { file: this.file },
      );
    }
    return rs;
  }

  private decryptEntry(entry: StoreEntry): string {
    const where = { file: this.file, line: entry.line, column: entry.column };
    const id = this.loadedIdentity();
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(ageDecrypt(entry.armored!, id.identities));
    } catch (e) {
      if (!(e instanceof AgeError) && !(e instanceof TypeError)) throw e;
      throw new SecretsError(this.explain(entry, e.message, id), where);
    }
  }

  private explain(entry: StoreEntry, why: string, id: IdentitySource): string {
    const name = `secret '${entry.name}'`;
    if (/no identity matched/.test(why)) {
      const mine = this.myKeys();
      const listed = mine.some((k) => this.recipients.includes(k));
      return (
        `${name} cannot be decrypted with your age identity (${id.origin}, public key ${mine.join(', ')}): it was encrypted for other keys. ` +
        (listed
          ? 'Your key is in the recipients list but this value was encrypted before it was added (or by hand): ask a recipient to run `fleet secrets reencrypt`'
          : `Your key is not a recipient: ask someone who is to run \`fleet secrets recipients add ${mine[0]}\``)
      );
    }
    if (/invalid header HMAC/.test(why)) return `${name} was tampered with or is corrupt: its age header does not authenticate (${why})`;
    if (/invalid (header|footer|line length|base64)|armor/i.test(why))
      return `${name} is corrupt: not a valid age-encrypted block (${why})`;
    if (/decode|utf-?8|encoded data/i.test(why)) return `${name} decrypted to bytes that are not UTF-8 text`;
    return `${name} was tampered with or is corrupt: age refused it (${why})`;
  }

  private reload(): void {
    this.existed = undefined;
    this.sd = readStoreFile(this.file) ?? emptyStoreDoc(this.file);
  }

  /** Re-read the file, change it, write it atomically, and keep what was written; under the
   * file's lock, so two fleet processes sharing it never lose each other's change. */
  private update(change: (sd: StoreDoc) => void): void {
    withFileLock(this.file, () => {
      const fresh = readStoreFile(this.file) ?? emptyStoreDoc(this.file);
      change(fresh);
      writeStoreFile(this.file, fresh.doc);
      this.existed = undefined;
      this.sd = parseStore(this.file, fresh.doc.toString({ lineWidth: 0 }));
    });
  }
}

/** "secret 'NAME' (declared in FILE:LINE: what it is) must be generated, but ": what an error
 * about the secrets file says first, so the reader knows which role needs the store, and why. */
function generatedFor(key: string, declared: Declaration | undefined): string {
  const by = declared ? ` (declared in ${declared.where}${declared.description ? `: ${declared.description}` : ''})` : '';
  return `secret '${key}'${by} must be generated, but `;
}

function checkRecipient(r: string): void {
  if (!isRecipient(r))
    throw new SecretsError(`'${r}' is not an age public key (expected age1..., as age-keygen -y or \`fleet secrets init\` prints)`);
  try {
    ageEncrypt('', [r]);
  } catch (e) {
    throw new SecretsError(`'${r}' is not a valid age public key: ${(e as Error).message}`);
  }
}

/** Stanzas in an armored age file's header: one per recipient it was encrypted for. */
export function countStanzas(armored: string): number {
  const b64 = armored
    .trim()
    .split(/\r?\n/)
    .filter((l) => !l.startsWith('-----'))
    .join('');
  const bytes = Buffer.from(b64, 'base64');
  const end = bytes.indexOf('\n---');
  const header = bytes.subarray(0, end < 0 ? bytes.length : end).toString('latin1');
  return header.split('\n').filter((l) => l.startsWith('-> ')).length;
}

export { describeGenerator };
