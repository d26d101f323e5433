// npm run demo, comms part: what the lab needs to run the communication stack, written to
// .lab/demo-comms/vars.yml (passed with -e @): the images of Caddy, PostgreSQL and the mail
// server built from Debian packages (cached under /var/cache/fleet-lab/images, built once),
// a CA of the demo's own and the mail server's certificate from it (kept, so a second demo
// changes nothing), and the lab's settings (host-mode ports and dnsrr: the lab has no IPVS;
// Synapse and Element off: no Debian packages, their images cannot be pulled here).
// Prints the vars file's path. Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { debImageArchive } from '../dist/lab/deb-image.js';
import { COMMS_LAB_IMAGES } from '../dist/lab/service-images.js';

const DOMAIN = 'comms.lab';
const MAIL_HOST = `mail.${DOMAIN}`;
const dir = path.resolve('.lab/demo-comms');
fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
const ossl = (...a) => execFileSync('openssl', a, { cwd: dir, stdio: 'ignore' });
if (!fs.existsSync(path.join(dir, 'mail.crt'))) {
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=fleet demo CA', '-days', '3650');
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'mail.key', '-out', 'mail.csr', '-subj', `/CN=${MAIL_HOST}`);
  fs.writeFileSync(path.join(dir, 'ext'), `subjectAltName=DNS:${MAIL_HOST}\n`);
  ossl('x509', '-req', '-in', 'mail.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'mail.crt', '-days', '3650', '-extfile', 'ext');
}
const images = await Promise.all(
  Object.values(COMMS_LAB_IMAGES).map(async (spec) => ({ name: spec.ref, src: await debImageArchive(spec, (m) => process.stderr.write(`${m}\n`)) })),
);
const vars = {
  comms_carry_images: images,
  comms_domain: DOMAIN,
  comms_tls: 'internal',
  comms_publish_mode: 'host',
  comms_endpoint_mode: 'dnsrr',
  comms_synapse_enabled: false,
  comms_element_enabled: false,
  comms_postgres_enabled: true,
  comms_image_caddy: COMMS_LAB_IMAGES.caddy.ref,
  comms_image_postgres: COMMS_LAB_IMAGES.postgres.ref,
  comms_image_mail: COMMS_LAB_IMAGES.mail.ref,
  // Their passwords: secrets the demo sets (fleet secrets set) when they are missing.
  comms_mail_users: [
    { name: 'alice', password_secret: 'demo_mail_alice' },
    { name: 'bob', password_secret: 'demo_mail_bob' },
  ],
  comms_mail_tls_cert: fs.readFileSync(path.join(dir, 'mail.crt'), 'utf8'),
  comms_mail_tls_key_secret: 'demo_mail_tls_key',
  comms_mail_tls_ca: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
  // A lab host is small.
  comms_min_disk_mb: 256,
  comms_min_memory_mb: 64,
};
const file = path.join(dir, 'vars.yml');
fs.writeFileSync(file, `# Written by scripts/demo-comms-vars.mjs for npm run demo.\n${YAML.stringify(vars)}`);
process.stdout.write(`${file}\n`);
