// Where the backups role's repository password comes from, and when the secrets store is read
// for it: only on hosts where backups are active (backups_enabled and a repository set) and
// backups_password is empty. The checks before contact render every task for every host of
// the play, skipped or not, so a project without a secrets file (the demo, CI) that runs
// site.yml with backups inactive must never need one, and a project that activates backups
// without one gets a clear error before any host is contacted.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadInventory, loadPlaybook, loadRole, selectHosts } from '../../../src/config/index.js';
import { validateBeforeContact } from '../../../src/engine/preflight.js';
import { ConfigError } from '../../../src/model/errors.js';
import { ageDecrypt } from '../../../src/secrets/age-sync.js';
import { resetSecretStores } from '../../../src/secrets/context.js';
import { SecretStore } from '../../../src/secrets/store.js';
import { evalExpression, renderValue } from '../../../src/template/index.js';
import { newKey, taskContext, tmpProject } from '../secrets/helpers.js';

const REPO = path.resolve('.');
const SITE = path.join(REPO, 'playbooks', 'site.yml');
const ADMIN = ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMI932BZfEttPhsfMGT5pa+GNA3Wlkml3kpAt2/YoJyZ test'];
const key = newKey();
let p: ReturnType<typeof tmpProject>;
let saved: string | undefined;

beforeEach(() => {
  saved = process.env.FLEET_AGE_IDENTITY;
  process.env.FLEET_AGE_IDENTITY = key.identity;
  resetSecretStores();
  p = tmpProject();
});
afterEach(() => {
  if (saved === undefined) delete process.env.FLEET_AGE_IDENTITY;
  else process.env.FLEET_AGE_IDENTITY = saved;
  p.cleanup();
});

/** An inventory on disk (so the project has a secrets file location), with the swarm's groups
 * as the project's own inventory declares them; `vars` per host. */
function writeInventory(vars: Record<string, Record<string, unknown>>): void {
  const host = (n: string) => ({ admin_keys: ADMIN, ...(vars[n] ?? {}) });
  const inv = {
    all: {
      hosts: { web1: host('web1'), store1: host('store1') },
      children: { managers: { hosts: { m1: host('m1') } }, workers: { hosts: {} } },
    },
  };
  fs.writeFileSync(path.join(p.inventory, 'hosts.yml'), JSON.stringify(inv));
}

function preflightSite(): void {
  const inventory = loadInventory([p.inventory]);
  validateBeforeContact({ inventory, playbook: loadPlaybook(SITE), extraVars: {}, selectHosts });
}

function errorOf(fn: () => void): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const role = loadRole(path.join(REPO, 'roles', 'backups'));
const passwordTask = role.tasks.find((t) => t.name === 'store the repository password')!;
const roleRef = { role, vars: {}, tags: [] };

/** The password the role would write on `host` (apply mode: a generated secret is kept). */
function renderedPassword(host: string): { content: unknown; mode: unknown; runs: unknown } {
  const ctx = taskContext(p.inventory, host, roleRef, 'apply');
  const origin = passwordTask.source;
  return {
    content: renderValue(passwordTask.params.content, ctx, origin),
    mode: String(renderValue(passwordTask.params.validate, ctx, origin)).split(' ').pop(),
    runs: Boolean(evalExpression(String(passwordTask.when), ctx, origin)), // a condition is truthy or not
  };
}

describe('backups: the repository password and the secrets store', () => {
  it('site.yml without a secrets file and without backups passes the checks before contact, and creates no file (the demo)', () => {
    writeInventory({});
    expect(() => preflightSite()).not.toThrow();
    expect(fs.existsSync(p.file)).toBe(false);
  });

  it('without a secrets file, a host with a repository set is refused before contact, saying what to do; nothing is written', () => {
    writeInventory({ web1: { backups_repository: '/srv/restic' } });
    const e = errorOf(() => preflightSite());
    expect(e.message).toContain("secret 'backups_repository_password@web1'");
    expect(e.message).toMatch(/declared in \S*roles\/backups\/secrets\.yml:\d+: the restic repository password/);
    expect(e.message).toContain('set backups_password to use your own instead');
    expect(e.message).toMatch(/there is no secrets file yet: run `fleet secrets init`/);
    expect(e.message).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(fs.existsSync(p.file)).toBe(false);
  });

  it('without a secrets file, a password set by hand is used: the store is never read', () => {
    writeInventory({ web1: { backups_repository: '/srv/restic', backups_password: 'set-by-hand-password' } });
    expect(() => preflightSite()).not.toThrow();
    expect(fs.existsSync(p.file)).toBe(false);
    expect(renderedPassword('web1')).toEqual({ content: 'set-by-hand-password', mode: 'strict', runs: true });
    expect(fs.existsSync(p.file)).toBe(false);
  });

  it('backups_enabled false, or no repository: nothing is read from the store, even with backups_password empty', () => {
    writeInventory({ web1: { backups_repository: '/srv/restic', backups_enabled: false }, store1: {} });
    expect(() => preflightSite()).not.toThrow();
    expect(renderedPassword('web1')).toMatchObject({ content: '', runs: false });
    expect(renderedPassword('store1')).toMatchObject({ content: '', runs: false });
    expect(fs.existsSync(p.file)).toBe(false);
  });

  it('with a secrets file: the checks before contact write nothing; the apply generates one value per active host, kept across runs', () => {
    writeInventory({ web1: { backups_repository: '/srv/restic' }, store1: { backups_repository_host: 'web1', backups_repository_address: '192.0.2.9' } });
    new SecretStore(p.file).init(key.recipient);
    const before = fs.readFileSync(p.file, 'utf8');
    expect(() => preflightSite()).not.toThrow();
    expect(fs.readFileSync(p.file, 'utf8')).toBe(before);

    const web1 = renderedPassword('web1');
    expect(web1.mode).toBe('rotate');
    expect(web1.content).toMatch(/^[A-Za-z0-9]{48}$/);
    const store1 = renderedPassword('store1');
    expect(store1.content).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(store1.content).not.toBe(web1.content);
    // m1 has no repository: no entry for it.
    expect(renderedPassword('m1').content).toBe('');

    const file = fs.readFileSync(p.file, 'utf8');
    expect(file).not.toContain(String(web1.content));
    const store = new SecretStore(p.file, { env: key.env });
    expect(store.entries().map((e) => e.name).sort()).toEqual(['backups_repository_password@store1', 'backups_repository_password@web1']);
    const armored = store.entry('backups_repository_password@web1')!.armored!;
    expect(new TextDecoder().decode(ageDecrypt(armored, [key.identity]))).toBe(web1.content);

    // A later run (a new process) reads the same value back; nothing is written.
    resetSecretStores();
    expect(renderedPassword('web1').content).toBe(web1.content);
    expect(fs.readFileSync(p.file, 'utf8')).toBe(file);
  });
});
