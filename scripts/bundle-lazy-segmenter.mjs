// For scripts/bundle.mjs: string-width (yargs' and cliui's) makes an Intl.Segmenter when it is
// loaded, and the first one loads ICU's segmentation data: about 70 ms of CPU on every run,
// for measuring text that is almost always ASCII, which never needs one. In the bundle it is
// made on first use instead; the build warns if a new string-width no longer has that line.
import { readFile } from 'node:fs/promises';

const EAGER = 'const segmenter = new Intl.Segmenter();';
const LAZY = 'let segmenterMade; const segmenter = { segment: (text) => (segmenterMade ??= new Intl.Segmenter()).segment(text) };';

export const lazySegmenter = {
  name: 'fleet-lazy-segmenter',
  setup(b) {
    b.onLoad({ filter: /[/\\]string-width[/\\]index\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(EAGER)) return { contents: text, loader: 'js', warnings: [{ text: `${args.path}: no eager Intl.Segmenter to defer; start-up pays for it` }] };
      return { contents: text.replace(EAGER, LAZY), loader: 'js' };
    });
  },
};
