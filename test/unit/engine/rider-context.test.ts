// What a rider may read (rider-context.ts): of another host, values no task of the run can
// change; results of this round trip never.
import { describe, expect, it } from 'vitest';
import { notKnownYet, NotKnownYet, riderHostvars, strictStandIns, writableNames } from '../../../src/engine/rider-context.js';
import { groupsMap, type VarsScope } from '../../../src/engine/vars.js';
import { renderValue } from '../../../src/template/index.js';
import { host, inventory, play, playbook, task } from './fixtures.js';

const src = { file: 't.yml' };
function scope(extraVars: Record<string, unknown> = {}): VarsScope {
  const inv = inventory([host('h1', { color: 'red', shade: '{{ color }}ish', user: 'admin' }, ['web']), host('h22', {})]);
  return { inventory: inv, groups: groupsMap(inv), extraVars, mode: 'apply', runtimes: new Map(), playHosts: ['h1', 'h22'], generation: { value: 0 } };
}
const render = (text: string, hv: unknown, extra: Record<string, unknown> = {}) => renderValue(text, { hostvars: hv, ...extra }, src);

describe('riderHostvars', () => {
  const pb = playbook([
    play([
      task('r', 'command', { cmd: 'true' }, { register: 'marked' }),
      task('s', 'set_fact', { later: 1 }),
      task('u', 'inventory_var', { key: 'user', value: 'admin' }),
    ]),
  ]);
  it('answers inventory values, name, address and groups as hostvars does', () => {
    const hv = riderHostvars(scope(), writableNames(pb));
    expect(render("{{ hostvars['h1'].color }} {{ hostvars['h1'].ansible_host }} {{ hostvars['h1'].inventory_hostname }} {{ hostvars['h1'].group_names | join(',') }}", hv)).toBe('red 192.0.2.2 h1 web');
    expect(render("{{ hostvars['h22'].color | default('none') }} {{ hostvars['h1']['hostvars']['h22'].ansible_host }}", hv)).toBe('none 192.0.2.3');
    expect(render("{{ hostvars['h1'].color }}", riderHostvars(scope({ color: 'green' }), writableNames(pb)))).toBe('green');
  });
  it('throws for what a task of the run may set (results, set_fact, inventory_var under any spelling, facts, getent) and for templates', () => {
    const hv = riderHostvars(scope(), writableNames(pb));
    for (const name of ['marked', 'later', 'user', 'ansible_user', 'facts', 'getent_passwd', 'shade']) {
      expect(() => render(`{{ hostvars['h1'].${name} | default('x') }}`, hv), name).toThrow(NotKnownYet);
    }
    expect(() => render("{{ hostvars['h1'].color }}", riderHostvars(scope({ color: '{{ x }}' }), writableNames(pb)))).toThrow(NotKnownYet);
  });
  it('an address inventory_var may move, or include_vars anywhere, makes every value unknown', () => {
    const moves = playbook([play([task('u', 'inventory_var', { key: 'ansible_ssh_host', value: 'x' })])]);
    expect(() => render("{{ hostvars['h1'].ansible_host }}", riderHostvars(scope(), writableNames(moves)))).toThrow(NotKnownYet);
    const inc = playbook([play([task('i', 'include_vars', { file: 'x.yml' })])]);
    expect(writableNames(inc)).toBe('any');
    expect(() => render("{{ hostvars['h1'].color }}", riderHostvars(scope(), 'any'))).toThrow(NotKnownYet);
  });
});

describe('notKnownYet', () => {
  it('a result not known yet throws when read, by its name or through vars, also under default', () => {
    const ctx = { ...notKnownYet(['r']), names: ['r'] };
    expect(() => renderValue('{{ r.changed }}', ctx, src)).toThrow(/not known/);
    expect(() => renderValue("{{ vars[names[0]] | default('d') }}", ctx, src)).toThrow(/not known/);
    expect(() => renderValue('{{ r is defined }}', ctx, src)).toThrow(/not known/);
    expect(() => JSON.stringify(ctx)).toThrow(/not known/);
  });
});

describe('strictStandIns', () => {
  it('a stand-in read by a name known only when rendering gives what it holds; any other attribute, or its list, throws', () => {
    const ctx = { ...strictStandIns({ r: { changed: true, failed: false } }), names: ['r'] };
    expect(renderValue('{{ vars[names[0]].changed }} {{ r.failed }} {{ r is defined }}', ctx, src)).toBe('True False True');
    expect(() => renderValue("{{ vars[names[0]].stdout | default('d') }}", ctx, src)).toThrow(/not known/);
    expect(() => renderValue("{{ r.rc is defined }}", ctx, src)).toThrow(/not known/);
    expect(() => renderValue('{{ r | dict2items | length }}', ctx, src)).toThrow(/not known/);
  });
});
