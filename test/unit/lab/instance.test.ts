import { describe, expect, it } from 'vitest';
import { hostAddress, hostIndex, hostName, labInstance } from '../../../src/lab/instance.js';

describe('lab instance', () => {
  it('the default instance has the contract facts', () => {
    const i = labInstance();
    expect(i.bridge).toBe('br-lab');
    expect(i.controllerAddress).toBe('10.231.0.1');
    expect(i.stateDir).toBe('/var/lib/fleet-lab');
    expect(i.keyFile).toBe('/var/lib/fleet-lab/id_ed25519');
    expect(i.deployPasswordFile).toBe('/var/lib/fleet-lab/deploypw.password');
    expect(hostName(i, 1)).toBe('lab1');
    expect(hostAddress(i, 1)).toBe('10.231.0.11');
    expect(hostAddress(i, 4)).toBe('10.231.0.14');
  });

  it('a second instance has its own bridge, subnet, state and names', () => {
    const i = labInstance({ name: 'fltest', subnet: '10.231.1.0/24' });
    expect(i.bridge).toBe('br-fltest');
    expect(i.stateDir).toBe('/var/lib/fleet-lab-fltest');
    expect(i.nftTable).not.toBe(labInstance().nftTable);
    expect(i.cgroupName).not.toBe(labInstance().cgroupName);
    expect(hostName(i, 2)).toBe('fltest2');
    expect(hostAddress(i, 2)).toBe('10.231.1.12');
  });

  it('rejects names that make bad link names and subnets that are not a /24', () => {
    expect(() => labInstance({ name: 'Lab', subnet: '10.231.1.0/24' })).toThrow(/lowercase/);
    expect(() => labInstance({ name: 'averyverylongname', subnet: '10.231.1.0/24' })).toThrow(/1-10/);
    expect(() => labInstance({ name: 'x', subnet: '10.231.1.0/16' })).toThrow(/\/24/);
    expect(() => labInstance({ name: 'x', subnet: '10.300.1.0/24' })).toThrow(/\/24/);
  });

  it('hostIndex recognises only the instance own host names', () => {
    const i = labInstance();
    expect(hostIndex(i, 'lab3')).toBe(3);
    expect(hostIndex(i, 'lab0')).toBeUndefined();
    expect(hostIndex(i, 'lab03')).toBeUndefined();
    expect(hostIndex(i, 'web3')).toBeUndefined();
    expect(hostIndex(i, 'lab245')).toBeUndefined(); // .255 is broadcast
    expect(hostIndex(i, 'lab244')).toBe(244);
  });
});

describe('lab ssh/exec on a host the lab does not have', () => {
  it("names the lab, and for a name not of its kind how to reach a named lab's hosts (review11: a moved demo's review111)", async () => {
    const { labExec } = await import('../../../src/lab/index.js');
    const instance = { name: 'r11none', subnet: '10.231.251.0/24' };
    await expect(labExec('review111', 'true', { instance })).rejects.toThrow(
      /^lab: no host "review111" in lab r11none \(hosts: none; run fleet lab up\); the hosts of a lab brought up with --name NAME are NAME1, NAME2\.\.\.: give its --name and --subnet$/,
    );
    // One of its own names that is not up: no hint about other labs.
    await expect(labExec('r11none1', 'true', { instance })).rejects.toThrow(/^lab: no host "r11none1" in lab r11none \(hosts: none; run fleet lab up\)$/);
  });
});
