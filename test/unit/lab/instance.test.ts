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
