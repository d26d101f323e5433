// wait_for (Ansible's): wait on the host until a port answers or stops answering, its
// connections drain, a file appears (holding a regular expression) or goes away, or just
// sleep. Its probe tries once, with the host's other probes: a condition that already holds
// costs no round trip of its own. Otherwise the wait runs on the host in one round trip
// (timeout measured there). Like Ansible, it waits in check mode too and never reports changed.
import { Type } from '@sinclair/typebox';
import type { Action, ActionContext, ActionResult } from '../model/action.js';
import type { Vars } from '../model/inventory.js';
import { paramsObject, stringEnum, withDefault, type Params } from '../model/params.js';
import { PyRegexError, pyRegex } from '../model/py-regex.js';
import { q } from '../model/shell.js';
import { afterPending, failed } from './lib/result.js';

/** Ansible's names of TCP states, as /proc/net/tcp numbers them. */
const TCP_STATES: Record<string, string> = {
  ESTABLISHED: '01',
  SYN_SENT: '02',
  SYN_RECV: '03',
  FIN_WAIT1: '04',
  FIN_WAIT2: '05',
  TIME_WAIT: '06',
  CLOSE: '07',
  CLOSE_WAIT: '08',
  LAST_ACK: '09',
  LISTEN: '0A',
  CLOSING: '0B',
};
const DEFAULT_ACTIVE = ['ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'SYN_RECV', 'SYN_SENT', 'TIME_WAIT'];

const schema = paramsObject({
  host: withDefault(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9.:_-]+$' }), '127.0.0.1'),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  path: Type.Optional(Type.String({ pattern: '^/' })),
  search_regex: Type.Optional(Type.String({ minLength: 1 })),
  state: withDefault(stringEnum(['started', 'stopped', 'present', 'absent', 'drained'] as const), 'started'),
  timeout: withDefault(Type.Integer({ minimum: 0 }), 300),
  delay: withDefault(Type.Integer({ minimum: 0 }), 0),
  sleep: withDefault(Type.Integer({ minimum: 1 }), 1),
  connect_timeout: withDefault(Type.Integer({ minimum: 1 }), 5),
  msg: Type.Optional(Type.String()),
  exclude_hosts: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$' }))),
  active_connection_states: withDefault(Type.Array(stringEnum(Object.keys(TCP_STATES))), DEFAULT_ACTIVE),
});
export type WaitForParams = Params<typeof schema>;

/** Ansible's own refusals, before anything runs. */
export function waitForProblem(p: WaitForParams): string | undefined {
  if (p.port !== undefined && p.path !== undefined) return 'port and path parameter can not both be passed to wait_for';
  if (p.path !== undefined && p.state === 'stopped') return 'state=stopped should only be used for checking a port in the wait_for module';
  if (p.path !== undefined && p.state === 'drained') return 'state=drained should only be used for checking a port in the wait_for module';
  if (p.exclude_hosts !== undefined && p.state !== 'drained') return 'exclude_hosts should only be with state=drained';
  if (p.state === 'drained' && p.port === undefined) return 'state=drained needs a port';
  if (p.search_regex !== undefined && (p.state === 'absent' || p.state === 'stopped')) return `search_regex applies to state started or present, not ${p.state}`;
  return undefined;
}

/** IPv4 as /proc/net/tcp prints it (little-endian hex). */
function procIp(ip: string): string {
  return ip
    .split('.')
    .reverse()
    .map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'))
    .join('');
}

/** One try, as sh: exit 0 when the condition holds; with a regex, the matched text on stdout. */
export function waitCheck(p: WaitForParams): string {
  if (p.path !== undefined) {
    const path = q(p.path);
    if (p.state === 'absent') return `[ ! -e ${path} ] && [ ! -L ${path} ]`;
    if (p.search_regex === undefined) return `[ -e ${path} ]`;
    // Python's re.search with MULTILINE: the whole file one record (-z), (?m) for ^ and $.
    return `[ -f ${path} ] && [ -r ${path} ] && grep -Pzq ${q(`(?m)${p.search_regex}`)} ${path} && cat ${path}`;
  }
  if (p.port !== undefined) {
    const connect = `timeout ${p.connect_timeout} bash -c 'exec 3<>"/dev/tcp/$0/$1"${p.search_regex !== undefined ? '; timeout 1 cat <&3' : ''}' ${q(p.host)} ${p.port}`;
    if (p.state === 'stopped' || p.state === 'absent') return `! ${connect} >/dev/null 2>&1`;
    if (p.state === 'drained') {
      const states = p.active_connection_states.map((s) => TCP_STATES[s]).join(' ');
      const port = p.port.toString(16).toUpperCase().padStart(4, '0');
      const excluded = (p.exclude_hosts ?? []).map(procIp).join(' ');
      // /proc/net/tcp and tcp6, as Ansible reads them: local port, remote address, state.
      return `! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v port=${port} -v states=${q(states)} -v ex=${q(excluded)} 'BEGIN{n=split(states,s," ");for(i=1;i<=n;i++)st[s[i]]=1;m=split(ex,e," ");for(i=1;i<=m;i++)x[e[i]]=1} NR>0 && $2 ~ (":" port "$") && ($4 in st) {split($3,r,":"); if (!(r[1] in x)) {found=1}} END{exit !found}'`;
    }
    if (p.search_regex === undefined) return `${connect} >/dev/null 2>&1`;
    return `{ d=$(${connect} 2>/dev/null); printf '%s' "$d" | grep -Pzq ${q(`(?m)${p.search_regex}`)} && printf '%s' "$d"; }`;
  }
  return 'false';
}

/** The probe: one try, no waiting. */
export function waitForProbe(p: WaitForParams): string {
  return `if out=$(${waitCheck(p)}); then echo ready=1; printf '%s' "$out" | base64 -w0; echo; else echo ready=0; fi\n`;
}

/** The wait on the host: delay, then a try every `sleep` seconds until `timeout` (from the start). */
export function waitForScript(p: WaitForParams): string {
  const head = `start=$(date +%s); end=$((start + ${p.timeout}))\nsleep ${p.delay}\n`;
  if (p.port === undefined && p.path === undefined) return `${head}sleep ${p.timeout}\necho ready=1; echo; echo elapsed=$(( $(date +%s) - start ))\n`;
  return (
    head +
    `while :; do\n` +
    `  if out=$(${waitCheck(p)}); then echo ready=1; printf '%s' "$out" | base64 -w0; echo; break; fi\n` +
    `  if [ $(date +%s) -ge $end ]; then echo ready=0; break; fi\n` +
    `  sleep ${p.sleep}\n` +
    `done\necho elapsed=$(( $(date +%s) - start ))\n`
  );
}

interface Outcome {
  ready: boolean;
  data: string;
  elapsed: number;
}

export function parseWait(stdout: string): Outcome | undefined {
  const lines = stdout.split('\n');
  const i = lines.findIndex((l) => l === 'ready=1' || l === 'ready=0');
  if (i < 0) return undefined;
  const el = lines.find((l) => l.startsWith('elapsed='));
  return { ready: lines[i] === 'ready=1', data: Buffer.from(lines[i + 1] ?? '', 'base64').toString('utf8'), elapsed: el ? Number(el.slice(8)) : 0 };
}

function timeoutMessage(p: WaitForParams): string {
  if (p.msg !== undefined) return p.msg;
  if (p.state === 'drained') return `Timeout when waiting for ${p.host}:${p.port} to drain`;
  if (p.state === 'absent' || p.state === 'stopped')
    return p.path !== undefined ? `Timeout when waiting for ${p.path} to be absent.` : `Timeout when waiting for ${p.host}:${p.port} to stop.`;
  if (p.search_regex !== undefined) return `Timeout when waiting for search string ${p.search_regex} in ${p.path ?? `${p.host}:${p.port}`}`;
  return p.path !== undefined ? `Timeout when waiting for file ${p.path}` : `Timeout when waiting for ${p.host}:${p.port}`;
}

/** What Ansible returns: elapsed, the matched groups, and the parameters that say what was waited for. */
export function waitRegistered(p: WaitForParams, o: Outcome): Vars {
  const out: Vars = { elapsed: o.elapsed, state: p.state, port: p.port ?? null, path: p.path ?? null, search_regex: p.search_regex ?? null };
  let groups: string[] = [];
  let named: Record<string, string> = {};
  if (p.search_regex !== undefined && o.ready) {
    try {
      const m = pyRegex(p.search_regex, { multiline: true }).exec(o.data);
      if (m) {
        groups = m.slice(1).map((g) => g ?? '');
        named = Object.fromEntries(Object.entries(m.groups ?? {}).map(([k, v]) => [k, v ?? '']));
      }
    } catch (e) {
      if (!(e instanceof PyRegexError)) throw e;
    }
  }
  return { ...out, match_groups: groups, match_groupdict: named };
}

function what(p: WaitForParams): string {
  const on = p.path ?? (p.port !== undefined ? `${p.host}:${p.port}` : undefined);
  return on === undefined ? `slept ${p.timeout} s` : `${on} ${p.state}`;
}

export const waitFor: Action<typeof schema> = {
  name: 'wait_for',
  schema,
  registers: () => ({ elapsed: 0, state: '', port: 0, path: '', search_regex: '', match_groups: [''], match_groupdict: {} }),
  probe: (p) => (waitForProblem(p) ? 'echo ready=0\n' : waitForProbe(p)),
  async run(p, ctx: ActionContext, ports): Promise<ActionResult> {
    const problem = waitForProblem(p);
    if (problem) return failed(problem);
    const sleeps = p.port === undefined && p.path === undefined;
    // Already so, and nothing asks to wait first: done without a round trip of its own.
    const now = ctx.probed && ctx.probed.rc === 0 ? parseWait(ctx.probed.stdout) : undefined;
    if (!sleeps && p.delay === 0 && now?.ready) return { status: 'ok', msg: what(p), registered: waitRegistered(p, { ...now, elapsed: 0 }) };
    // Check mode after a change that is not made: waiting could only time out on the old state.
    const pending = afterPending(ctx, `will wait for ${what(p)}`);
    if (pending && !sleeps) return pending;
    const res = await ports.runOn(ctx.host, waitForScript(p));
    const o = res.rc === 0 ? parseWait(res.stdout) : undefined;
    if (!o) return failed(`wait_for: the wait on the host failed`, { rc: res.rc, stderr: res.stderr });
    const registered = waitRegistered(p, o);
    if (!o.ready) {
      const msg = timeoutMessage(p);
      return { status: 'failed', msg, failure: { msg }, registered: { ...registered, msg } };
    }
    return { status: 'ok', msg: what(p), registered };
  },
};
