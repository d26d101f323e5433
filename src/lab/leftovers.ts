// After down: is anything of this lab instance still on the machine? Each finding names
// what it is, so `fleet lab down` can say exactly what it failed to remove.
import fs from 'node:fs';
import { cmd } from './exec.js';
import type { LabInstance } from './instance.js';
import { instanceCgroupDirs } from './cgroups.js';
import { processCmdline } from './procs.js';

export async function labLeftovers(inst: LabInstance): Promise<string[]> {
  const found: string[] = [];
  const links = await cmd(['ip', '-o', 'link', 'show']);
  for (const l of links.stdout.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(l)?.[1];
    if (!name) continue;
    if (name === inst.bridge || l.includes(` master ${inst.bridge} `) || new RegExp(`^vb-${inst.hostPrefix}\\d+$`).test(name)) {
      found.push(`link ${name}`);
    }
  }
  if ((await cmd(['nft', 'list', 'table', 'inet', inst.nftTable])).rc === 0) found.push(`nft table inet ${inst.nftTable}`);
  const ipt = await cmd(['iptables-save']);
  for (const l of ipt.stdout.split('\n')) if (l.includes(` ${inst.bridge} `) || l.endsWith(` ${inst.bridge}`)) found.push(`iptables rule: ${l}`);
  const prefix = inst.stateDir + '/';
  for (const l of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = l.split(' ')[4];
    if (mp && (mp === inst.stateDir || mp.startsWith(prefix))) found.push(`mount ${mp}`);
  }
  for (const d of instanceCgroupDirs(inst)) if (fs.existsSync(d)) found.push(`cgroup ${d}`);
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const c = processCmdline(Number(e));
    if (c.includes(prefix) || c.endsWith(inst.stateDir)) found.push(`process ${e}: ${c.slice(0, 200)}`);
  }
  if (fs.existsSync(inst.stateDir)) found.push(`state dir ${inst.stateDir}`);
  return found;
}
