import { describe, expect, it } from 'vitest';
import { parseAptSources, pickMirror } from '../../../src/lab/mirror.js';

describe('apt mirror detection', () => {
  it('reads deb822 sources, skipping disabled stanzas and deb-src', () => {
    const text = `Types: deb
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm

Enabled: no
Types: deb
URIs: http://off.example/debian
Suites: bookworm

Types: deb
URIs: http://sec.example/debian-security
Suites: bookworm-security
`;
    const m = pickMirror(parseAptSources(text, true));
    expect(m).toEqual({ mirror: 'http://mirror.example/debian', security: 'http://sec.example/debian-security' });
  });

  it('reads one-line sources with options, ignores https and comments', () => {
    const text = `# deb http://commented.example/debian bookworm main
deb https://tls.example/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main
`;
    expect(pickMirror(parseAptSources(text, false)).mirror).toBe('http://one.example/debian');
  });

  it('falls back to deb.debian.org when nothing serves bookworm over http', () => {
    expect(pickMirror([]).mirror).toBe('http://deb.debian.org/debian');
  });
});
