// The controller's age identity: never from the repository.
//   1. env FLEET_AGE_IDENTITY (an AGE-SECRET-KEY-1... string),
//   2. else the file named by env FLEET_AGE_IDENTITY_FILE,
//   3. else ~/.config/fleet/age-identity.txt.
// An identity file inside the project directory is refused: it would sit next to the
// secrets it unlocks, one `git add .` away from being committed with them.
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { SecretsError } from './errors.js';
import { revealSecret } from '../model/secret-values.js';
import { ageGenerateIdentity, ageRecipientOf } from './age-sync.js';

export interface IdentitySource {
  /** AGE-SECRET-KEY-1... strings (a file may hold several). */
  identities: string[];
  /** Where they came from, for messages (never the key itself). */
  origin: string;
}

export function defaultIdentityFile(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'fleet', 'age-identity.txt');
}

const IDENTITY_LINE = /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/;

/** Identities in age-keygen's format: comment lines, then one AGE-SECRET-KEY-1... per line. */
export function parseIdentities(text: string, origin: string): string[] {
  const out: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (!IDENTITY_LINE.test(line)) {
      throw new SecretsError(
        `${origin}:${i + 1}: expected an age identity (AGE-SECRET-KEY-1..., as age-keygen writes), got something else`,
      );
    }
    out.push(line);
  }
  if (out.length === 0) throw new SecretsError(`${origin}: no age identity in it (expected a line AGE-SECRET-KEY-1...)`);
  return out;
}

/**
 * The project directory is the nearest directory above the secrets file that holds .git,
 * or else the directory holding the inventory directory.
 */
export function projectDirOf(storeFile: string): string {
  const start = dirname(resolve(storeFile));
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) break;
  }
  return dirname(start);
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** Load the controller's identity; `projectDir` is refused as a place for the file. */
export function loadIdentity(opts: { projectDir?: string; env?: NodeJS.ProcessEnv } = {}): IdentitySource {
  const env = opts.env ?? process.env;
  const inline = env.FLEET_AGE_IDENTITY;
  if (inline !== undefined && inline.trim() !== '') {
    const identities = parseIdentities(inline, 'env FLEET_AGE_IDENTITY');
    identities.forEach(revealSecret);
    return { identities, origin: 'env FLEET_AGE_IDENTITY' };
  }
  const named = env.FLEET_AGE_IDENTITY_FILE;
  const file = named ? resolve(named) : defaultIdentityFile();
  const how = named ? `the file in FLEET_AGE_IDENTITY_FILE (${file})` : file;
  if (!existsSync(file)) {
    throw new SecretsError(
      `no age identity: ${how} does not exist. Create one with \`fleet secrets init\` (or age-keygen -o ${defaultIdentityFile()}), ` +
        'or set FLEET_AGE_IDENTITY / FLEET_AGE_IDENTITY_FILE',
    );
  }
  if (opts.projectDir && inside(real(file), real(opts.projectDir))) {
    throw new SecretsError(
      `refusing the age identity ${file}: it is inside the project directory ${opts.projectDir}, where it could be committed ` +
        `next to the secrets it unlocks. Move it out (default place: ${defaultIdentityFile()}, mode 0600) and point FLEET_AGE_IDENTITY_FILE at it`,
    );
  }
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new Error('not a regular file');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SecretsError(`cannot read the age identity ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const identities = parseIdentities(text, file);
  identities.forEach(revealSecret);
  return { identities, origin: file };
}

/** The identity file's permissions, when others could read it (a warning, like ssh's). */
export function identityFileTooOpen(file: string): boolean {
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/** Where `fleet secrets init` keeps a new identity: FLEET_AGE_IDENTITY_FILE, else the default. */
export function identityFileToCreate(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLEET_AGE_IDENTITY_FILE ? resolve(env.FLEET_AGE_IDENTITY_FILE) : defaultIdentityFile();
}

/** Generate an identity into `file` (0600, in a 0700 directory), as age-keygen writes it. */
export function createIdentityFile(file: string, projectDir?: string): { recipient: string } {
  if (projectDir && inside(resolve(file), real(projectDir))) {
    throw new SecretsError(
      `refusing to create the age identity ${file} inside the project directory ${projectDir}: keep it out of the repository`,
    );
  }
  if (existsSync(file)) throw new SecretsError(`${file} exists already`);
  const identity = ageGenerateIdentity();
  revealSecret(identity);
  const recipient = ageRecipientOf(identity);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { recipient };
}
