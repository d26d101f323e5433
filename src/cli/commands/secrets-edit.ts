// `fleet secrets edit`: every value in clear in $EDITOR, then only what changed is encrypted
// again. The clear text lives in a 0700 directory (in RAM when /dev/shm exists), in a 0600
// file that is overwritten and removed afterwards, whatever happens.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, isScalar, parseDocument, stringify } from 'yaml';
import { SecretStore, SecretsError, checkSecretName } from '../../secrets/index.js';

const HEADER = `# fleet secrets edit: change, add or delete values, save and quit.
# Only what changed is encrypted again; a deleted name is removed from the secrets file.
# Values are YAML text: quote one that holds ': ' or ' #'; a multi-line value is a | block.
`;

function privateDir(): string {
  for (const base of ['/dev/shm', tmpdir()]) {
    try {
      if (!statSync(base).isDirectory()) continue;
      accessSync(base, constants.W_OK);
      return mkdtempSync(join(base, 'fleet-secrets-')); // mkdtemp makes it 0700
    } catch {
      // next candidate
    }
  }
  throw new SecretsError('no writable temporary directory for the decrypted file');
}

export function editSecrets(store: SecretStore): void {
  if (!store.exists) throw new SecretsError('no secrets file yet: run `fleet secrets init` first', { file: store.file });
  const before = new Map<string, string>();
  for (const e of store.entries()) if (e.armored) before.set(e.name, store.reveal(e.name));
  const dir = privateDir();
  const file = join(dir, 'secrets.yml');
  try {
    writeFileSync(file, HEADER + (before.size ? stringify(Object.fromEntries(before), { blockQuote: 'literal', lineWidth: 0 }) : ''), {
      mode: 0o600,
    });
    const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
    // Through sh, so EDITOR="code --wait" works; the path is an argument, not shell text.
    const r = spawnSync('sh', ['-c', `${editor} "$1"`, 'sh', file], { stdio: 'inherit' });
    if (r.status !== 0) throw new SecretsError(`the editor (${editor}) exited ${r.status ?? r.signal}: nothing was changed`);
    const after = parseEdited(readFileSync(file, 'utf8'));
    const changed = [...after].filter(([k, v]) => before.has(k) && before.get(k) !== v).map(([k]) => k);
    const added = [...after.keys()].filter((k) => !before.has(k));
    const removed = [...before.keys()].filter((k) => !after.has(k));
    added.forEach(checkSecretName); // all checked before anything is written
    for (const k of [...changed, ...added]) store.set(k, after.get(k)!);
    for (const k of removed) store.remove(k);
    const parts = [
      changed.length && `changed ${changed.join(', ')}`,
      added.length && `added ${added.join(', ')}`,
      removed.length && `removed ${removed.join(', ')}`,
    ].filter(Boolean);
    process.stderr.write(parts.length ? `${parts.join('; ')} in ${store.file}\n` : 'nothing changed\n');
  } finally {
    try {
      writeFileSync(file, Buffer.alloc(Math.max(4096, statSync(file).size)));
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The edited file: a mapping of names to text. The failsafe schema reads every scalar as the
 * text it is (0123 stays "0123", yes stays "yes"). */
function parseEdited(text: string): Map<string, string> {
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: true });
  if (doc.errors[0])
    throw new SecretsError(`the edited file is not valid YAML (${doc.errors[0].message.split('\n')[0]}): nothing was changed`);
  const out = new Map<string, string>();
  const root = doc.contents;
  if (root === null) return out;
  if (!isMap(root)) throw new SecretsError('the edited file must be a mapping of names to values: nothing was changed');
  for (const pair of root.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!isScalar(pair.value) || typeof pair.value.value !== 'string')
      throw new SecretsError(`'${k}': expected a text value: nothing was changed`);
    out.set(k, pair.value.value);
  }
  return out;
}
