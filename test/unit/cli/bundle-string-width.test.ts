// The bundle carries string-width with its Intl.Segmenter and Unicode property regexes made on
// first use (scripts/bundle-lazy-segmenter.mjs), to spare start-up their cost: it must measure
// every kind of text exactly as the package itself does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import stringWidth from 'string-width';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a build script, plain JavaScript without types
import { lazyPropertyRegexes, lazySegmenter } from '../../../scripts/bundle-lazy-segmenter.mjs';

const SOURCE = path.resolve('node_modules/string-width/index.js');
const TEXTS = [
  'plain ascii',
  '',
  '\u001b[31mred\u001b[39m',
  '古池や蛙飛び込む',
  '👍🏽 and 👨‍👩‍👧‍👦',
  '1\u20E3 #\u20E3',
  'e\u0301 a\u0300\u0301',
  '\u200b\u00ad\u0000\t',
  'ﾊﾝｶｸ ＦＵＬＬ',
  '각 한국어',
  'क्षि ನ್ನು',
  '\ud800 lone',
  '🏳️‍🌈 ❤️ ☺',
];

describe('string-width as the bundle carries it', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-string-width-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The package's source through the bundle's plugin, its imports pointed at the packages. */
  async function transformed(): Promise<{ width: (s: string) => number; warnings: unknown[] }> {
    let onLoad: ((args: { path: string }) => Promise<{ contents: string; warnings: unknown[] }>) | undefined;
    lazySegmenter.setup({ onLoad: (_o: unknown, f: typeof onLoad) => (onLoad = f) });
    const out = await onLoad!({ path: SOURCE });
    const resolve = (name: string) => pathToFileURL(path.resolve('node_modules', name, 'index.js')).href;
    const text = out.contents.replace("from 'strip-ansi'", `from '${resolve('strip-ansi')}'`).replace("from 'get-east-asian-width'", `from '${resolve('get-east-asian-width')}'`);
    const file = path.join(tmp, `string-width-${Date.now()}.mjs`);
    fs.writeFileSync(file, text);
    const mod = (await import(pathToFileURL(file).href)) as { default: (s: string) => number };
    return { width: mod.default, warnings: out.warnings };
  }

  it('measures every kind of text as the package does, without a warning', async () => {
    const { width, warnings } = await transformed();
    expect(warnings).toEqual([]);
    for (const t of TEXTS) expect([t, width(t)]).toEqual([t, stringWidth(t)]);
    // Twice over: the regexes made on first use are the same objects the second time (a /g one
    // keeps no state between calls that would change an answer).
    for (const t of TEXTS) expect([t, width(t)]).toEqual([t, stringWidth(t)]);
  });

  it('defers every property regex and the segmenter, leaving no regex literal at the top level', () => {
    const text = fs.readFileSync(SOURCE, 'utf8');
    const { text: out, names } = lazyPropertyRegexes(text) as { text: string; names: string[] };
    expect(names.length).toBeGreaterThanOrEqual(4);
    expect(out).not.toMatch(/^const \w+ = \/.*\\p\{/m);
    for (const n of names) expect(out).not.toMatch(new RegExp(`\\b${n}\\b(?!Made|Lazy)`));
  });

  it('warns, rather than silently paying, when a new string-width no longer fits', async () => {
    const file = path.join(tmp, 'index.js');
    fs.writeFileSync(file, "const segmenter = new Intl.Segmenter('en');\nconst re = new RegExp('\\\\p{L}', 'v');\nexport default (s) => re.test(s) ? 1 : 0;\n// \\p{L}\n");
    let onLoad: ((args: { path: string }) => Promise<{ warnings: { text: string }[] }>) | undefined;
    lazySegmenter.setup({ onLoad: (_o: unknown, f: typeof onLoad) => (onLoad = f) });
    const out = await onLoad!({ path: file });
    expect(out.warnings.map((w) => w.text).join('\n')).toMatch(/no eager Intl.Segmenter[\s\S]*property regexes not made lazy/);
  });
});
