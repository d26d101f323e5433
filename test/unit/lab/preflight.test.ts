import { afterEach, describe, expect, it, vi } from 'vitest';
import { LabUnavailableError, assertLabAvailable, labMissing } from '../../../src/lab/preflight.js';

afterEach(() => vi.restoreAllMocks());

describe('lab preflight', () => {
  it('names root as missing for a non-root user', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    expect(labMissing({ tools: false })).toContain('root is required (run as root, e.g. with sudo)');
    expect(() => assertLabAvailable()).toThrow(LabUnavailableError);
    expect(() => assertLabAvailable()).toThrow(/cannot run here: .*root is required/);
  });

  it('names a missing tool with the package that provides it', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(0);
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      // /usr/sbin and /sbin are always searched, so only tools living elsewhere go missing.
      const missing = labMissing();
      expect(missing).toContain('ssh not found (apt-get install openssh-client)'); // /usr/bin/ssh
      expect(missing.some((m) => m.startsWith('nft '))).toBe(false); // /usr/sbin/nft
      for (const m of missing) expect(m).toMatch(/^(\S+ not found \(apt-get install \S+\)|the kernel .*|no cgroup .*)$/);
    } finally {
      process.env.PATH = path;
    }
  });
});
