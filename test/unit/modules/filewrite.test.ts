// The atomic writer (filewrite.ts) in a real shell: the bytes, modes and owners it leaves, and
// the processes it starts for them (each a fork and an exec on the host).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LITERAL_WRITE_BYTES, writeFileSh, type WriteSpec } from '../../../src/modules/lib/filewrite.js';

let dir: string;
let shims: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-write-'));
  // Each command the writer may start, first on PATH, logging its name before running.
  shims = join(dir, 'shims');
  spawnSync('mkdir', [shims]);
  for (const c of ['mktemp', 'base64', 'chmod', 'chown', 'chgrp', 'mv', 'cat', 'readlink']) {
    writeFileSync(join(shims, c), `#!/bin/sh\necho ${c} >> ${join(dir, 'log')}\nPATH=${process.env.PATH}; exec ${c} "$@"\n`);
    chmodSync(join(shims, c), 0o755);
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer as an apply section does; the commands it started, in order. */
function write(w: Omit<WriteSpec, 'path'>, name = 'f'): string[] {
  writeFileSync(join(dir, 'log'), '');
  const r = spawnSync('sh', ['-s'], { input: `(\nset -e\n${writeFileSh({ ...w, path: join(dir, name) })}\n)\n`, encoding: 'utf8', env: { ...process.env, PATH: `${shims}:${process.env.PATH}` } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return readFileSync(join(dir, 'log'), 'utf8').split('\n').filter(Boolean);
}

const modeOf = (name = 'f') => (statSync(join(dir, name)).mode & 0o7777).toString(8).padStart(4, '0');

describe('writeFileSh', () => {
  it('writes text byte for byte with the printf builtin, whatever the shell would read into it', () => {
    for (const text of ["it's \\n %s %% $HOME $(id) `id` '\\'' \"q\"\n", 'no newline at the end', '\r\nCRLF\r\n', 'ünïcödé ✓\n\n\n', '', '-n', '\\c stop?']) {
      const ran = write({ data: Buffer.from(text), mode: '0644' });
      expect(readFileSync(join(dir, 'f'), 'utf8'), JSON.stringify(text)).toBe(text);
      expect(ran).not.toContain('base64');
    }
  });

  it('writes binary, non-UTF-8 and large data through base64, byte for byte', () => {
    for (const data of [Buffer.from([0, 1, 2, 255, 10]), Buffer.from([0xc3, 0x28, 0x0a]), Buffer.alloc(LITERAL_WRITE_BYTES + 1, 'a')]) {
      const ran = write({ data, mode: '0644' });
      expect(readFileSync(join(dir, 'f')).equals(data)).toBe(true);
      expect(ran).toContain('base64');
    }
  });

  it('a new file with a mode: mktemp, one chmod, the rename', () => {
    expect(write({ data: Buffer.from('a\n'), mode: '0640' })).toEqual(['mktemp', 'chmod', 'mv']);
    expect(modeOf()).toBe('0640');
  });

  it('a new file without a mode gets the default mode', () => {
    expect(write({ data: Buffer.from('a\n') })).toEqual(['mktemp', 'chmod', 'mv']);
    expect(modeOf()).toBe('0644');
    expect(write({ data: Buffer.from('a\n'), defaultMode: '0600' }, 'g')).toEqual(['mktemp', 'chmod', 'mv']);
    expect(modeOf('g')).toBe('0600');
  });

  it("an existing file keeps its mode and owner unless given: the owner copied only when not both given", () => {
    writeFileSync(join(dir, 'f'), 'old');
    chmodSync(join(dir, 'f'), 0o604);
    expect(write({ data: Buffer.from('new') })).toEqual(['mktemp', 'chown', 'chmod', 'mv']);
    expect(modeOf()).toBe('0604');
    expect(write({ data: Buffer.from('new'), mode: '0600' })).toEqual(['mktemp', 'chown', 'chmod', 'mv']);
    expect(modeOf()).toBe('0600');
    if (process.getuid?.() !== 0) return;
    chownSync(join(dir, 'f'), 65534, 65534);
    expect(write({ data: Buffer.from('new'), mode: '0644' })).toEqual(['mktemp', 'chown', 'chmod', 'mv']);
    expect([statSync(join(dir, 'f')).uid, statSync(join(dir, 'f')).gid, modeOf()]).toEqual([65534, 65534, '0644']);
    expect(write({ data: Buffer.from('new'), mode: '0644', group: '0' })).toEqual(['mktemp', 'chown', 'chgrp', 'chmod', 'mv']);
    expect([statSync(join(dir, 'f')).uid, statSync(join(dir, 'f')).gid]).toEqual([65534, 0]);
    expect(write({ data: Buffer.from('new'), owner: '0', group: '0' })).toEqual(['mktemp', 'chmod', 'chown', 'mv']);
    expect([statSync(join(dir, 'f')).uid, statSync(join(dir, 'f')).gid, modeOf()]).toEqual([0, 0, '0644']);
    expect(write({ data: Buffer.from('new'), owner: '65534', group: '65534', mode: '0600' })).toEqual(['mktemp', 'chown', 'chmod', 'mv']);
    expect([statSync(join(dir, 'f')).uid, statSync(join(dir, 'f')).gid, modeOf()]).toEqual([65534, 65534, '0600']);
  });
});
