import { describe, expect, it } from 'vitest';
import { base64Forms } from '../../../src/report/redact.js';
import type { FleetEvent } from '../../../src/model/events.js';
import { SECRET, applyRun, checkRun } from './fixtures.js';
import { render } from './helpers.js';

// The fixtures carry the secret in a diff, in a base64 file body (warning), in a failure's
// command; add it to a task message and stderr as well.
function leakyRun(): FleetEvent[] {
  const events = applyRun();
  events.splice(3, 0, {
    type: 'task', host: 'web1', play: 'base', role: 'app', task: 'write token', status: 'changed', durationMs: 3,
    msg: `write token ${SECRET}`, diff: `+token: ${SECRET}\n+body: ${Buffer.from('k=' + SECRET).toString('base64')}`,
    failure: undefined,
  });
  const recap = events.at(-1) as Extract<FleetEvent, { type: 'recap' }>;
  recap.failures[0] = { ...recap.failures[0], stderr: `E: bad token ${SECRET}`, msg: `denied for ${SECRET}` };
  return [...events, ...checkRun()];
}

function assertClean(text: string): void {
  expect(text).not.toContain(SECRET);
  for (const form of base64Forms(SECRET)) expect(text).not.toContain(form);
}

describe('secrets never reach any output', () => {
  it('sanity: without the redactor the secret is in the output (so the checks below can fail)', async () => {
    const { out } = await render(leakyRun(), { json: true });
    expect(out).toContain(SECRET);
    expect(base64Forms(SECRET).some((f) => out.includes(f))).toBe(true);
  });

  for (const mode of [
    { name: 'NDJSON', json: true, tty: false },
    { name: 'plain', json: false, tty: false },
    { name: 'live', json: false, tty: true },
  ]) {
    it(`${mode.name} reporter`, async () => {
      const { out, err } = await render(leakyRun(), { ...mode, diff: true, secrets: [SECRET], gapMs: mode.tty ? 2 : 0 });
      expect(out).toContain('********');
      assertClean(out);
      assertClean(err);
    });
  }
});
