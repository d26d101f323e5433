// For scripts/bundle.mjs: string-width (yargs' and cliui's) makes an Intl.Segmenter when it is
// loaded, and the first one loads ICU's segmentation data: about 70 ms of CPU on every run,
// for measuring text that is almost always ASCII, which never needs one. In the bundle it is
// made on first use instead; the build warns if a new string-width no longer has that line.
// Its Unicode property regexes (`/\p{RGI_Emoji}/v` and the like) are built from ICU's tables
// when their literal is evaluated, about 20 ms at load: they too are made on first use.
import { readFile } from 'node:fs/promises';

const EAGER = 'const segmenter = new Intl.Segmenter();';
const LAZY = 'let segmenterMade; const segmenter = { segment: (text) => (segmenterMade ??= new Intl.Segmenter()).segment(text) };';

/** A top-level `const name = /…\p{…}…/flags;`, one per line. */
const PROPERTY_REGEX = /^const (\w+) = (\/.*\\p\{.*\/[a-z]*);$/gm;

/** Each property regex made on first use: the same single object (so a /g regex's lastIndex
 * behaves as before), reached through a function everywhere the name was used. */
export function lazyPropertyRegexes(text) {
  const names = [];
  let out = text.replace(PROPERTY_REGEX, (_m, name, literal) => {
    names.push(name);
    return `let ${name}Made; const ${name}Lazy = () => (${name}Made ??= ${literal});`;
  });
  for (const name of names) out = out.replace(new RegExp(`\\b${name}\\b(?!Made|Lazy)`, 'g'), `${name}Lazy()`);
  return { text: out, names };
}

export const lazySegmenter = {
  name: 'fleet-lazy-segmenter',
  setup(b) {
    b.onLoad({ filter: /[/\\]string-width[/\\]index\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const warnings = [];
      let contents = text;
      if (text.includes(EAGER)) contents = contents.replace(EAGER, LAZY);
      else warnings.push({ text: `${args.path}: no eager Intl.Segmenter to defer; start-up pays for it` });
      const lazy = lazyPropertyRegexes(contents);
      contents = lazy.text;
      if (/\\p\{/.test(text) && lazy.names.length === 0) warnings.push({ text: `${args.path}: Unicode property regexes not made lazy; start-up pays for them` });
      return { contents, loader: 'js', warnings };
    });
  },
};
