// The comms role's configs, rendered from its defaults and variables, checked for what each
// service needs: JSON that parses, homeserver.yaml with the keys Synapse requires and the
// generated secrets, Caddy sites only for the parts switched on, Onion-Location only with an
// onion address. The services' own checkers run in comms-checkers.test.ts.
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { SECRETS, commsVars, render } from './comms/render.js';

const ONION = 'a'.repeat(56) + '.onion';

describe('comms role: rendered configs', () => {
  it('derives the host names, ports and stacks from the domain and the switches', () => {
    const v = commsVars();
    expect(v.comms_matrix_host).toBe('matrix.example.org');
    expect(v.comms_mail_host).toBe('mail.example.org');
    expect(v.comms_ports).toEqual([80, 443, 8448, 25, 465, 587, 143, 993]);
    expect(v.comms_postgres_enabled).toBe(true);
    expect(v.comms_disabled_stacks).toEqual(['comms-mastodon', 'comms-rocketchat', 'comms-maubot']);
    const off = commsVars({ comms_synapse_enabled: false, comms_mail_enabled: false, comms_federation_port: 443 });
    expect(off.comms_ports).toEqual([80, 443]);
    expect(off.comms_postgres_enabled).toBe(false);
    expect(off.comms_disabled_stacks).toEqual(['comms-db', 'comms-matrix', 'comms-mail', 'comms-mastodon', 'comms-rocketchat', 'comms-maubot']);
    expect(commsVars({ comms_maubot_enabled: true, comms_synapse_enabled: false }).comms_postgres_enabled).toBe(true);
  });

  it('homeserver.yaml: the keys Synapse requires, the generated secrets, PostgreSQL on the stack network', () => {
    const hs = YAML.parse(render('homeserver.yaml.j2')) as Record<string, any>;
    for (const k of ['server_name', 'public_baseurl', 'signing_key_path', 'listeners', 'database', 'log_config', 'media_store_path', 'report_stats', 'registration_shared_secret', 'macaroon_secret_key', 'form_secret'])
      expect(hs, k).toHaveProperty(k);
    expect(hs.server_name).toBe('example.org');
    expect(hs.public_baseurl).toBe('https://matrix.example.org/');
    expect(hs.registration_shared_secret).toBe(SECRETS.comms_synapse_registration_secret);
    expect(hs.macaroon_secret_key).toBe(SECRETS.comms_synapse_macaroon_secret);
    expect(hs.form_secret).toBe(SECRETS.comms_synapse_form_secret);
    expect(hs.database).toEqual({ name: 'psycopg2', args: { user: 'synapse', password: SECRETS.comms_postgres_password, database: 'synapse', host: 'postgres', port: 5432, cp_min: 5, cp_max: 10 } });
    expect(hs.listeners[0]).toMatchObject({ port: 8008, tls: false, x_forwarded: true });
    expect(hs.enable_registration).toBe(false);
    expect(hs.email.smtp_host).toBe('mail');
    expect(YAML.parse(render('homeserver.yaml.j2', { comms_mail_enabled: false }))).not.toHaveProperty('email');
    // A secret with YAML-significant characters stays one string.
    const odd = YAML.parse(render('homeserver.yaml.j2', {})) as Record<string, any>;
    expect(typeof odd.form_secret).toBe('string');
    const log = YAML.parse(render('synapse-log.config.j2')) as Record<string, any>;
    expect(log.version).toBe(1);
    expect(log.root.level).toBe('WARNING');
  });

  it('element config.json: JSON pointing at the homeserver', () => {
    const c = JSON.parse(render('element-config.json.j2')) as Record<string, any>;
    expect(c.default_server_config['m.homeserver']).toEqual({ base_url: 'https://matrix.example.org', server_name: 'example.org' });
    expect(c.disable_guests).toBe(true);
  });

  it('Caddyfile: a site per part switched on, .well-known JSON with CORS, internal CA only offline, Onion-Location only with an address', () => {
    const auto = render('Caddyfile.j2', { comms_acme_email: 'ops@example.org' });
    expect(auto).toMatch(/^\s*email ops@example\.org$/m);
    expect(auto).not.toContain('local_certs');
    expect(auto).not.toContain('Onion-Location');
    expect(auto).toMatch(/^matrix\.example\.org, matrix\.example\.org:8448 \{$/m);
    expect(auto).toMatch(/^chat\.example\.org \{$/m);
    expect(auto).toContain('respond `{"m.server": "matrix.example.org:8448"}` 200');
    expect(auto).toContain('respond `{"m.homeserver": {"base_url": "https://matrix.example.org"}}` 200');
    expect(auto).toContain('header Access-Control-Allow-Origin *');
    expect(auto).not.toMatch(/^social\./m);
    const lab = render('Caddyfile.j2', { comms_tls: 'internal', comms_onion_address: ONION, comms_element_enabled: false, comms_mastodon_enabled: true, comms_federation_port: 443 });
    expect(lab).toContain('local_certs');
    expect(lab).toContain('handle /ca.crt');
    expect(lab).toContain(`header Onion-Location "http://${ONION}{uri}"`);
    expect(lab).not.toMatch(/^chat\./m);
    expect(lab).toMatch(/^social\.example\.org \{$/m);
    expect(lab).toContain('"m.server": "matrix.example.org:443"');
    const noMatrix = render('Caddyfile.j2', { comms_synapse_enabled: false });
    expect(noMatrix).not.toContain('well-known/matrix/server');
    expect(noMatrix).not.toMatch(/^matrix\./m);
  });

  it('mail: postfix delivers to dovecot, submission needs TLS and a login, users get SHA512-CRYPT hashes that stay stable', () => {
    const main = render('postfix-main.cf.j2');
    expect(main).toMatch(/^virtual_mailbox_domains = example\.org$/m);
    expect(main).toMatch(/^virtual_transport = lmtp:unix:private\/dovecot-lmtp$/m);
    expect(main).toMatch(/^smtpd_tls_auth_only = yes$/m);
    expect(main).toContain('smtpd_sender_login_maps = inline:{ alice@example.org=alice@example.org, bob@example.org=bob@example.org }');
    const master = render('postfix-master.cf.j2');
    expect(master).toMatch(/^submission inet n\s+-\s+n\s+-\s+-\s+smtpd\n\s+-o syslog_name=postfix\/submission\n\s+-o smtpd_tls_security_level=encrypt$/m);
    const users = render('mail-users.j2');
    const lines = users.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^alice@example\.org:\$6\$[0-9a-f]{16}\$[./0-9A-Za-z]{86}$/);
    expect(users).not.toContain(SECRETS.mail_alice);
    expect(render('mail-users.j2')).toBe(users); // same password, same secret: no needless roll
    const dovecot = render('dovecot.conf.j2');
    expect(dovecot).toMatch(/^ssl = required$/m);
    expect(dovecot).toMatch(/^disable_plaintext_auth = yes$/m);
    expect(dovecot).toContain('postmaster_address = postmaster@example.org');
  });

  it('maubot and Mastodon: their config carries the generated secrets and the shared database', () => {
    const mb = YAML.parse(render('maubot-config.yaml.j2')) as Record<string, any>;
    expect(mb.server.unshared_secret).toBe(SECRETS.comms_maubot_unshared_secret);
    expect(mb.homeservers['example.org']).toEqual({ url: 'http://synapse:8008', secret: SECRETS.comms_synapse_registration_secret });
    expect(mb.database).toBe(`postgresql://synapse:${SECRETS.comms_postgres_password}@postgres/maubot`);
    const env = Object.fromEntries(
      render('mastodon.env.j2')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env.LOCAL_DOMAIN).toBe('social.example.org');
    expect(env.SECRET_KEY_BASE).toBe(SECRETS.comms_mastodon_secret_key_base);
    expect(env.DB_PASS).toBe(SECRETS.comms_postgres_password);
    expect(env.SMTP_ENABLE_STARTTLS).toBe('always');
  });
});
