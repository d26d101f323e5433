// --list-hosts and --list-tasks: what a run would touch, from the inventory and playbook
// alone, in the layout ansible-playbook prints (so habits and greps carry over), or as JSON.
import { selectHosts } from '../config/index.js';
import { buildProgram } from '../engine/program.js';
import type { Inventory } from '../model/inventory.js';
import type { Playbook } from '../model/playbook.js';

export interface ListingInput {
  inventory: Inventory;
  playbook: Playbook;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  hosts: boolean;
  tasks: boolean;
  json: boolean;
}

interface PlayListing {
  play: string;
  pattern: string;
  hosts?: string[];
  tasks?: { role: string; task: string; tags: string[]; location: string }[];
}

export function listPlaybook(input: ListingInput): string {
  const { inventory: inv, playbook } = input;
  const limited = input.limit ? new Set(selectHosts(inv, input.limit)) : undefined;
  const plays: PlayListing[] = playbook.plays.map((play, i) => {
    const out: PlayListing = { play: play.name, pattern: play.hosts };
    if (input.hosts) out.hosts = selectHosts(inv, play.hosts, play.hostsSource ?? play.source).filter((h) => !limited || limited.has(h));
    if (input.tasks) {
      const program = buildProgram(play, i, { tags: input.tags, skipTags: input.skipTags });
      out.tasks = program.units.map((u) => ({
        role: u.task.role,
        task: u.task.name,
        tags: [...new Set([...u.task.tags, ...(u.roleRef?.tags ?? [])])].sort(),
        location: `${u.task.source.file}${u.task.source.line ? `:${u.task.source.line}` : ''}`,
      }));
    }
    return out;
  });
  if (input.json) return JSON.stringify({ playbook: playbook.file, plays }) + '\n';
  const lines = ['', `playbook: ${playbook.file}`];
  plays.forEach((p, i) => {
    lines.push('', `  play #${i + 1} (${p.pattern}): ${p.play}\tTAGS: []`, `    pattern: ['${p.pattern}']`);
    if (p.hosts) lines.push(`    hosts (${p.hosts.length}):`, ...p.hosts.map((h) => `      ${h}`));
    if (p.tasks)
      lines.push('    tasks:', ...p.tasks.map((t) => `      ${t.role ? `${t.role} : ` : ''}${t.task}\tTAGS: [${t.tags.join(', ')}]`));
  });
  return lines.join('\n') + '\n';
}
