// Renders the comms role's templates the way a run would: the role's defaults (several are
// templates of other variables), the given overrides, and stand-in secrets.
import { join } from 'node:path';
import { readVarsSchema } from '../../../../src/config/role-vars-schema.js';
import { entries, readYaml } from '../../../../src/config/yaml-source.js';
import { renderTemplateFile, renderValue } from '../../../../src/template/index.js';

export const ROLE_DIR = join(__dirname, '../../../../roles/comms');

export const SECRETS: Record<string, string> = {
  comms_postgres_password: 'pg-Secret-0123456789abcdefghijklmnopqrstuv',
  comms_synapse_registration_secret: 'reg-Secret-0123456789abcdefghijklmnopqrstuvwxyzABCD',
  comms_synapse_macaroon_secret: 'mac-Secret-0123456789abcdefghijklmnopqrstuvwxyzABCD',
  comms_synapse_form_secret: 'form-Secret-0123456789abcdefghijklmnopqrstuvwxyzABC',
  comms_synapse_admin_password: 'admin-Secret-0123456789abcdefghij',
  comms_maubot_unshared_secret: 'maubot-Secret-0123456789abcdefghijklmnopqrstuvwxyz',
  comms_maubot_admin_password: 'maubot-admin-0123456789abcdefghij',
  comms_mastodon_secret_key_base: 'skb'.repeat(40),
  comms_mastodon_otp_secret: 'otp'.repeat(40),
  comms_mastodon_ar_primary_key: 'arp'.repeat(10),
  comms_mastodon_ar_deterministic_key: 'ard'.repeat(10),
  comms_mastodon_ar_salt: 'ars'.repeat(10),
  mail_alice: 'alice-Password-1',
  mail_bob: 'bob-Password-2',
  mail_key: '-----BEGIN PRIVATE KEY-----\nstand-in\n-----END PRIVATE KEY-----',
};

export const BASE: Record<string, unknown> = {
  comms_domain: 'example.org',
  comms_mail_users: [
    { name: 'alice', password_secret: 'mail_alice' },
    { name: 'bob', password_secret: 'mail_bob' },
  ],
  comms_mail_tls_key_secret: 'mail_key',
  inventory_hostname: 'lab1',
  groups: { managers: ['lab1'], all: ['lab1'] },
};

/** The variables of a host applying the role: defaults, overrides, derived values resolved. */
export function commsVars(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  // role.yml only: the tasks use docker_stack, which lives on the stack branch until merged.
  const yf = readYaml(join(ROLE_DIR, 'role.yml'));
  const node = entries(yf, yf.doc.contents).find((e) => e.key === 'variables')?.value;
  const { defaults } = readVarsSchema(yf, node, 'comms');
  const ctx: Record<string, unknown> = { ...defaults, ...BASE, ...overrides, secrets: SECRETS };
  // Defaults may template other variables (to any depth): resolve until nothing changes.
  for (let pass = 0; pass < 6; pass++) {
    let changed = false;
    for (const [k, v] of Object.entries(ctx)) {
      if (k === 'secrets') continue;
      const r = renderValue(v, ctx, { file: join(ROLE_DIR, 'role.yml') });
      if (JSON.stringify(r) !== JSON.stringify(v)) {
        ctx[k] = r;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return ctx;
}

export function render(template: string, overrides: Record<string, unknown> = {}): string {
  return renderTemplateFile(join(ROLE_DIR, 'templates', template), commsVars(overrides));
}
