// The join script in a real shell, with stand-ins for curl and docker that record what they
// were given: the token must reach the daemon in a request body, never in a process's argv.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { swarmJoinScript } from '../../../src/actions/lib/swarm-join.js';

const TOKEN = 'SWMTKN-1-abcdefghijklmnop-qrstuvwxyz0123456789';
let tmp: string;
let socket: string;
let server: net.Server;

function stub(dir: string, name: string, body: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-join-'));
  socket = path.join(tmp, 'docker.sock');
  server = net.createServer();
  await new Promise<void>((r) => server.listen(socket, r));
  // curl: its argv and stdin recorded; answers with $ANSWER's body and status.
  stub(path.join(tmp, 'with-curl'), 'curl', `printf '%s\\n' "$@" > "$REC/curl.argv"; /bin/cat > "$REC/curl.stdin"; printf '%s\\n%s' "$ANSWER_BODY" "$ANSWER_STATUS"`);
  for (const d of ['with-curl', 'no-curl']) stub(path.join(tmp, d), 'docker', `printf '%s\\n' "$@" > "$REC/docker.argv"`);
});

afterAll(() => {
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(shell: string, bin: string, answer: { body: string; status: string }, sock = socket) {
  const rec = fs.mkdtempSync(path.join(tmp, 'rec-'));
  const script = swarmJoinScript({ token: TOKEN, advertise: '10.0.0.2', listen: '10.0.0.2:2377', via: '10.0.0.1:2377', socket: sock });
  const r = spawnSync(shell, ['-c', `${script}\necho joined-rc=$?`], {
    encoding: 'utf8',
    // Only the stand-ins on PATH: the machine's own curl must not be found.
    env: { PATH: path.join(tmp, bin), REC: rec, ANSWER_BODY: answer.body, ANSWER_STATUS: answer.status },
  });
  const read = (f: string) => (fs.existsSync(path.join(rec, f)) ? fs.readFileSync(path.join(rec, f), 'utf8') : undefined);
  return { ...r, curlArgv: read('curl.argv'), curlStdin: read('curl.stdin'), dockerArgv: read('docker.argv') };
}

describe.each(['/bin/sh', '/bin/bash'])('swarm join script (%s)', (shell) => {
  it('sends the token to the engine API in the body read from stdin, not in any argv', () => {
    const r = run(shell, 'with-curl', { body: '', status: '200' });
    expect(r.stdout, r.stderr).toContain('joined-rc=0');
    expect(r.curlArgv).toBeDefined();
    expect(r.curlArgv).not.toContain(TOKEN);
    expect(r.curlArgv).toContain(socket);
    expect(r.curlArgv).toContain('http://localhost/swarm/join');
    expect(JSON.parse(r.curlStdin!)).toEqual({ ListenAddr: '10.0.0.2:2377', AdvertiseAddr: '10.0.0.2', RemoteAddrs: ['10.0.0.1:2377'], JoinToken: TOKEN });
    expect(r.dockerArgv).toBeUndefined();
  });

  it("fails with the daemon's message and status when the API refuses the join", () => {
    const r = run(shell, 'with-curl', { body: '{"message":"This node is already part of a swarm."}', status: '503' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('joined-rc=0');
    expect(r.stderr).toContain('This node is already part of a swarm.');
    expect(r.stderr).toContain('HTTP 503');
  });

  it('joins with the docker CLI where curl or the socket is missing', () => {
    for (const r of [run(shell, 'no-curl', { body: '', status: '200' }), run(shell, 'with-curl', { body: '', status: '200' }, path.join(tmp, 'no.sock'))]) {
      expect(r.stdout, r.stderr).toContain('joined-rc=0');
      expect(r.curlArgv).toBeUndefined();
      expect(r.dockerArgv?.split('\n')).toEqual(['swarm', 'join', '--token', TOKEN, '--advertise-addr', '10.0.0.2', '--listen-addr', '10.0.0.2:2377', '10.0.0.1:2377', '']);
    }
  });
});

it('refuses a value that would end the here-document early', () => {
  expect(() => swarmJoinScript({ token: TOKEN, advertise: 'a\nFLEET_SWARM_JOIN', listen: 'x', via: 'y' })).toThrow(/line break/);
});
