// npm run demo, comms part: what the lab needs to run the communication stack, written to
// .lab/demo-comms/vars.yml (passed with -e @): the images of Caddy, PostgreSQL and the mail
// server built from Debian packages (cached under /var/cache/fleet-lab/images, built once),
// a CA of the demo's own and the mail server's certificate from it (kept, so a second demo
// changes nothing), and the lab's settings (host-mode ports and dnsrr: the lab has no IPVS;
// Synapse and Element off: no Debian packages, their images cannot be pulled here).
// Prints the vars file's path. Run after `npm run build`.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { commsLabVars, ensureCommsLabCerts } from '../dist/lab/comms-lab.js';
import { debImageArchive } from '../dist/lab/deb-image.js';
import { COMMS_LAB_IMAGES } from '../dist/lab/service-images.js';

const dir = path.resolve('.lab/demo-comms');
fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
ensureCommsLabCerts(dir, 'comms.lab', 'fleet demo CA', 3650);
const images = await Promise.all(
  Object.values(COMMS_LAB_IMAGES).map(async (spec) => ({ name: spec.ref, src: await debImageArchive(spec, (m) => process.stderr.write(`${m}\n`)) })),
);
// The mail accounts' passwords and the mail key: secrets the demo sets when they are missing.
const vars = {
  comms_carry_images: images,
  ...commsLabVars({ domain: 'comms.lab', certDir: dir, secrets: { alice: 'demo_mail_alice', bob: 'demo_mail_bob', mailKey: 'demo_mail_tls_key' } }),
};
const file = path.join(dir, 'vars.yml');
fs.writeFileSync(file, `# Written by scripts/demo-comms-vars.mjs for npm run demo.\n${YAML.stringify(vars)}`);
process.stdout.write(`${file}\n`);
