// The comms role's configs checked by the services' own checkers, in the very images the lab
// runs (built from Debian packages by src/lab/service-images.ts, cached under
// /var/cache/fleet-lab/images): `caddy validate`, `postfix check` (with postconf's warnings
// about unknown parameters), `doveconf -n`, each run in a chroot of the image's tree. Each
// checker is also shown to refuse a broken config, so a pass means something. Needs root
// (chroot, device nodes) and apt (to build the images once): skipped without them, saying so.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debImageArchive } from '../../../src/lab/deb-image.js';
import { CADDY_IMAGE, MAIL_IMAGE } from '../../../src/lab/service-images.js';
import { render } from './comms/render.js';

const canRun = process.getuid?.() === 0 && spawnSync('apt-cache', ['--version']).status === 0 && process.platform === 'linux';
if (!canRun) console.warn('comms-checkers: skipped (needs root and apt to build the images and chroot into them)');

/** The image's file tree, unpacked from its `docker save` archive, with the device nodes the
 * checkers open. */
function unpack(archive: string, dir: string): string {
  const image = path.join(dir, 'image');
  fs.mkdirSync(image);
  execFileSync('tar', ['-xf', archive, '-C', image]);
  const manifest = JSON.parse(fs.readFileSync(path.join(image, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  for (const layer of manifest[0].Layers) execFileSync('tar', ['-xf', path.join(image, layer), '-C', root]);
  fs.rmSync(image, { recursive: true });
  fs.mkdirSync(path.join(root, 'dev'), { recursive: true });
  for (const [n, minor] of [['null', 3], ['zero', 5], ['urandom', 9]] as const) execFileSync('mknod', ['-m', '666', path.join(root, 'dev', n), 'c', '1', String(minor)]);
  return root;
}

function inRoot(root: string, argv: string[]): { rc: number; out: string } {
  const r = spawnSync('chroot', [root, ...argv], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin', HOME: '/root', XDG_DATA_HOME: '/data', XDG_CONFIG_HOME: '/config' } });
  return { rc: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function put(root: string, file: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), text, { mode });
}

describe.skipIf(!canRun)('comms role: configs pass the services\' own checkers', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-comms-check-'));
  let caddy = '';
  let mail = '';
  beforeAll(async () => {
    fs.mkdirSync(path.join(dir, 'caddy'));
    fs.mkdirSync(path.join(dir, 'mail'));
    caddy = unpack(await debImageArchive(CADDY_IMAGE), path.join(dir, 'caddy'));
    mail = unpack(await debImageArchive(MAIL_IMAGE), path.join(dir, 'mail'));
  }, 900_000); // a first build downloads the packages; cached after
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }), 120_000); // two unpacked images: slow under load

  const caddyValidate = (text: string) => {
    put(caddy, 'etc/caddy/Caddyfile', text);
    return inRoot(caddy, ['caddy', 'validate', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile']);
  };

  it('caddy validate accepts every variant of the Caddyfile and refuses a broken one', () => {
    const variants: Record<string, unknown>[] = [
      { comms_acme_email: 'ops@example.org' },
      { comms_tls: 'internal', comms_onion_address: `${'b'.repeat(56)}.onion`, comms_federation_port: 443 },
      { comms_tls: 'internal', comms_mastodon_enabled: true, comms_rocketchat_enabled: true, comms_maubot_enabled: true, comms_extra_sites: [{ host: 'app.example.org', backend: 'app:8080' }], comms_site_backend: 'web:80' },
      { comms_synapse_enabled: false, comms_element_enabled: false },
    ];
    for (const v of variants) {
      const r = caddyValidate(render('Caddyfile.j2', v));
      expect(r, `${JSON.stringify(v)}: ${r.out}`).toMatchObject({ rc: 0 });
      expect(r.out).toContain('Valid configuration');
    }
    const broken = caddyValidate(render('Caddyfile.j2').replace('import common', 'import common\n\treverse_proxy_typo x:1'));
    expect(broken.rc).not.toBe(0);
    expect(broken.out).toMatch(/unrecognized directive: reverse_proxy_typo/);
  });

  function mailConfig(main: string, master: string, dovecot: string) {
    put(mail, 'etc/postfix/main.cf', main);
    put(mail, 'etc/postfix/master.cf', master);
    put(mail, 'etc/dovecot/dovecot.conf', dovecot);
    put(mail, 'run/secrets/mail_users', render('mail-users.j2'), 0o600);
    if (!fs.existsSync(path.join(mail, 'etc/ssl/comms/mail.crt'))) {
      fs.mkdirSync(path.join(mail, 'etc/ssl/comms'), { recursive: true });
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(mail, 'run/secrets/mail_tls_key'), '-out', path.join(mail, 'etc/ssl/comms/mail.crt'), '-subj', '/CN=mail.example.org', '-days', '2'], { stdio: 'ignore' });
    }
  }

  it('postfix check and postconf accept main.cf and master.cf, without warnings; a broken master.cf is refused', () => {
    mailConfig(render('postfix-main.cf.j2'), render('postfix-master.cf.j2'), render('dovecot.conf.j2'));
    const check = inRoot(mail, ['postfix', '-c', '/etc/postfix', 'check']);
    expect(check, check.out).toMatchObject({ rc: 0 });
    expect(check.out).not.toMatch(/warning|fatal/i);
    const n = inRoot(mail, ['postconf', '-c', '/etc/postfix', '-n']);
    expect(n.rc).toBe(0);
    expect(n.out).not.toMatch(/warning/i); // "unused parameter": a misspelt setting
    expect(n.out).toMatch(/^virtual_transport = lmtp:unix:private\/dovecot-lmtp$/m);
    const m = inRoot(mail, ['postconf', '-c', '/etc/postfix', '-M']);
    expect(m.out).toMatch(/^submission +inet/m);
    // The checkers can fail: a misspelt parameter warns, a broken master.cf is fatal.
    mailConfig(`${render('postfix-main.cf.j2')}smtpd_tls_auth_onyl = yes\n`, render('postfix-master.cf.j2'), render('dovecot.conf.j2'));
    expect(inRoot(mail, ['postconf', '-c', '/etc/postfix', '-n']).out).toMatch(/unused parameter: smtpd_tls_auth_onyl/);
    mailConfig(render('postfix-main.cf.j2'), `${render('postfix-master.cf.j2')}submission inet n - n\n`, render('dovecot.conf.j2'));
    expect(inRoot(mail, ['postfix', '-c', '/etc/postfix', 'check']).rc).not.toBe(0);
  });

  it('doveconf -n accepts dovecot.conf and refuses a broken one', () => {
    mailConfig(render('postfix-main.cf.j2'), render('postfix-master.cf.j2'), render('dovecot.conf.j2'));
    const r = inRoot(mail, ['doveconf', '-n', '-c', '/etc/dovecot/dovecot.conf']);
    expect(r, r.out).toMatchObject({ rc: 0 });
    expect(r.out).toMatch(/^ssl = required$/m);
    expect(r.out).toMatch(/driver = passwd-file/);
    mailConfig(render('postfix-main.cf.j2'), render('postfix-master.cf.j2'), render('dovecot.conf.j2').replace('ssl = required', 'ssl = mandatory'));
    const bad = inRoot(mail, ['doveconf', '-n', '-c', '/etc/dovecot/dovecot.conf']);
    expect(bad.rc).not.toBe(0);
    expect(bad.out).toMatch(/line \d+: Invalid value: mandatory/);
  });
});
