// Commands and flags as data: the one source for yargs' parser and --help, `fleet help
// TOPIC`, the man page and the README's usage tables, so none of them can drift apart.
import type { Argv, Options } from 'yargs';
import { repeatable } from './repeatable.js';

export interface OptionSpec {
  name: string;
  alias?: string;
  type: 'string' | 'number' | 'boolean' | 'count';
  /** The value's placeholder in docs: PATH, N, PATTERN. */
  arg?: string;
  /** Given once or many times (-i a -i b): always a list. */
  repeatable?: boolean;
  /** Only for flags that are not settings (settings get theirs from `fleet config`). */
  default?: unknown;
  choices?: string[];
  /** One line: --help, help pages and the README all print it. */
  describe: string;
}

export interface CommandDoc {
  /** The command's name as typed (`run`, `lab`). */
  name: string;
  /** The synopsis in the README's command table: `fleet run PATTERN -- COMMAND...`. */
  usage: string;
  summary: string;
  options: OptionSpec[];
  /** Longer text for `fleet help NAME` and the man page (paragraphs separated by blank lines). */
  details?: string;
}

/** The flag as documented: `-i, --inventory PATH`. */
export function flagText(o: OptionSpec): string {
  const long = o.type === 'boolean' && o.default === true ? `--no-${o.name}` : `--${o.name}`;
  const names = o.alias ? `-${o.alias}, ${long}` : long;
  return o.arg ? `${names} ${o.arg}` : names;
}

/** The flag's meaning with its default and repeatability, as every page prints it. */
export function flagMeaning(o: OptionSpec): string {
  let text = o.describe;
  if (o.repeatable) text += '; repeatable';
  if (o.choices) text += ` (${o.choices.join(', ')})`;
  if (o.default !== undefined && o.type !== 'boolean' && !(Array.isArray(o.default) && o.default.length === 0)) {
    text += `${text.endsWith(')') ? ';' : ''} (default ${Array.isArray(o.default) ? o.default.join(',') : String(o.default)})`;
  }
  return text;
}

export function applyOptions<T>(y: Argv<T>, options: OptionSpec[]): Argv<T> {
  let out = y;
  for (const o of options) {
    const opt: Options = { type: o.type === 'count' ? 'count' : o.type, describe: flagMeaning(o) };
    if (o.alias) opt.alias = o.alias;
    if (o.choices) opt.choices = o.choices;
    if (o.default !== undefined) opt.default = o.default;
    if (o.repeatable) {
      opt.coerce = repeatable;
      opt.default ??= [];
    }
    out = out.option(o.name, opt) as Argv<T>;
  }
  return out;
}
