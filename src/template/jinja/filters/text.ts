// Strings, paths, encodings and hashes: lower/upper, trim, replace, split, indent, format,
// quote, basename/dirname, b64encode/b64decode, hash, password_hash...
import { createHash, randomBytes } from 'node:crypto';
import { encrypt as cryptHash } from 'unixcrypt';
import { truthy } from '../../truthy.js';
import { pyStr } from '../../values/print.js';
import { isMapping } from '../lookup.js';
import { binary } from '../ops.js';
import { own } from '../runtime.js';
import { bind, type Filter } from './bind.js';
import { defined } from '../undefined.js';
import { fail, int, str } from './util.js';
import { pySplit, pyStrip, shellQuote } from '../../values/strings.js';
import { noteRandom } from '../../read-log.js';

const ANSIBLE_UUID_NAMESPACE = '361e6d51-faec-444a-9079-341386da8e2e';

/** Python's uuid.uuid5(namespace, name). */
function uuid5(namespace: string, name: string): string {
  const hex = namespace.replace(/[{}-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) fail('to_uuid', `the namespace must be a UUID, got '${namespace}'`);
  const h = createHash('sha1').update(Buffer.from(hex, 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function capitalize(s: string): string {
  return s.slice(0, 1).toUpperCase() + s.slice(1).toLowerCase();
}

/** Jinja's title: each word capitalised. */
function title(s: string): string {
  return s.replace(/([\w']+)/g, (w) => capitalize(w));
}

function indent(s: string, width: unknown, first: boolean, blank: boolean): string {
  const pad = typeof width === 'string' ? width : ' '.repeat(int('indent', width, 'width'));
  const nl = s.includes('\r\n') ? '\r\n' : '\n';
  const lines = s.split(nl);
  return lines
    .map((line, i) => {
      if (i === 0 && !first) return line;
      if (!blank && line.trim() === '') return line;
      return pad + line;
    })
    .join(nl);
}

function posixBasename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** os.path.dirname: everything before the last slash, trailing slashes dropped (but '/'). */
function posixDirname(p: string): string {
  const i = p.lastIndexOf('/') + 1;
  let head = p.slice(0, i);
  if (head && head !== '/'.repeat(head.length)) head = head.replace(/\/+$/, '');
  return head;
}

function splitext(p: string): [string, string] {
  const base = posixBasename(p);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return [p, ''];
  const cut = p.length - base.length + dot;
  return [p.slice(0, cut), p.slice(cut)];
}

const HASHES = new Set(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

function digest(name: string, algo: string, s: string): string {
  if (!HASHES.has(algo)) fail(name, `unknown hash '${algo}' (${[...HASHES].join(', ')})`);
  return createHash(algo).update(s, 'utf8').digest('hex');
}

const SALT_CHARS = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function randomSalt(n: number): string {
  noteRandom();
  return [...randomBytes(n)].map((b) => SALT_CHARS[b % SALT_CHARS.length]).join('');
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}

function urlQuote(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%2F/g, '/');
}

export const textFilters: Record<string, Filter> = {
  // Jinja converts the input to text first: {{ false | lower }} is 'false'.
  lower: (v) => pyStr(defined(v)).toLowerCase(),
  upper: (v) => pyStr(defined(v)).toUpperCase(),
  capitalize: (v) => capitalize(pyStr(defined(v))),
  title: (v) => title(pyStr(defined(v))),
  trim: (v, args, kw, c) => {
    const [chars] = bind(c, args, kw, ['chars']);
    return pyStrip(pyStr(defined(v)), chars, true, true);
  },
  replace: (v, args, kw, c) => {
    const [old, repl, count] = bind(c, args, kw, ['old', 'new', 'count'], false, 2);
    const s = pyStr(defined(v));
    const from = pyStr(old);
    const to = pyStr(repl);
    if (count === undefined || count === null) return from === '' ? [...s].map((ch) => to + ch).join('') + to : s.split(from).join(to);
    const n = int('replace', count, 'count');
    const parts = s.split(from);
    return parts.length - 1 <= n ? parts.join(to) : parts.slice(0, n + 1).join(to) + from + parts.slice(n + 1).join(from);
  },
  split: (v, args, kw, c) => {
    const [sep, maxsplit] = bind(c, args, kw, ['separator', 'maxsplit']);
    return own(pySplit(str('split', v), sep, maxsplit === undefined ? -1 : int('split', maxsplit, 'maxsplit')));
  },
  // Jinja's truncate: longer than length + leeway, cut to length with `end`, at a word
  // boundary unless killwords.
  truncate: (v, args, kw, c) => {
    const [length, killwords, end, leeway] = bind(c, args, kw, ['length', 'killwords', 'end', 'leeway']);
    const s = pyStr(defined(v));
    const n = length === undefined ? 255 : int('truncate', length, 'length');
    const tail = end === undefined ? '...' : pyStr(end);
    const slack = leeway === undefined || leeway === null ? 5 : int('truncate', leeway, 'leeway');
    if ([...s].length <= n + slack) return s;
    const head = [...s].slice(0, Math.max(0, n - [...tail].length)).join('');
    if (truthy(killwords)) return head + tail;
    const cut = head.lastIndexOf(' ');
    return (cut === -1 ? head : head.slice(0, cut)) + tail;
  },
  center: (v, args, kw, c) => {
    const [width] = bind(c, args, kw, ['width']);
    const s = pyStr(defined(v));
    const w = width === undefined ? 80 : int('center', width, 'width');
    if (s.length >= w) return s;
    const total = w - s.length;
    // Python's center puts the extra space on the right when the text length is even.
    const left = Math.floor(total / 2) + (total % 2 && w % 2 ? 1 : 0);
    return ' '.repeat(left) + s + ' '.repeat(total - left);
  },
  indent: (v, args, kw, c) => {
    const [width, first, blank] = bind(c, args, kw, ['width', 'first', 'blank']);
    return indent(pyStr(defined(v)), width ?? 4, truthy(first ?? false), truthy(blank ?? false));
  },
  wordcount: (v) => (pyStr(defined(v)).match(/\w+/g) ?? []).length,
  format: (v, args, kw) => {
    if (Object.keys(kw).length) return binary('%', str('format', v), kw);
    return binary('%', str('format', v), own(args.map(defined)));
  },
  // A list quotes each item, space separated (a fleet extension: ready to be a command's
  // arguments); anything else is Python's shlex.quote of its text, as in Ansible.
  quote: (v) => {
    const d = defined(v);
    if (Array.isArray(d)) return d.map((x) => shellQuote(pyStr(defined(x)))).join(' ');
    return shellQuote(d === null ? '' : pyStr(d));
  },
  basename: (v) => posixBasename(str('basename', v)),
  dirname: (v) => posixDirname(str('dirname', v)),
  splitext: (v) => own(splitext(str('splitext', v))),
  path_join: (v) => {
    const d = defined(v);
    const parts = (Array.isArray(d) ? d : [d]).map((p) => pyStr(defined(p)));
    return parts.reduce((acc, p) => (p.startsWith('/') || acc === '' ? p : acc.endsWith('/') ? acc + p : `${acc}/${p}`), '');
  },
  b64encode: (v, args, kw, c) => {
    const [encoding] = bind(c, args, kw, ['encoding']);
    const enc = encoding === undefined ? 'utf-8' : String(encoding).toLowerCase();
    if (enc !== 'utf-8' && enc !== 'utf8' && enc !== 'utf-16-le') fail('b64encode', `unsupported encoding '${enc}'`);
    return Buffer.from(pyStr(defined(v)), enc === 'utf-16-le' ? 'utf16le' : 'utf8').toString('base64');
  },
  b64decode: (v, args, kw, c) => {
    const [encoding] = bind(c, args, kw, ['encoding']);
    const s = str('b64decode', v).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s) || s.length % 4 === 1) fail('b64decode', 'input is not base64');
    const enc = encoding === undefined ? 'utf-8' : String(encoding).toLowerCase();
    return Buffer.from(s, 'base64').toString(enc === 'utf-16-le' ? 'utf16le' : 'utf8');
  },
  urlencode: (v) => {
    const d = defined(v);
    if (isMapping(d))
      return Object.entries(d)
        .map(([k, x]) => `${urlQuote(k)}=${urlQuote(pyStr(x))}`)
        .join('&');
    return urlQuote(pyStr(d));
  },
  escape: (v) => htmlEscape(pyStr(defined(v))),
  safe: (v) => defined(v),
  hash: (v, args, kw, c) => {
    const [algo] = bind(c, args, kw, ['hashtype']);
    return digest('hash', String(algo ?? 'sha1'), pyStr(defined(v)));
  },
  md5: (v) => digest('md5', 'md5', pyStr(defined(v))),
  sha1: (v) => digest('sha1', 'sha1', pyStr(defined(v))),
  checksum: (v) => digest('checksum', 'sha1', pyStr(defined(v))),
  // Ansible's to_uuid: a name-based (version 5) UUID in Ansible's own namespace.
  to_uuid: (v, args, kw, c) => {
    const [ns] = bind(c, args, kw, ['namespace']);
    return uuid5(ns === undefined || ns === null ? ANSIBLE_UUID_NAMESPACE : pyStr(ns), pyStr(defined(v)));
  },
  // password_hash('sha512', salt): the crypt(3) text for /etc/shadow. Without a salt, a new
  // random one each time (as Ansible does): the hash then differs on every run.
  password_hash: (v, args, kw, c) => {
    const [scheme, salt, rounds] = bind(c, args, kw, ['hashtype', 'salt', 'rounds', 'ident']);
    const kind = String(scheme ?? 'sha512');
    const id = kind === 'sha512' || kind === 'sha512_crypt' ? '6' : kind === 'sha256' || kind === 'sha256_crypt' ? '5' : undefined;
    if (!id) fail('password_hash', `unsupported scheme '${kind}' (sha512, sha256)`);
    const s = salt === undefined || salt === null ? randomSalt(16) : pyStr(salt);
    if (!/^[./0-9A-Za-z]{1,16}$/.test(s)) fail('password_hash', 'the salt must be 1 to 16 characters of [./0-9A-Za-z]');
    const r = rounds === undefined || rounds === null ? undefined : int('password_hash', rounds, 'rounds');
    const setting = r === undefined ? `$${id}$${s}` : `$${id}$rounds=${r}$${s}`;
    return cryptHash(pyStr(defined(v)), setting);
  },
};
textFilters.e = textFilters.escape;

/** Ansible's comment styles (its core filters' comment()). */
const COMMENT_STYLES: Record<string, Record<string, string>> = {
  plain: { decoration: '# ' },
  erlang: { decoration: '% ' },
  c: { decoration: '// ' },
  cblock: { beginning: '/*', decoration: ' * ', end: ' */' },
  xml: { beginning: '<!--', decoration: ' - ', end: '-->' },
};
const COMMENT_KEYS = ['newline', 'beginning', 'prefix', 'prefix_count', 'decoration', 'postfix', 'postfix_count', 'end'];

/** Ansible's comment filter: `{{ ansible_managed | comment }}` is "#\n# Ansible managed\n#". */
textFilters.comment = (v, args, kw, c) => {
  const [style] = bind(c, args, {}, ['style']);
  const st = COMMENT_STYLES[String(style ?? 'plain')];
  if (!st) fail('comment', `unknown style '${String(style)}' (${Object.keys(COMMENT_STYLES).join(', ')})`);
  for (const k of Object.keys(kw)) if (!COMMENT_KEYS.includes(k)) fail('comment', `has no parameter '${k}' (parameters: ${COMMENT_KEYS.join(', ')})`);
  const around = pyStr(defined(kw.decoration ?? st.decoration)).trimEnd();
  const p: Record<string, unknown> = { newline: '\n', beginning: '', prefix: around, prefix_count: 1, decoration: '', postfix: around, postfix_count: 1, end: '', ...st, ...kw };
  const nl = pyStr(defined(p.newline));
  const deco = pyStr(defined(p.decoration));
  const prefix = pyStr(defined(p.prefix));
  const postfix = pyStr(defined(p.postfix));
  const text = pyStr(defined(v));
  const beginning = p.beginning ? `${pyStr(p.beginning)}${nl}` : '';
  const pre = prefix ? (prefix !== nl ? `${prefix}${nl}` : nl).repeat(int('comment', p.prefix_count, 'prefix_count')) : '';
  const body = `${deco}${text.split(nl).join(`${nl}${deco}`)}`.split(`${deco}${nl}`).join(`${deco.trimEnd()}${nl}`);
  const post = ['', ...Array.from({ length: int('comment', p.postfix_count, 'postfix_count') }, () => postfix)].join(nl);
  const end = p.end ? `${nl}${pyStr(p.end)}` : '';
  return `${beginning}${pre}${body}${post}${end}`;
};
