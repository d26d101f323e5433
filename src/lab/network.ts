// The lab's network on the controller: a bridge holding the controller's address, an
// nftables table that keeps hosts off every other interface, an iptables ACCEPT only when
// this machine's FORWARD/INPUT chains would drop bridge traffic (docker leaves FORWARD at
// DROP), and the inotify sysctl raised for many systemd hosts. Everything made is recorded
// in <state>/network.json, so teardown removes exactly that and nothing else.
import fs from 'node:fs';
import path from 'node:path';
import { cmd, must } from './exec.js';
import type { LabInstance } from './instance.js';

export interface NetworkRecord {
  bridge?: string;
  nftTable?: string;
  /** iptables rule specs (after the chain name) that we inserted, by chain. */
  iptables: { chain: string; spec: string[] }[];
  /** sysctls we changed: the value found before and the value we set. */
  sysctls: Record<string, { original: string; set: string }>;
}

const SYSCTLS: Record<string, number> = {
  // More than about 10 systemd hosts stall at boot on inotify without this.
  'fs.inotify.max_user_instances': 8192,
};

function recordFile(inst: LabInstance): string {
  return path.join(inst.stateDir, 'network.json');
}

export function readNetworkRecord(inst: LabInstance): NetworkRecord {
  try {
    return JSON.parse(fs.readFileSync(recordFile(inst), 'utf8')) as NetworkRecord;
  } catch {
    return { iptables: [], sysctls: {} };
  }
}

function save(inst: LabInstance, rec: NetworkRecord): void {
  fs.mkdirSync(inst.stateDir, { recursive: true });
  fs.writeFileSync(recordFile(inst), JSON.stringify(rec, null, 2) + '\n');
}

export async function linkExists(name: string): Promise<boolean> {
  return (await cmd(['ip', 'link', 'show', 'dev', name])).rc === 0;
}

function sysctlPath(key: string): string {
  return path.join('/proc/sys', ...key.split('.'));
}

export function readSysctl(key: string): string {
  return fs.readFileSync(sysctlPath(key), 'utf8').trim();
}

function nftRuleset(inst: LabInstance): string {
  const b = JSON.stringify(inst.bridge);
  return `table inet ${inst.nftTable} {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname ${b} oifname != ${b} drop
    oifname ${b} iifname != ${b} drop
  }
}
`;
}

/** Does this machine's iptables chain drop traffic unless a rule accepts it? Listing does not
 * create the table (iptables-nft), so an absent filter table stays absent. */
async function chainMayDrop(chain: string): Promise<boolean> {
  const r = await cmd(['iptables', '-w', '-S', chain]);
  if (r.rc !== 0) return false;
  const lines = r.stdout.split('\n').filter(Boolean);
  return lines.some((l) => l === `-P ${chain} DROP`) || lines.some((l) => l.startsWith('-A ') && / -j (DROP|REJECT)\b|-j DOCKER/.test(l));
}

export async function networkUp(inst: LabInstance): Promise<void> {
  const rec = readNetworkRecord(inst);
  if (!(await linkExists(inst.bridge))) {
    // Two bridges with the same subnet make every address ambiguous: refuse, naming the other.
    const taken = await cmd(['ip', '-o', '-4', 'addr', 'show', 'to', `${inst.controllerAddress}/24`]);
    const other = taken.stdout.trim().split(/\s+/)[1];
    if (other) throw new Error(`lab: subnet of ${inst.controllerAddress}/24 is already used by ${other}; choose another --subnet`);
    rec.bridge = inst.bridge;
    save(inst, rec);
    await must(['ip', 'link', 'add', inst.bridge, 'type', 'bridge']);
    await must(['ip', 'addr', 'add', `${inst.controllerAddress}/24`, 'dev', inst.bridge]);
  } else if (rec.bridge !== inst.bridge) {
    throw new Error(`lab: a link named ${inst.bridge} exists and was not made by this lab; remove it or use another lab instance`);
  }
  await must(['ip', 'link', 'set', inst.bridge, 'up']);

  if ((await cmd(['nft', 'list', 'table', 'inet', inst.nftTable])).rc !== 0) {
    rec.nftTable = inst.nftTable;
    save(inst, rec);
    await must(['nft', '-f', '-'], { input: nftRuleset(inst) });
  }

  for (const chain of ['FORWARD', 'INPUT']) {
    const spec = chain === 'FORWARD' ? ['-i', inst.bridge, '-o', inst.bridge, '-j', 'ACCEPT'] : ['-i', inst.bridge, '-j', 'ACCEPT'];
    if (rec.iptables.some((r) => r.chain === chain)) continue;
    if (!(await chainMayDrop(chain))) continue;
    rec.iptables.push({ chain, spec });
    save(inst, rec);
    await must(['iptables', '-w', '-I', chain, ...spec]);
  }

  for (const [key, want] of Object.entries(SYSCTLS)) {
    if (rec.sysctls[key]) continue;
    const cur = readSysctl(key);
    if (Number(cur) >= want) continue;
    rec.sysctls[key] = { original: cur, set: String(want) };
    save(inst, rec);
    fs.writeFileSync(sysctlPath(key), String(want));
  }
}

/** Undo what networkUp recorded. `othersUp`: state dirs of other lab instances still
 * running, to which a raised sysctl is handed over instead of being lowered under them. */
export async function networkDown(inst: LabInstance, othersUp: LabInstance[]): Promise<string[]> {
  const rec = readNetworkRecord(inst);
  const problems: string[] = [];
  for (const r of rec.iptables) {
    const res = await cmd(['iptables', '-w', '-D', r.chain, ...r.spec]);
    if (res.rc !== 0 && !/does a matching rule exist|Bad rule/i.test(res.stderr)) problems.push(`iptables -D ${r.chain}: ${res.stderr.trim()}`);
  }
  rec.iptables = [];
  if (rec.nftTable) {
    const res = await cmd(['nft', 'delete', 'table', 'inet', rec.nftTable]);
    if (res.rc !== 0 && !/No such file/i.test(res.stderr)) problems.push(`nft delete table: ${res.stderr.trim()}`);
    rec.nftTable = undefined;
  }
  if (rec.bridge && (await linkExists(rec.bridge))) {
    const res = await cmd(['ip', 'link', 'del', rec.bridge]);
    if (res.rc !== 0) problems.push(`ip link del ${rec.bridge}: ${res.stderr.trim()}`);
  }
  rec.bridge = undefined;
  for (const [key, s] of Object.entries(rec.sysctls)) {
    const heir = othersUp[0];
    if (heir) {
      // Another lab still relies on the raised value: it restores the original at its own down.
      const theirs = readNetworkRecord(heir);
      if (!theirs.sysctls[key]) {
        theirs.sysctls[key] = s;
        save(heir, theirs);
      }
    } else if (readSysctl(key) === s.set) {
      fs.writeFileSync(sysctlPath(key), s.original);
    }
  }
  rec.sysctls = {};
  save(inst, rec);
  return problems;
}
