// `fleet lab down` leaves the machine as it found it: a second, independent lab instance is
// brought up and down, and what the lab may touch is compared before and after, while the
// shared lab keeps running. The second instance is derived from the harness's own (its /24
// plus 100), so two test runs on one machine (other FLEET_LAB_NAMEs) never share it.
import { expect, it } from 'vitest';
import { labDown, labExec, labInstance, labLeftovers, labStatus, labUp } from '../../src/lab/index.js';
import { describeLab, labInstanceSpec } from './helpers/lab.js';
import { snapshotMachine } from './helpers/snapshot.js';

function downInstance(): { name: string; subnet: string } {
  const [a, b, c] = labInstanceSpec().subnet.split('.').map(Number);
  const c2 = (c + 100) % 256;
  return { name: `fld${c2}`, subnet: `${a}.${b}.${c2}.0/24` };
}

describeLab('lab down', () => {
  it('removes everything a lab instance made, and nothing else', async () => {
    const instance = downInstance();
    const host1 = `${instance.name}1`;
    const inst = labInstance(instance);
    // A previous run that died midway must not make this one fail or pass by accident.
    if ((await labLeftovers(inst)).length) await labDown({ instance });
    const before = snapshotMachine(inst.stateDir, instance.name);
    const info = await labUp(1, { instance });
    expect(info.hosts.map((h) => h.name)).toEqual([host1]);
    const during = snapshotMachine(inst.stateDir, instance.name);
    // The comparison can only pass because down works: up really changed the machine.
    expect(during.links.some((l) => l.startsWith(`br-${instance.name}`))).toBe(true);
    expect(during.links.some((l) => l.startsWith(`vb-${host1}`))).toBe(true);
    expect(during.mounts.some((m) => m.startsWith(`${inst.stateDir}/`))).toBe(true);
    expect(during.nft).toContain(inst.nftTable);
    expect(during.cgroups.some((c) => c.endsWith(`/${inst.cgroupName}`))).toBe(true);
    expect(during.processes.length).toBeGreaterThan(0);
    const r = await labExec(host1, 'hostname; ip -4 -o addr show dev host0', { instance });
    expect(r.rc, r.stderr).toBe(0);
    expect(r.stdout).toContain(host1);
    expect(r.stdout).toContain(`${instance.subnet.replace(/\.0\/24$/, '')}.11/24`);

    await labDown({ instance });
    const after = snapshotMachine(inst.stateDir, instance.name);
    expect(after.links).toEqual(before.links);
    expect(after.netns).toEqual(before.netns);
    expect(after.mounts).toEqual(before.mounts);
    expect(after.nft).toEqual(before.nft);
    expect(after.iptables).toEqual(before.iptables);
    expect(after.cgroups).toEqual(before.cgroups);
    expect(after.sysctls).toEqual(before.sysctls);
    expect(after.processes).toEqual([]);
    expect(await labLeftovers(inst)).toEqual([]);

    // The shared lab was not disturbed.
    const shared = await labStatus({ instance: labInstanceSpec() });
    expect(shared.up).toBe(true);
    // A second down of a lab that is gone is harmless.
    await expect(labDown({ instance })).resolves.toBeUndefined();
  });
});
