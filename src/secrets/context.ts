// `secrets` as templates see it: {{ secrets.NAME }}. An object whose properties are getters,
// one per secret the task could read (the project's secrets file plus what the task's role
// declares): nothing is decrypted until a template reads a property, and then only that
// value, in memory, and it is handed to every redactor at that moment.
//
// Plain own properties with getters work the same in handlebars (which checks
// hasOwnProperty before reading), in the expression evaluator, and in anything that copies
// the context shallowly ({...ctx}); `secrets.NAME is defined` is true exactly for the
// secrets that exist or are declared. `secrets.public.NAME` is the public half of a
// generated key pair (`secrets.public['NAME@HOST']` for another host's per-host key).
import { MAPPING_VIEW } from '../model/mapping-view.js';
import { dirname, join, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { roleDeclarations, type Declaration } from './declarations.js';
import { SecretStore } from './store.js';
import { splitInstance } from './store-file.js';
import { SecretsError } from './errors.js';

export const STORE_FILE = 'secrets.yml';

/** inventory/secrets.yml: beside the first inventory source (the directory, or the file's). */
export function storeFileFor(inventorySources: string[]): string {
  const key = inventorySources.join('\0');
  let file = files.get(key);
  if (!file) {
    file = locate(inventorySources);
    files.set(key, file);
  }
  return file;
}

const files = new Map<string, string>();

function locate(inventorySources: string[]): string {
  const first = resolve(inventorySources[0] ?? 'inventory');
  let dir = first;
  try {
    if (!statSync(first).isDirectory()) dir = dirname(first);
  } catch {
    dir = dirname(first);
  }
  return join(dir, STORE_FILE);
}

const stores = new Map<string, SecretStore>();
let onGenerated: ((name: string, file: string, written: boolean) => void) | undefined;

/** One store per file per process: every host and task shares its decrypted values. */
export function storeAt(file: string): SecretStore {
  let s = stores.get(file);
  if (!s) {
    s = new SecretStore(file, { onGenerated: (n, f, w) => onGenerated?.(n, f, w) });
    stores.set(file, s);
  }
  return s;
}

/** Tell the CLI when a run generates a secret (it prints where it was written). */
export function onSecretGenerated(fn: ((name: string, file: string, written: boolean) => void) | undefined): void {
  onGenerated = fn;
}

/** Forget open stores (tests that rewrite the file between runs in one process). */
export function resetSecretStores(): void {
  stores.clear();
  contexts.clear();
  files.clear();
}

const contexts = new Map<string, Record<string, unknown>>();

/** The class of `secrets` objects: its own properties are the secrets' getters. */
class SecretsView {
  // Templates read its keys like a mapping's; lazy variables leave it alone.
  get [MAPPING_VIEW](): true {
    return true;
  }
}

/**
 * The hook the engine calls while building a task's variables: sets `ctx.secrets`. A user
 * variable of the same name in a project that has a secrets file is refused, loudly.
 */
export function addSecretsToContext(
  ctx: Record<string, unknown>,
  inventorySources: string[],
  host: string,
  roleDir?: string,
  hosts?: Iterable<string>,
  opts: { dryRun?: boolean } = {},
): void {
  const obj = secretsContext(inventorySources, host, roleDir, hosts, opts);
  if (!obj) return;
  if (ctx.secrets !== undefined && ctx.secrets !== obj) {
    throw new SecretsError(
      `a variable named 'secrets' is defined, but in this project 'secrets' is fleet's secrets store ({{ secrets.NAME }}): rename the variable`,
      { file: storeFileFor(inventorySources) },
    );
  }
  ctx.secrets = obj;
}

/**
 * The `secrets` object for one host (and role). Returns undefined when there is nothing to
 * offer (no secrets file, and the role declares none), so a user's own variable named
 * `secrets` keeps working in a project that does not use the store.
 */
export function secretsContext(
  inventorySources: string[],
  host: string,
  roleDir?: string,
  hosts?: Iterable<string>,
  opts: { dryRun?: boolean } = {},
): Record<string, unknown> | undefined {
  if (inventorySources.length === 0) return undefined; // an inventory built in memory
  const file = storeFileFor(inventorySources);
  const dryRun = opts.dryRun === true;
  const key = `${file}\0${host}\0${roleDir ?? ''}\0${dryRun}`;
  const hit = contexts.get(key);
  if (hit) return hit;
  const store = storeAt(file);
  const declared = roleDir ? roleDeclarations(roleDir) : new Map<string, Declaration>();
  if (!store.exists && declared.size === 0) return undefined;
  const names = new Set([...store.baseNames(), ...declared.keys()]);
  // Not a plain object: layers that walk plain data looking for templates (lazy variables)
  // pass it as it is, so nothing is decrypted (or generated) until a template reads it.
  const obj = new SecretsView() as unknown as Record<string, unknown>;
  for (const name of names) {
    Object.defineProperty(obj, name, {
      enumerable: true,
      get: () => store.reveal(name, { host, declared: declared.get(name), dryRun }),
    });
  }
  Object.defineProperty(obj, 'public', { enumerable: false, value: publicView(store, host, declared, names, hosts, dryRun) });
  Object.freeze(obj);
  contexts.set(key, obj);
  return obj;
}

/** secrets.public.NAME (this host's, for per-host keys) and secrets.public['NAME@HOST']. */
function publicView(
  store: SecretStore,
  host: string,
  declared: Map<string, Declaration>,
  names: Set<string>,
  hosts: Iterable<string> | undefined,
  dryRun: boolean,
): Record<string, unknown> {
  const known = hosts ? new Set(hosts) : undefined;
  const resolveKey = (k: string): { name: string; host: string } | undefined => {
    const { base, host: other } = splitInstance(k);
    if (!names.has(base)) return undefined;
    if (other === undefined) return { name: base, host };
    const perHost = store.entry(base)?.perHost ?? declared.get(base)?.perHost;
    if (!perHost || (known && !known.has(other) && !store.entry(k))) return undefined;
    return { name: base, host: other };
  };
  const read = (k: string): string | undefined => {
    const r = resolveKey(k);
    return r ? store.publicOf(r.name, { host: r.host, declared: declared.get(r.name), dryRun }) : undefined;
  };
  return new Proxy(Object.create(null) as Record<string, unknown>, {
    get: (_t, k) => (typeof k === 'string' ? read(k) : undefined),
    has: (_t, k) => typeof k === 'string' && resolveKey(k) !== undefined,
    getOwnPropertyDescriptor: (_t, k) =>
      typeof k === 'string' && resolveKey(k) !== undefined ? { enumerable: true, configurable: true, get: () => read(k) } : undefined,
    ownKeys: () => [...names],
  });
}
