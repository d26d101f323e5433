// `npm run docs`: rewrite the README's generated usage from the commands' documentation.
import { readFileSync, writeFileSync } from 'node:fs';
import { withUsage } from './markdown.js';

const file = process.argv[2] ?? 'README.md';
const before = readFileSync(file, 'utf8');
const after = withUsage(before);
writeFileSync(file, after);
process.stdout.write(after === before ? `${file}: usage already up to date\n` : `${file}: usage rewritten\n`);
