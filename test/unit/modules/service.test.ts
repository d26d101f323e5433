import { describe, it, expect } from 'vitest';
import { service, unitName } from '../../../src/modules/service.js';
import { params, isValid } from './helpers.js';

// Captured from `systemctl show -p LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload`
// on Debian 12 (no systemd on this test machine).
const RUNNING = 'LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNeedDaemonReload=no\n';
const STOPPED = 'LoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=disabled\nNeedDaemonReload=no\n';
const NOT_FOUND = 'LoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\nNeedDaemonReload=no\n';
const MASKED = 'LoadState=masked\nActiveState=inactive\nSubState=dead\nUnitFileState=masked\nNeedDaemonReload=no\n';
const STATIC = 'LoadState=loaded\nActiveState=active\nSubState=exited\nUnitFileState=static\nNeedDaemonReload=no\n';

describe('service', () => {
  it('probes with one systemctl show call', () => {
    const probe = service.probe(params(service, { name: 'tor', state: 'started' }));
    expect(probe.match(/systemctl show/g)).toHaveLength(1);
    expect(probe).toContain('-- tor.service');
    expect(unitName('ssh.socket')).toBe('ssh.socket');
  });

  it('started + enabled on a running enabled unit is ok', () => {
    expect(service.plan(params(service, { name: 'tor', state: 'started', enabled: true }), RUNNING)).toEqual({ kind: 'ok' });
  });

  it('starts and enables a stopped disabled unit', () => {
    const p = params(service, { name: 'tor', state: 'started', enabled: true });
    const plan = service.plan(p, STOPPED);
    expect(plan).toMatchObject({ kind: 'change', summary: 'start tor.service (inactive), enable tor.service (disabled)' });
    expect(service.apply(p, plan as never)).toBe('systemctl enable -- tor.service\nsystemctl start -- tor.service\n');
  });

  it('stops and disables', () => {
    const p = params(service, { name: 'tor', state: 'stopped', enabled: false });
    const plan = service.plan(p, RUNNING);
    expect(service.apply(p, plan as never)).toBe('systemctl disable -- tor.service\nsystemctl stop -- tor.service\n');
  });

  it('restarted and reloaded always change (handlers)', () => {
    expect(service.plan(params(service, { name: 'tor', state: 'restarted' }), RUNNING)).toMatchObject({ summary: 'restart tor.service' });
    expect(service.plan(params(service, { name: 'tor', state: 'reloaded' }), RUNNING)).toMatchObject({ summary: 'reload tor.service' });
    // Reloading a stopped unit would fail: start it instead.
    expect(service.plan(params(service, { name: 'tor', state: 'reloaded' }), STOPPED)).toMatchObject({ summary: 'start tor.service (inactive)' });
  });

  it('a unit that is not found or masked is blocked', () => {
    expect(service.plan(params(service, { name: 'tor', state: 'started' }), NOT_FOUND)).toEqual({ kind: 'blocked', reason: 'unit tor.service not found' });
    expect(service.plan(params(service, { name: 'tor', state: 'started' }), MASKED)).toEqual({ kind: 'blocked', reason: 'unit tor.service is masked' });
    expect(service.plan(params(service, { name: 'tor', state: 'started' }), 'LoadState=no-systemd\n').kind).toBe('blocked');
  });

  it('static units cannot be enabled: not a change', () => {
    expect(service.plan(params(service, { name: 'x', state: 'started', enabled: true }), STATIC)).toEqual({ kind: 'ok' });
  });

  it('daemon_reload is a change when systemd says a unit file changed, and runs first', () => {
    const p = params(service, { name: 'tor', state: 'restarted', daemon_reload: true });
    const plan = service.plan(p, RUNNING.replace('NeedDaemonReload=no', 'NeedDaemonReload=yes'));
    expect(plan).toMatchObject({ summary: 'daemon-reload, restart tor.service' });
    expect(service.apply(p, plan as never)).toBe('systemctl daemon-reload\nsystemctl restart -- tor.service\n');
    expect(service.plan(params(service, { name: 'tor', daemon_reload: true }), RUNNING)).toEqual({ kind: 'ok' });
  });

  it('schema: something to do is required; unknown keys rejected', () => {
    expect(isValid(service, { name: 'tor' })).toBe(false);
    expect(isValid(service, { name: 'tor', state: 'running' })).toBe(false);
    expect(isValid(service, { name: 'tor', enabled: true, pattern: 'x' })).toBe(false);
    expect(isValid(service, { name: 'tor; reboot', state: 'started' })).toBe(false);
  });
});
