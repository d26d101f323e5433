// apt_repository (Ansible's): sources parsed and rendered as Ansible's sourceslist does, the
// file name it suggests, present found anywhere (a disabled one enabled again), absent removed
// everywhere (an emptied file deleted), check-mode honesty, refusals (PPAs, invalid lines).
import { describe, expect, it } from 'vitest';
import { aptRepository, editSources, parseSourceLine, repoProblem, suggestFilename } from '../../../src/modules/apt_repository.js';
import { isValid, params } from './helpers.js';

const REPO = 'deb [signed-by=/etc/apt/keyrings/x.asc] http://deb.example.org/debian bookworm main';
const SOURCES = 'deb http://deb.debian.org/debian bookworm main\n# a comment\ndeb http://security.debian.org/debian-security bookworm-security main\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const probeOut = (files: Record<string, string>) =>
  Object.entries(files)
    .map(([f, t]) => `file=${f}\ntext_b64=${b64(t)}\n`)
    .join('') + 'listed=1\n';

describe('apt_repository', () => {
  it("Ansible's parse: comments, disabled lines, whitespace; its suggested file name", () => {
    expect(parseSourceLine('#  deb   http://x/  a b # note')).toMatchObject({ valid: true, enabled: false, source: 'deb http://x/ a b', comment: 'note' });
    expect(parseSourceLine('# just text').valid).toBe(false);
    expect(suggestFilename(parseSourceLine(REPO).source)).toBe('deb_example_org_debian.list');
    expect(suggestFilename('deb http://user:pw@mirror.example.net/ubuntu jammy main')).toBe('mirror_example_net_ubuntu.list');
    expect(suggestFilename(REPO, 'example')).toBe('example.list');
  });

  it('present: a new file of its own, 0644, apt-get update after; ok when present anywhere; a disabled copy is enabled', () => {
    const p = params(aptRepository, { repo: REPO });
    const plan = aptRepository.plan(p, probeOut({ '/etc/apt/sources.list': SOURCES }));
    expect(plan).toMatchObject({ kind: 'change', summary: expect.stringContaining('/etc/apt/sources.list.d/deb_example_org_debian.list') });
    if (plan.kind !== 'change') return;
    expect(plan.diff).toContain(`+${REPO}`);
    const text = aptRepository.apply(p, plan);
    expect(text).toContain('chmod 0644');
    expect(text).toMatch(/apt-get update -q\n$/);
    const there = { '/etc/apt/sources.list': SOURCES, '/etc/apt/sources.list.d/other.list': `${REPO.replace(/ /g, '  ')}\n` };
    expect(aptRepository.plan(p, probeOut(there)).kind).toBe('ok');
    const disabled = editSources(new Map([['/etc/apt/sources.list.d/other.list', `# ${REPO}\n`]]), p);
    expect([...disabled]).toEqual([['/etc/apt/sources.list.d/other.list', `${REPO}\n`]]);
    const noUpdate = aptRepository.plan(params(aptRepository, { repo: REPO, update_cache: false, filename: 'example' }), probeOut({}));
    expect(noUpdate.kind === 'change' && aptRepository.apply(params(aptRepository, { repo: REPO, update_cache: false }), noUpdate)).not.toContain('apt-get update');
    expect(noUpdate.kind === 'change' && noUpdate.summary).toContain('/etc/apt/sources.list.d/example.list');
  });

  it('absent: removed from every file (rendered as Ansible renders it), a file left empty deleted; ok when nowhere', () => {
    const p = params(aptRepository, { repo: REPO, state: 'absent' });
    const files = new Map([
      ['/etc/apt/sources.list.d/deb_example_org_debian.list', `${REPO}\n`],
      ['/etc/apt/sources.list.d/mixed.list', `deb   http://a/ x y\n# ${REPO}\n`],
      ['/etc/apt/sources.list', SOURCES],
    ]);
    expect([...editSources(files, p)]).toEqual([
      ['/etc/apt/sources.list.d/deb_example_org_debian.list', undefined],
      ['/etc/apt/sources.list.d/mixed.list', 'deb http://a/ x y\n'],
    ]);
    const plan = aptRepository.plan(p, probeOut(Object.fromEntries(files)));
    expect(plan.kind === 'change' && aptRepository.apply(p, plan)).toContain("rm -f -- /etc/apt/sources.list.d/deb_example_org_debian.list");
    expect(aptRepository.plan(p, probeOut({ '/etc/apt/sources.list': SOURCES })).kind).toBe('ok');
  });

  it('refused: PPAs (they need Launchpad), lines that are not sources; bad values by the schema', () => {
    expect(repoProblem(params(aptRepository, { repo: 'ppa:deadsnakes/ppa' }))).toContain('Launchpad');
    expect(repoProblem(params(aptRepository, { repo: 'http://x/ bookworm main' }))).toBe('Invalid repository string: http://x/ bookworm main');
    expect(aptRepository.plan(params(aptRepository, { repo: '# deb http://x/ a b' }), 'listed=1\n')).toMatchObject({ kind: 'blocked' });
    expect(isValid(aptRepository, { repo: REPO, filename: 'a/b' })).toBe(false);
    expect(isValid(aptRepository, { repo: REPO, state: 'enabled' })).toBe(false);
  });
});
