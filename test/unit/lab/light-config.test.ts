import { describe, expect, it } from 'vitest';
import { lightHost, lightInventory, lightLab, sshdConfig, MAX_LIGHT_HOSTS } from '../../../src/lab/light-config.js';

describe('light hosts', () => {
  const lab = { ...lightLab('lt', 77), stateDir: '/s', keyFile: '/s/id_ed25519', user: 'root' };
  it('give each host its own loopback address, never .0 or .255, and its own directories', () => {
    expect([1, 250, 251, 1000].map((i) => lightHost(lab, i).address)).toEqual(['127.77.0.1', '127.77.0.250', '127.77.1.1', '127.77.3.250']);
    const addresses = new Set(Array.from({ length: 2000 }, (_, i) => lightHost(lab, i + 1).address));
    expect(addresses.size).toBe(2000);
    expect(lightHost(lab, 7)).toMatchObject({ name: 'lt7', root: '/s/hosts/lt7/root', pidFile: '/s/hosts/lt7/sshd.pid' });
    expect(() => lightHost(lab, MAX_LIGHT_HOSTS + 1)).toThrow(/expected 1-/);
    expect(() => lightLab('Bad name')).toThrow(/lowercase/);
  });

  it('run each sshd on its address with its key, the lab key only, a run lock and an empty home of its own', () => {
    const c = sshdConfig(lab, lightHost(lab, 3));
    expect(c).toContain('ListenAddress 127.77.0.3:2222\n');
    expect(c).toContain('HostKey /s/hosts/lt3/ssh_host_ed25519_key\n');
    expect(c).toContain('AuthorizedKeysFile /s/authorized_keys\n');
    expect(c).toContain('PasswordAuthentication no\n');
    expect(c).toContain('SetEnv FLEET_LOCK_FILE=/s/hosts/lt3/fleet.lock HOME=/s/hosts/lt3/home\n');
  });

  it('write an inventory with each host address and root', () => {
    const inv = lightInventory(lab, [lightHost(lab, 1), lightHost(lab, 2)]);
    expect(inv).toContain('    ansible_port: 2222\n');
    expect(inv).toContain('    lt2: { ansible_host: 127.77.0.2, light_root: "/s/hosts/lt2/root" }\n');
  });
});
