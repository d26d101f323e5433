// service: a systemd unit's running state and enablement.
import { Type } from '@sinclair/typebox';
import type { Change, Module, Plan } from '../model/module.js';
import { paramsObject, stringEnum, withDefault, type Params } from '../model/params.js';
import { q } from './lib/sh.js';
import { parseProbe } from './lib/kv.js';

const schema = paramsObject(
  {
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9:_.@\\\\-]+$' }),
    state: Type.Optional(stringEnum(['started', 'stopped', 'restarted', 'reloaded'])),
    enabled: Type.Optional(Type.Boolean()),
    daemon_reload: withDefault(Type.Boolean(), false),
  },
  { anyOf: [{ required: ['state'] }, { required: ['enabled'] }, { properties: { daemon_reload: { const: true } }, required: ['daemon_reload'] }] },
);
export type ServiceParams = Params<typeof schema>;

export interface ServicePlanData {
  daemonReload: boolean;
  action?: 'start' | 'stop' | 'restart' | 'reload';
  enable?: boolean;
}

/** "tor" -> "tor.service"; names with a unit suffix are kept. */
export function unitName(name: string): string {
  return /\.(service|socket|timer|target|mount|path|slice|scope|swap|automount|device)$/.test(name) ? name : `${name}.service`;
}

// Unit file states where enable/disable has nothing to act on.
const UNENABLEABLE = new Set(['static', 'generated', 'transient', 'indirect', 'alias']);

export function probeService(p: ServiceParams): string {
  // One systemctl call; key=value output is parsed by name, so property order does not matter.
  // /run/systemd/system is sd_booted()'s test: systemctl installed without systemd as PID 1
  // cannot answer, and that is a state of the host (blocked), not a probe failure.
  return `if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then systemctl show -p LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload -- ${q(unitName(p.name))} || exit 1; else echo LoadState=no-systemd; fi\n`;
}

export function planService(p: ServiceParams, out: string): Plan<ServicePlanData> {
  const d = parseProbe(out);
  const unit = unitName(p.name);
  const load = d.need('LoadState');
  if (load === 'no-systemd') return { kind: 'blocked', reason: `systemctl not found: ${unit} needs systemd` };
  if (load === 'not-found') return { kind: 'blocked', reason: `unit ${unit} not found` };
  const active = d.get('ActiveState') ?? '';
  const fileState = d.get('UnitFileState') ?? '';
  const wantsRunning = p.state === 'started' || p.state === 'restarted' || p.state === 'reloaded';
  if (load === 'masked' && (wantsRunning || p.enabled === true)) return { kind: 'blocked', reason: `unit ${unit} is masked` };
  const why: string[] = [];
  const data: ServicePlanData = { daemonReload: false };
  if (p.daemon_reload && d.get('NeedDaemonReload') === 'yes') {
    data.daemonReload = true;
    why.push('daemon-reload');
  }
  const running = active === 'active' || active === 'activating' || active === 'reloading';
  if (p.state === 'started' && !running) data.action = 'start';
  if (p.state === 'stopped' && running) data.action = 'stop';
  // Handlers: a restart or reload requested is always a change.
  if (p.state === 'restarted') data.action = 'restart';
  if (p.state === 'reloaded') data.action = running ? 'reload' : 'start';
  if (data.action) why.push(`${data.action} ${unit}${data.action !== 'restart' && data.action !== 'reload' ? ` (${active})` : ''}`);
  if (p.enabled !== undefined && !UNENABLEABLE.has(fileState)) {
    const isEnabled = fileState === 'enabled' || fileState === 'enabled-runtime';
    if (p.enabled !== isEnabled) {
      data.enable = p.enabled;
      why.push(`${p.enabled ? 'enable' : 'disable'} ${unit} (${fileState || 'unknown'})`);
    }
  }
  if (!why.length) return { kind: 'ok' };
  return { kind: 'change', summary: why.join(', '), data };
}

/** What the probe prints for a unit systemd has no file for. */
const NOT_FOUND = ['LoadState=not-found', 'ActiveState=inactive', 'SubState=dead', 'UnitFileState=', 'NeedDaemonReload=no'];

/** The probe's output once the unit's file is written in /etc/systemd/system by an earlier task
 * of the same script, for a unit that had none: systemd loads a unit it did not find when its
 * file appears (systemd 252: `systemctl show` then says loaded, disabled, inactive, without a
 * daemon-reload). Only the two values change, in place; a unit file without [Install] says
 * static, not disabled: the guard, which compares the whole output, then stops the script. */
export function predictServiceWritten(p: ServiceParams, out: string, files: ReadonlySet<string>): string | undefined {
  if (!files.has(`/etc/systemd/system/${unitName(p.name)}`)) return undefined;
  const lines = out.split('\n');
  if (lines.filter((l) => l !== '').length !== NOT_FOUND.length || !NOT_FOUND.every((l) => lines.includes(l))) return undefined;
  return lines.map((l) => (l === 'LoadState=not-found' ? 'LoadState=loaded' : l === 'UnitFileState=' ? 'UnitFileState=disabled' : l)).join('\n');
}

export function applyService(p: ServiceParams, { data }: Change<ServicePlanData>): string {
  const unit = q(unitName(p.name));
  let s = '';
  // daemon_reload is also honoured when the plan did not see the need (a unit file written by
  // this same apply round).
  if (data.daemonReload || p.daemon_reload) s += 'systemctl daemon-reload\n';
  if (data.enable !== undefined) s += `systemctl ${data.enable ? 'enable' : 'disable'} -- ${unit}\n`;
  if (data.action) s += `systemctl ${data.action} -- ${unit}\n`;
  return s;
}

export const service: Module<typeof schema, ServicePlanData> = {
  name: 'service',
  schema,
  probe: (p) => probeService(p),
  plan: (p, out) => planService(p, out),
  apply: (p, plan) => applyService(p, plan),
  predictWritten: (p, out, files) => predictServiceWritten(p, out, files),
  resources: (p) => [`unit:${unitName(p.name)}`],
};
