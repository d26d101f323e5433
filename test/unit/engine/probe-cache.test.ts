// The probe cache answers a section only for the very same kind and text.
import { describe, expect, it } from 'vitest';
import { ProbeCache } from '../../../src/engine/probe-cache.js';
import type { Section, SectionResult } from '../../../src/engine/script.js';

const res = (stdout: string): SectionResult => ({ rc: 0, stdout, stderr: '' }) as SectionResult;

describe('ProbeCache', () => {
  it('keys by kind and exact text', () => {
    const c = new ProbeCache();
    const probe: Section = { kind: 'probe', text: 'stat /a' };
    const query: Section = { kind: 'query', text: 'stat /a' };
    c.fill([probe, { kind: 'probe', text: 'stat /b' }], new Map([[3, res('a')], [4, res('b')]]), 3);
    expect(c.get(probe)?.stdout).toBe('a');
    expect(c.get({ kind: 'probe', text: 'stat /a' })?.stdout).toBe('a');
    expect(c.get({ kind: 'probe', text: 'stat /b' })?.stdout).toBe('b');
    // Same text, other kind; a text one character off: misses.
    expect(c.get(query)).toBeUndefined();
    expect(c.has(query)).toBe(false);
    expect(c.get({ kind: 'probe', text: 'stat /a ' })).toBeUndefined();
    expect(c.has(probe)).toBe(true);
    c.fill([query], new Map([[0, res('q')]]), 0);
    expect(c.get(query)?.stdout).toBe('q');
    expect(c.get(probe)?.stdout).toBe('a');
    c.clear();
    expect(c.has(probe)).toBe(false);
    expect(c.get(query)).toBeUndefined();
  });

  it('keeps only the sections that have a result', () => {
    const c = new ProbeCache();
    const a: Section = { kind: 'probe', text: 'a' };
    const b: Section = { kind: 'probe', text: 'b' };
    c.fill([a, b], new Map([[1, res('b')]]), 0);
    expect(c.has(a)).toBe(false);
    expect(c.get(b)?.stdout).toBe('b');
  });
});
