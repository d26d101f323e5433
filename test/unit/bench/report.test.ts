import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../bench/args.js';
import { aggregate, benchExitCode, comparisonTable, targetLines } from '../../../bench/report.js';
import type { Sample } from '../../../bench/runner.js';
import { fmt, median } from '../../../bench/stats.js';

function sample(p: Partial<Sample>): Sample {
  return {
    tool: 'fleet', n: 2, tasks: 40, phase: 'no-change', run: 1, ok: true, problems: [],
    wallS: 1, cpuS: 1, maxRssMiB: 50, peakPssMiB: 60, changedPerHost: [0, 0], rtPerHost: [1, 1], hostCpuMs: [10, 20],
    ...p,
  };
}

describe('bench report', () => {
  it('medians and formatting', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(fmt(123.456)).toBe('123');
    expect(fmt(0.012345)).toBe('0.012');
    expect(fmt(NaN)).toBe('-');
  });

  it('aggregates runs and prints both tools with the ansible/fleet and fleet/floor ratios', () => {
    const rows = aggregate([
      sample({ wallS: 1.0, run: 1 }),
      sample({ wallS: 3.0, run: 2 }),
      sample({ wallS: 2.0, run: 3 }),
      sample({ tool: 'ansible', wallS: 200, cpuS: 50, rtPerHost: [80, 80] }),
      sample({ tool: 'floor', wallS: 0.5 }),
    ]);
    const fleet = rows.find((r) => r.tool === 'fleet')!;
    expect(fleet.wall).toEqual({ med: 2, min: 1, max: 3 });
    const text = comparisonTable(rows, [2], 'text');
    const fleetLine = text.split('\n').find((l) => l.startsWith('fleet'))!;
    expect(fleetLine).toContain('2.00 (1.00-3.00)');
    expect(fleetLine).toContain('100x'); // ansible/fleet wall 200/2
    expect(fleetLine).toContain('4.00x'); // fleet/floor 2/0.5
    expect(text.split('\n').some((l) => l.startsWith('ansible') && / 80 /.test(l))).toBe(true);
    expect(comparisonTable(rows, [2], 'md')).toMatch(/^\| tool \| N \|/);
    const targets = targetLines(rows, [2]).join('\n');
    expect(targets).toMatch(/within 1.2x of the floor's wall: 4.00x, NOT met/);
    expect(targets).toMatch(/within 1.2x of the floor's controller CPU: 1.00x, met/);
    const near = targetLines(aggregate([sample({ wallS: 1.25, cpuS: 0.3 }), sample({ tool: 'floor', wallS: 1, cpuS: 0.24 })]), [2]).join('\n');
    expect(near).toMatch(/floor's wall: 1.25x, NOT met\n.*floor's controller CPU: 1.25x, NOT met/);
    expect(targets).not.toMatch(/1\.5x|under 50 ms/);
    const first = aggregate([sample({ phase: 'first', rtPerHost: [3, 4], hostCpuMs: [1100, 1300] })]);
    expect(targetLines(first, [2]).join('\n')).toMatch(/at most 3 round trips per host: 4, NOT met\n.*host CPU per host at most 1200 ms: 1200 ms, met/);
  });

  it('exits non-zero unless every run succeeded with one round trip and no change per host', () => {
    expect(benchExitCode([sample({})])).toBe(0);
    expect(benchExitCode([sample({ rtPerHost: [1, 2] })])).toBe(1);
    expect(benchExitCode([sample({ changedPerHost: [0, 1] })])).toBe(1);
    expect(benchExitCode([sample({ rtPerHost: [1] })])).toBe(1);
    expect(benchExitCode([sample({}), sample({ tool: 'ansible', ok: false })])).toBe(1);
    expect(benchExitCode([sample({ phase: 'first' })])).toBe(1);
  });

  it('parses flags, quick mode, and names the flag in usage errors', () => {
    expect(parseArgs([])).toMatchObject({ hosts: [1, 10, 50], runs: 3, tasks: [40, 200, 1000], scale: [100], quick: false });
    expect(parseArgs(['--quick'])).toMatchObject({ hosts: [2], runs: 1, tasks: [], scale: [] });
    expect(parseArgs(['--hosts', '2,4', '--scale', '0', '--lab', 'bench:10.231.5.0/24'])).toMatchObject({ hosts: [2, 4], scale: [], lab: { name: 'bench', subnet: '10.231.5.0/24' } });
    expect(() => parseArgs(['--hosts', '1,x'])).toThrow(/--hosts: expected/);
    expect(parseArgs([]).workload).toBe('default');
    expect(parseArgs(['--workload', 'ansible-roles', '--hosts', '3']).workload).toBe('ansible-roles');
    expect(() => parseArgs(['--tasks', '50'])).toThrow(/--tasks: expected multiples of 40/);
    expect(() => parseArgs(['--lab', 'x'])).toThrow(/--lab: expected NAME:/);
  });
});
