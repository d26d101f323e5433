// What the comms role needs to run on lab hosts, shared by the demo (scripts/demo-comms-vars.mjs)
// and the lab test (test/integration/roles-comms.test.ts): a CA of the caller's own with the
// mail server's certificate from it, and the variables that fit the lab (images built from
// Debian packages, host-mode ports and dnsrr since the lab has no IPVS, Synapse and Element
// off since they have no Debian packages).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { COMMS_LAB_IMAGES } from './service-images.js';

/** Makes ca.crt/ca.key and mail.crt/mail.key for `mail.DOMAIN` in dir, unless mail.crt is there. */
export function ensureCommsLabCerts(dir: string, domain: string, caName: string, days: number): void {
  if (fs.existsSync(path.join(dir, 'mail.crt'))) return;
  const mailHost = `mail.${domain}`;
  const ossl = (...a: string[]) => execFileSync('openssl', a, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', `/CN=${caName}`, '-days', String(days));
  ossl('req', ...ec, '-keyout', 'mail.key', '-out', 'mail.csr', '-subj', `/CN=${mailHost}`);
  fs.writeFileSync(path.join(dir, 'ext'), `subjectAltName=DNS:${mailHost}\n`);
  ossl('x509', '-req', '-in', 'mail.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'mail.crt', '-days', String(days), '-extfile', 'ext');
}

export interface CommsLabVarsOptions {
  domain: string;
  /** Where ensureCommsLabCerts wrote the certificates. */
  certDir: string;
  /** The secrets holding alice's and bob's passwords and the mail key. */
  secrets: { alice: string; bob: string; mailKey: string };
}

/** The comms role's variables for lab hosts; callers add what is theirs (images to carry, a backend). */
export function commsLabVars(o: CommsLabVarsOptions): Record<string, unknown> {
  return {
    comms_domain: o.domain,
    comms_tls: 'internal',
    comms_publish_mode: 'host',
    comms_endpoint_mode: 'dnsrr',
    comms_synapse_enabled: false,
    comms_element_enabled: false,
    comms_postgres_enabled: true,
    comms_image_caddy: COMMS_LAB_IMAGES.caddy.ref,
    comms_image_postgres: COMMS_LAB_IMAGES.postgres.ref,
    comms_image_mail: COMMS_LAB_IMAGES.mail.ref,
    comms_mail_users: [
      { name: 'alice', password_secret: o.secrets.alice },
      { name: 'bob', password_secret: o.secrets.bob },
    ],
    comms_mail_tls_cert: fs.readFileSync(path.join(o.certDir, 'mail.crt'), 'utf8'),
    comms_mail_tls_key_secret: o.secrets.mailKey,
    comms_mail_tls_ca: fs.readFileSync(path.join(o.certDir, 'ca.crt'), 'utf8'),
    // A lab host is small.
    comms_min_disk_mb: 256,
    comms_min_memory_mb: 64,
  };
}
