// `fleet help [TOPIC]` and the man page: the same documentation as the README's tables,
// laid out for a terminal or for man(1).
import { COMMANDS } from '../commands/index.js';
import { EXIT_DOCS } from '../exit-codes.js';
import { SETTINGS } from '../settings/spec.js';
import { flagMeaning, flagText, type CommandDoc } from '../spec.js';
import { helpDoc } from './help-doc.js';

const docs = (): CommandDoc[] => [...COMMANDS.map((c) => c.doc), helpDoc];

/** Markdown inline marks are for the README; a terminal shows the words. */
const plain = (s: string): string => s.replace(/\\\|/g, '|').replace(/`([^`]*)`/g, '$1').replace(/\*([^*\s][^*]*)\*/g, '$1');

export const TOPICS = ['exit-codes', 'settings'] as const;

function table(rows: [string, string][], indent = '  '): string[] {
  const w = Math.min(32, Math.max(...rows.map(([a]) => a.length)));
  return rows.map(([a, b]) => (a.length > w ? `${indent}${a}\n${indent}${' '.repeat(w + 2)}${b}` : `${indent}${a.padEnd(w)}  ${b}`));
}

export function helpIndex(): string {
  const lines = ['fleet: converge Debian and Ubuntu servers over SSH, in parallel, idempotently, with an honest dry run.', '', 'Commands:'];
  lines.push(...table(docs().map((d) => [plain(d.usage), plain(d.summary)])));
  lines.push('', `Topics: ${TOPICS.join(', ')}. \`fleet help TOPIC\` shows one; \`fleet COMMAND --help\` shows a command's flags.`);
  return plain(lines.join('\n')) + '\n';
}

export function helpPage(topic: string): string | undefined {
  if (topic === 'exit-codes') return plain(['Exit codes:', '', ...table(EXIT_DOCS.map((e) => [String(e.code), e.meaning]))].join('\n')) + '\n';
  if (topic === 'settings') return settingsPage();
  const d = docs().find((x) => x.name === topic);
  if (!d) return undefined;
  const lines = [plain(d.usage), '', `  ${plain(d.summary)}`];
  if (d.options.length) lines.push('', 'Flags:', ...table(d.options.map((o) => [flagText(o), plain(flagMeaning(o))])));
  if (d.details) lines.push('', ...d.details.split('\n').map((l) => (l ? `  ${plain(l)}` : '')));
  if (d.name === 'config') lines.push('', settingsPage().trimEnd());
  return lines.join('\n') + '\n';
}

function settingsPage(): string {
  const lines = [
    'Settings, lowest precedence first: the default, ~/.config/fleet/config.yml (XDG_CONFIG_HOME),',
    './fleet.yml (or the file FLEET_CONFIG names), the environment variable, the flag.',
    '',
    ...table(SETTINGS.map((s) => [s.key, `${plain(s.describe)} (${s.env}; ${s.flag})`])),
  ];
  return lines.join('\n') + '\n';
}

/** The whole manual as roff, for `man fleet`. */
export function manPage(version: string): string {
  const esc = (s: string): string => plain(s).replace(/\\/g, '\\e').replace(/^\./gm, '\\&.').replace(/-/g, '\\-');
  const out = [`.TH FLEET 1 "" "fleet ${version}" "fleet manual"`, '.SH NAME', 'fleet \\- converge Debian and Ubuntu servers over SSH, in parallel, idempotently, with an honest dry run'];
  out.push('.SH SYNOPSIS', ...docs().flatMap((d) => ['.B', esc(d.usage), '.br']));
  out.push('.SH COMMANDS');
  for (const d of docs()) {
    out.push('.SS', esc(d.usage), esc(d.summary));
    for (const o of d.options) out.push('.TP', `.B ${esc(flagText(o))}`, esc(flagMeaning(o)));
    if (d.details) out.push('.PP', ...d.details.split('\n\n').flatMap((p) => [esc(p), '.PP']).slice(0, -1));
  }
  out.push('.SH SETTINGS', esc('Lowest precedence first: the default, ~/.config/fleet/config.yml, ./fleet.yml (or FLEET_CONFIG), the environment variable, the flag.'));
  for (const s of SETTINGS) out.push('.TP', `.B ${esc(s.key)}`, esc(`${s.describe} (environment ${s.env}; flag ${s.flag})`));
  out.push('.SH EXIT STATUS');
  for (const e of EXIT_DOCS) out.push('.TP', `.B ${e.code}`, esc(e.meaning));
  return out.join('\n') + '\n';
}
