// The manager that initialises a swarm reads the join tokens its joiners will ask for in its
// init script (no round trip of its own for them). The script's output is printed at -vv
// before the action can register a token as a secret: run through the engine's round trip,
// in a real shell with a stand-in docker, the traces at -vvv hold neither token nor its
// base64, the tokens are registered before anything reads them, and the joiners take them
// from the run's memory instead of reading them on the manager.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { swarmMember } from '../../../src/actions/swarm-member.js';
import { SWARM_STATE_SCRIPT } from '../../../src/actions/lib/swarm.js';
import { roundTrip } from '../../../src/engine/round-trip.js';
import type { ActionContext, ActionPorts } from '../../../src/model/action.js';
import type { ExecResult, HostSession } from '../../../src/model/transport.js';
import { host } from '../engine/fixtures.js';
import { stubPorts } from './stub-ports.js';

const TOKEN = 'SWMTKN-1-4qp7hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-2bwxwuwd3z9j1z3puu7rcgdbx';
const MANAGER_TOKEN = 'SWMTKN-1-4qp7hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-9zmanagerd3z9j1z3puu7rc';
const b64 = (t: string) => Buffer.from(t).toString('base64');
const ACTIVE = 'state=active\\nnode=abc123xyz\\nmanager=true\\ncluster=c\\naddr=10.0.0.1\\nmanagers=1\\nerror=';

const dir = mkdtempSync(join(tmpdir(), 'fleet-swarm-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(dir, 'bin');
mkdirSync(bin);
// swarm init succeeds; docker info prints $INFO; join-token prints the role's token, or fails when $TOKEN_RC is set.
writeFileSync(
  join(bin, 'docker'),
  [
    '#!/bin/sh',
    'case "$1 $2" in',
    '"swarm init") exit 0 ;;',
    '"info --format") printf \'%b\' "$INFO" ;;',
    `"swarm join-token") [ -z "$TOKEN_RC" ] || { echo "Error: not a manager" >&2; exit $TOKEN_RC; }; [ "$4" = worker ] && echo ${TOKEN} || echo ${MANAGER_TOKEN} ;;`,
    'esac',
    '',
  ].join('\n'),
  { mode: 0o755 },
);

/** A host session running scripts in a local sh with the stand-in docker first on PATH. */
function localSession(env: Record<string, string>): HostSession {
  let n = 0;
  return {
    get roundTrips() {
      return n;
    },
    connectMs: 0,
    close: () => undefined,
    async run(script) {
      n++;
      const r = spawnSync('sh', ['-s'], { input: script, env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...env } });
      return { rc: r.status ?? 255, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    },
  };
}

const ajv = new Ajv({ useDefaults: true, strict: false });
function memberParams(): never {
  const p = { manager_group: 'managers', worker_group: 'workers', labels: { zone: 'a' } };
  if (!ajv.compile(swarmMember.schema)(p)) throw new Error(ajv.errorsText());
  return p as never;
}

/** m1 initialises; the others of `play` join later with the same memory. Every script goes
 * through the engine's round trip (as the carry sends the init's) with traces at -vvv. */
function setup(play: string[], groups: Record<string, string[]>, env: Record<string, string> = { INFO: ACTIVE }) {
  const session = localSession(env);
  const traces: string[] = [];
  const secrets: string[] = [];
  const sent: { host: string; script: string }[] = [];
  const base = stubPorts();
  const ports: ActionPorts = {
    ...base,
    groupHosts: (g) => groups[g] ?? [],
    playHosts: () => play,
    address: (h) => `${h}-addr`,
    secret: (v) => void secrets.push(v),
    async runOn(h, script): Promise<ExecResult> {
      sent.push({ host: h, script });
      // What a registered secret would be masked in, had it been registered: not yet here.
      const results = await roundTrip(session, [{ kind: 'apply', text: `set +e\n${script}` }], false, 'test', {
        trace: (m) => traces.push(secrets.reduce((t, s) => t.split(s).join('<secret>'), m)),
        verbosity: 3,
      });
      const r = results.get(0)!;
      return { rc: r.rc, stdout: r.stdout, stderr: r.stderr };
    },
  };
  const ctx: ActionContext = { host: 'm1', connection: host('m1').connection, vars: {}, check: false, probed: { rc: 0, stdout: 'state=inactive\n', stderr: '' } };
  return { ports, ctx, traces, secrets, sent, session };
}

describe('the init script reads the joiners\' tokens', () => {
  it('at -vvv the traces show neither token nor its base64; both are registered as secrets; the joiners read none on the manager', async () => {
    const s = setup(['m1', 'm2', 'w1'], { managers: ['m1', 'm2'], workers: ['w1'] });
    // m2 must be readable (not in a swarm) for m1 to initialise: its state is in the run's memory.
    void s.ports.memo('swarm-state:m2', async () => ({ host: 'm2', state: { state: 'inactive', nodeId: '', manager: false, cluster: '', addr: '', managers: 0, error: '' } }));
    const r = await swarmMember.run(memberParams(), s.ctx, s.ports);
    expect(r).toMatchObject({ status: 'changed', msg: 'initialise the swarm, advertising m1-addr:2377' });
    expect(s.session.roundTrips).toBe(1);
    const traced = s.traces.join('\n');
    // The script was traced (-vvv) and its output too (-vv), the token lines left out.
    expect(traced).toContain('join-token -q worker');
    expect(traced).toMatch(/token_worker_b64=<\d+ base64 characters left out>/);
    expect(traced).toMatch(/token_manager_b64=<\d+ base64 characters left out>/);
    for (const t of [TOKEN, MANAGER_TOKEN]) {
      for (const shown of [t, b64(t), t.slice(9, 40), b64(t).slice(8, 40)]) expect(traced).not.toContain(shown);
      expect(s.secrets).toContain(t);
      expect(s.secrets).toContain(b64(t));
    }
    expect(JSON.stringify(r)).not.toMatch(/SWMTKN|U1dNVEtO/);
    // The joiners take the tokens from the run's memory: no join-token script on m1.
    for (const [role, token] of [['worker', TOKEN], ['manager', MANAGER_TOKEN]] as const) {
      const t = await s.ports.memo<ExecResult>(`swarm-join-token:m1:${role}`, async () => {
        throw new Error(`the ${role} token was read again`);
      });
      expect(t.stdout.trim()).toBe(token);
    }
    expect(s.sent).toHaveLength(1);
  });

  it('reads only the roles that join in this play; none when nobody else is in it', async () => {
    const workersOnly = setup(['m1', 'w1', 'w2'], { managers: ['m1', 'm2'], workers: ['w1', 'w2'] });
    void workersOnly.ports.memo('swarm-state:m2', async () => ({ host: 'm2', state: { state: 'inactive', nodeId: '', manager: false, cluster: '', addr: '', managers: 0, error: '' } }));
    await swarmMember.run(memberParams(), workersOnly.ctx, workersOnly.ports);
    expect(workersOnly.sent[0].script).toContain('join-token -q worker');
    expect(workersOnly.sent[0].script).not.toContain('join-token -q manager');
    const alone = setup(['m1'], { managers: ['m1'], workers: ['w1'] });
    expect(await swarmMember.run(memberParams(), alone.ctx, alone.ports)).toMatchObject({ status: 'changed' });
    expect(alone.sent[0].script).not.toContain('join-token');
    expect(alone.secrets).toEqual([]);
  });

  it('a token read that fails leaves the init a success and the joiners reading it themselves; not an active manager: no read', async () => {
    const failing = setup(['m1', 'w1'], { managers: ['m1'], workers: ['w1'] }, { INFO: ACTIVE, TOKEN_RC: '1' });
    expect(await swarmMember.run(memberParams(), failing.ctx, failing.ports)).toMatchObject({ status: 'changed' });
    // (The script itself, traced at -vvv, names the line; the output has none.)
    expect(failing.traces.join('\n')).not.toMatch(/^\s*token_worker_b64=/m);
    let read = false;
    await failing.ports.memo('swarm-join-token:m1:worker', async () => {
      read = true;
      return { rc: 0, stdout: '', stderr: '' };
    });
    expect(read).toBe(true);
    // docker info does not say "active manager": the init is refused as before, and no token is read.
    const odd = setup(['m1', 'w1'], { managers: ['m1'], workers: ['w1'] }, { INFO: ACTIVE.replace('manager=true', 'manager=false') });
    expect(await swarmMember.run(memberParams(), odd.ctx, odd.ports)).toMatchObject({ status: 'failed' });
    expect(odd.secrets).toEqual([]);
    expect(odd.traces.join('\n')).not.toMatch(/^\s*token_\w+_b64=/m);
    expect(SWARM_STATE_SCRIPT).not.toContain('join-token');
  });
});
