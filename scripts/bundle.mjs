// The single-file build, which is what runs: dist/fleet-bundle.cjs, fleet and its
// dependencies in one CommonJS file that runs with node alone (no node_modules), and
// dist/fleet.cjs, the command (scripts/launcher.cjs), which runs the bundle through a V8 code
// cache. One file instead of hundreds of modules, compiled once: a short run's CPU is mostly
// start-up. The licences of everything bundled go beside it in dist/fleet-bundle.cjs.LICENSES.txt.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfo } from './build-info.mjs';
import { lazySegmenter } from './bundle-lazy-segmenter.mjs';
import { nativeCrypto } from './bundle-native-crypto.mjs';
import { precompiledValidators } from './bundle-validators.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = join(root, 'dist/fleet-bundle.cjs');
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', legalComments: 'none', logLevel: 'warning', metafile: true };

// age runs in a worker thread (src/secrets/age-sync.ts), which has no node_modules to load it
// from either: its CommonJS source goes into the bundle as a string.
const age = await build({ ...common, entryPoints: [join(root, 'node_modules/age-encryption/dist/index.js')], write: false, minify: true });

const info = buildInfo();
const result = await build({
  ...common,
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile,
  // Whitespace and syntax only: names stay, so an error's stack trace still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  // A CommonJS file has no import.meta: its URL comes from __filename.
  banner: { js: "var __fleetImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: {
    __FLEET_BUILD__: JSON.stringify(info),
    __FLEET_AGE_SOURCE__: JSON.stringify(age.outputFiles[0].text),
    'import.meta.url': '__fleetImportMetaUrl',
  },
  // ssh2's optional native helpers: it falls back to pure JS when they are absent.
  external: ['cpu-features', '*.node'],
  plugins: [await precompiledValidators(root), lazySegmenter, nativeCrypto],
});
chmodSync(outfile, 0o755);

const bundled = readFileSync(outfile);
// The launcher reads an ASCII bundle as latin1, much faster than UTF-8 (esbuild escapes
// strings, but a regex literal keeps its characters: write those as \uXXXX).
const notAscii = bundled.findIndex((byte) => byte > 0x7f);
if (notAscii >= 0) process.stdout.write(`warning: ${relative(root, outfile)} is not ASCII (${JSON.stringify(bundled.subarray(Math.max(0, notAscii - 40), notAscii + 10).toString('utf8'))}): start-up reads it as UTF-8, slower\n`);
const launcher = readFileSync(join(root, 'scripts/launcher.cjs'), 'utf8');
const stamp = { version: `fleet ${info.version} (commit ${info.commit})`, id: createHash('sha256').update(bundled).digest('hex').slice(0, 16) };
const stamped = launcher.replace("const BUILD = { version: '', id: '' };", `const BUILD = ${JSON.stringify(stamp)};`);
if (stamped === launcher) throw new Error('scripts/launcher.cjs: the BUILD line to stamp is missing');
writeFileSync(join(root, 'dist/fleet.cjs'), stamped, { mode: 0o755 });
chmodSync(join(root, 'dist/fleet.cjs'), 0o755);

// One licence text per bundled package, found from the files esbuild read.
const packages = new Map();
for (const input of [...Object.keys(result.metafile.inputs), ...Object.keys(age.metafile.inputs)]) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!m || packages.has(m[1])) continue;
  const dir = join(root, m[1]);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^(licen[sc]e|copying)(\.|$)/i.test(f));
  packages.set(m[1], { name: pkg.name, version: pkg.version, license: pkg.license, text: file ? readFileSync(join(dir, file), 'utf8').trim() : '(no licence file in the package)' });
}
const own = readFileSync(join(root, 'package.json'), 'utf8');
const notices = [`fleet ${JSON.parse(own).version} (${JSON.parse(own).license}) bundles these packages:`, ''];
for (const p of [...packages.values()].sort((a, b) => a.name.localeCompare(b.name))) {
  notices.push('='.repeat(78), `${p.name} ${p.version} (${p.license})`, '', p.text, '');
}
writeFileSync(`${outfile}.LICENSES.txt`, notices.join('\n'));
const size = bundled.length;
process.stdout.write(`${relative(root, outfile)}: ${(size / 1024).toFixed(0)} KiB, ${packages.size} packages bundled (licences in ${relative(root, outfile)}.LICENSES.txt)\n`);
