// Realistic event sequences, shaped like the engine's: two hosts, a change with a diff, a
// failure with stderr, an unreachable host, and check mode with a dependency (`after`).
import type { FleetEvent } from '../../../src/model/events.js';
import { PassThrough } from 'node:stream';

export const SECRET = 'hunter2-Sup3rSecret';
export const SECRET_B64_BODY = Buffer.from(`password=${SECRET}\n`).toString('base64');

export const diff = [
  '--- /etc/app/app.conf',
  '+++ /etc/app/app.conf',
  '@@ -1,2 +1,2 @@',
  ' listen = 0.0.0.0',
  '-password = old',
  `+password = ${SECRET}`,
].join('\n');

export function applyRun(): FleetEvent[] {
  return [
    { type: 'run', mode: 'apply', playbook: 'playbooks/site.yml', hosts: ['web1', 'db1', 'relay3'] },
    { type: 'play', play: 'base', hosts: ['web1', 'db1', 'relay3'] },
    { type: 'connect', host: 'web1', connectMs: 85 },
    { type: 'connect', host: 'db1', connectMs: 92 },
    { type: 'task_start', host: 'web1', play: 'base', role: 'app', task: 'write app.conf' },
    {
      type: 'task', host: 'web1', play: 'base', role: 'app', task: 'write app.conf', status: 'changed',
      durationMs: 40, msg: 'update /etc/app/app.conf', diff,
    },
    { type: 'task_start', host: 'db1', play: 'base', role: 'app', task: 'write app.conf' },
    {
      type: 'task', host: 'db1', play: 'base', role: 'app', task: 'write app.conf', status: 'ok', durationMs: 12,
    },
    { type: 'task_start', host: 'db1', play: 'base', role: 'base', task: 'install packages' },
    {
      type: 'task', host: 'db1', play: 'base', role: 'base', task: 'install packages', status: 'failed',
      durationMs: 900, msg: 'apt-get install exited 100',
      failure: {
        host: 'db1', task: 'install packages', role: 'base', location: 'roles/base/tasks.yml:12',
        msg: 'apt-get install exited 100', cmd: `apt-get install -y nosuchpkg # token ${SECRET}`, rc: 100,
        stderr: [...Array.from({ length: 25 }, (_, i) => `W: noise line ${i + 1}`), 'E: Unable to locate package nosuchpkg'].join('\n'),
      },
    },
    {
      type: 'task', host: 'web1', play: 'base', role: 'app', task: 'restart app', status: 'changed', durationMs: 300,
      msg: 'restart app.service', handler: true,
    },
    { type: 'warning', host: 'web1', msg: `deprecated param in body ${SECRET_B64_BODY}` },
    { type: 'host', host: 'web1', roundTrips: 2, connectMs: 85, status: 'ok' },
    { type: 'host', host: 'db1', roundTrips: 2, connectMs: 92, status: 'failed' },
    { type: 'host', host: 'relay3', roundTrips: 0, connectMs: 10000, status: 'unreachable' },
    {
      type: 'recap', mode: 'apply', durationMs: 2400,
      hosts: {
        web1: { ok: 0, changed: 2, failed: 0, skipped: 0, unreachable: 0 },
        db1: { ok: 1, changed: 0, failed: 1, skipped: 0, unreachable: 0 },
        relay3: { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 1 },
      },
      failures: [
        {
          host: 'db1', task: 'install packages', role: 'base', location: 'roles/base/tasks.yml:12',
          msg: 'apt-get install exited 100', cmd: `apt-get install -y nosuchpkg # token ${SECRET}`, rc: 100,
          stderr: [...Array.from({ length: 25 }, (_, i) => `W: noise line ${i + 1}`), 'E: Unable to locate package nosuchpkg'].join('\n'),
        },
        {
          host: 'relay3', task: 'connect', role: '', location: 'inventory/hosts.yml:8',
          msg: 'connect ETIMEDOUT 203.0.113.7:22 after 10 s',
        },
      ],
    },
  ];
}

export function checkRun(): FleetEvent[] {
  return [
    { type: 'run', mode: 'check', playbook: 'playbooks/site.yml', hosts: ['web1', 'db1'] },
    { type: 'play', play: 'web', hosts: ['web1', 'db1'], batch: 1 },
    {
      type: 'task', host: 'web1', play: 'web', role: 'nginx', task: 'install nginx', status: 'changed',
      durationMs: 5, msg: 'install nginx',
    },
    {
      type: 'task', host: 'web1', play: 'web', role: 'nginx', task: 'start nginx', status: 'changed',
      durationMs: 1, msg: 'will change', after: 'install nginx',
    },
    { type: 'task', host: 'db1', play: 'web', role: 'nginx', task: 'install nginx', status: 'ok', durationMs: 5 },
    {
      type: 'task', host: 'db1', play: 'web', role: 'nginx', task: 'open port', status: 'skipped', durationMs: 0,
      msg: 'when: open_port is false',
    },
    { type: 'host', host: 'web1', roundTrips: 1, connectMs: 50, status: 'ok' },
    { type: 'host', host: 'db1', roundTrips: 1, connectMs: 60, status: 'ok' },
    {
      type: 'recap', mode: 'check', durationMs: 800, failures: [],
      hosts: {
        web1: { ok: 0, changed: 2, failed: 0, skipped: 0, unreachable: 0 },
        db1: { ok: 1, changed: 0, failed: 0, skipped: 1, unreachable: 0 },
      },
    },
  ];
}

/** A stream that records everything written to it. */
export function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
