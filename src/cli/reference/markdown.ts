// The README's usage tables, rendered from the commands' own documentation (spec.ts): the
// README carries this text between markers, and a test proves it is what this renders.
import { COMMANDS } from '../commands/index.js';
import { EXIT_DOCS } from '../exit-codes.js';
import { SETTINGS } from '../settings/spec.js';
import { flagMeaning, flagText, type CommandDoc } from '../spec.js';
import { helpDoc } from './help-doc.js';

export const BEGIN = '<!-- usage: generated from src/cli by `npm run docs`; edit the commands there, not here -->';
export const END = '<!-- end of generated usage -->';

const docs = (): CommandDoc[] => [...COMMANDS.map((c) => c.doc), helpDoc];

const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;

export function commandsTable(): string {
  return [row(['command', 'what it does']), row(['---', '---']), ...docs().map((d) => row([`\`${d.usage}\``, d.summary]))].join('\n');
}

/** Commands with the same flags share one table ("Flags of `apply` and `check`"). */
export function flagTables(): string {
  const groups: { names: string[]; doc: CommandDoc }[] = [];
  for (const d of docs()) {
    if (d.options.length === 0) continue;
    const same = groups.find((g) => g.doc.options === d.options);
    if (same) same.names.push(d.name);
    else groups.push({ names: [d.name], doc: d });
  }
  return groups
    .map((g) => {
      const names = g.names.map((n) => `\`${n}\``).join(' and ');
      const rows = g.doc.options.map((o) => row([`\`${flagText(o)}\``, flagMeaning(o)]));
      return [`Flags of ${names}:`, '', row(['flag', 'meaning']), row(['---', '---']), ...rows].join('\n');
    })
    .join('\n\n');
}

export function exitCodesTable(): string {
  return ['Exit codes:', '', row(['code', 'meaning']), row(['---', '---']), ...EXIT_DOCS.map((e) => row([String(e.code), e.meaning]))].join('\n');
}

export function settingsTable(): string {
  const def = (v: unknown): string => (Array.isArray(v) ? (v.length ? `\`${v.join(',')}\`` : 'none') : v === '' ? 'none' : `\`${String(v)}\``);
  return [
    row(['setting', 'environment', 'flag', 'default', 'meaning']),
    row(['---', '---', '---', '---', '---']),
    ...SETTINGS.map((s) => row([`\`${s.key}\``, `\`${s.env}\``, `\`${s.flag}\``, def(s.default), s.describe])),
  ].join('\n');
}

export function usageMarkdown(): string {
  return [BEGIN, commandsTable(), flagTables(), exitCodesTable(), '', 'Settings (see "Configuration" below):', '', settingsTable(), END].join('\n\n').replace(/\n\n\n+/g, '\n\n');
}

/** The README with its generated part replaced (or an error if the markers are missing). */
export function withUsage(readme: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README: the markers of the generated usage are missing (${BEGIN} ... ${END})`);
  return readme.slice(0, a) + usageMarkdown() + readme.slice(b + END.length);
}
