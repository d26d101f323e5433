// The bound on what is kept of a host's output: head and tail, and the count of what was dropped.
import { describe, expect, it } from 'vitest';
import { CappedOutput, droppedNotice } from '../../../src/model/capped-output.js';

describe('CappedOutput', () => {
  it('keeps output under the cap whole, whatever the chunking', () => {
    const c = new CappedOutput(8, 8);
    for (const part of ['ab', 'cdefgh', 'ijklmn', 'op']) c.push(Buffer.from(part));
    expect(c.text()).toBe('abcdefghijklmnop');
    expect(c.dropped).toBe(0);
    expect(c.total).toBe(16);
  });

  it('keeps the head and the tail of a flood and says how many bytes were dropped between them', () => {
    const c = new CappedOutput(4, 6);
    const text = 'HEAD' + 'x'.repeat(1000) + 'TAIL!!';
    // Odd chunk sizes, so chunks straddle the head and the tail boundaries.
    for (let i = 0; i < text.length; i += 7) c.push(Buffer.from(text.slice(i, i + 7)));
    expect(c.total).toBe(1010);
    expect(c.dropped).toBe(1000);
    expect(c.text()).toBe(`HEAD${droppedNotice(1000)}TAIL!!`);
  });

  it('memory stays bounded: 200 MB pushed through keeps head + tail bytes', () => {
    const c = new CappedOutput(1024, 1024);
    const chunk = Buffer.alloc(64 * 1024, 'y');
    for (let i = 0; i < 3200; i++) c.push(chunk);
    expect(c.total).toBe(3200 * 64 * 1024);
    expect(c.dropped).toBe(c.total - 2048);
    expect(c.text().length).toBe(2048 + droppedNotice(c.dropped).length);
  });

  it('a head-only cap (probes) keeps no tail', () => {
    const c = new CappedOutput(3, 0);
    c.push(Buffer.from('abcdef'));
    expect(c.dropped).toBe(3);
    expect(c.text()).toBe(`abc${droppedNotice(3)}`);
  });

  it('cuts at whole UTF-8 characters: no half character turns into garbage at the cut', () => {
    const c = new CappedOutput(5, 5);
    // 'é' is 2 bytes, '€' 3: byte 5 falls inside the third 'é', the tail starts inside a '€'.
    c.push(Buffer.from('éééé' + '-'.repeat(50) + '€€€'));
    const t = c.text();
    expect(t).not.toContain('\ufffd');
    expect(t.startsWith('éé\n[fleet: ')).toBe(true);
    expect(t.endsWith('bytes of output dropped here]\n€')).toBe(true);
    // Every byte not shown is counted.
    expect(t).toContain(`${Buffer.byteLength('éééé' + '-'.repeat(50) + '€€€') - 4 - 3} bytes`);
  });
});
