// Nodes joining a swarm together through one manager get their labels there in one script,
// not one each: every joiner enters the manager's batch before it joins and submits its
// `docker node update` after (or leaves, with nothing to set or when it failed); the script
// goes once every joiner that entered has done either, or a while after the first
// submission at most (a joiner stuck in its join does not hold the others for long). The
// same script then reads the managers' node list, after every joiner in it: swarm_nodes,
// waiting on the same joiners on that manager, takes that read instead of one of its own.
import type { ActionPorts } from '../../model/action.js';
import type { ExecResult } from '../../model/transport.js';
import { NODE_SPECS_SCRIPT } from './swarm.js';

/** How long a submitted update waits for the joiners still joining. */
export const BATCH_WAIT_MS = 30_000;

/** What a batch's script read of the node list, and after which joiners' tasks. */
export interface SpecsRead {
  covered: ReadonlySet<string>;
  stdout: string;
}

export const specsReadKey = (manager: string) => `swarm-node-specs-after:${manager}`;

const ITEM = '@@fleet-spec';
const READ = '@@fleet-node-specs';

interface Item {
  args: string;
  node: string;
  done: (r: ExecResult) => void;
  failed: (err: unknown) => void;
}

class Batch {
  open = true;
  pending = 0;
  /** The joiners done with their swarm change (submitted, or left). */
  readonly finished = new Set<string>();
  readonly items: Item[] = [];
  timer?: NodeJS.Timeout;
}

export interface Ticket {
  /** Runs `docker node update <args> <node>` on the manager with the batch; its own status and stderr. */
  submit(args: string, node: string, ports: ActionPorts): Promise<ExecResult>;
  /** Nothing to submit (or the join failed): the batch no longer waits for this host. Idempotent. */
  leave(ports: ActionPorts): void;
}

/** One per manager and run (kept with ActionPorts.memo). */
export class SpecBatches {
  private current = new Batch();

  constructor(private readonly manager: string) {}

  enter(host: string): Ticket {
    if (!this.current.open) this.current = new Batch();
    const b = this.current;
    b.pending++;
    let gone = false;
    const out = () => {
      if (gone) return false;
      gone = true;
      b.pending--;
      b.finished.add(host);
      return true;
    };
    return {
      submit: (args, node, ports) =>
        new Promise<ExecResult>((done, failed) => {
          const item = { args, node, done, failed };
          out();
          // Its batch went already (the wait ran out): alone.
          if (!b.open) return void this.flush([item], ports, b.finished);
          b.items.push(item);
          b.timer ??= setTimeout(() => this.close(b, ports), BATCH_WAIT_MS);
          if (b.pending === 0) this.close(b, ports);
        }),
      leave: (ports) => {
        if (out() && b.open && b.pending === 0 && b.items.length) this.close(b, ports);
      },
    };
  }

  private close(b: Batch, ports: ActionPorts): void {
    if (!b.open) return;
    b.open = false;
    clearTimeout(b.timer);
    void this.flush(b.items, ports, b.finished);
  }

  private async flush(items: Item[], ports: ActionPorts, finished: ReadonlySet<string>): Promise<void> {
    // The read after the updates covers every joiner done with its change by now.
    const covered = new Set(finished);
    let r: ExecResult;
    try {
      r = await ports.runOn(this.manager, batchScript(items));
    } catch (err) {
      for (const i of items) i.failed(err);
      return;
    }
    const parsed = parseBatch(r.stdout, items.length);
    if (r.rc === 0 && parsed.specs !== undefined && !parsed.specs.startsWith('@@fleet-')) {
      ports.forget(specsReadKey(this.manager));
      const read: SpecsRead = { covered, stdout: parsed.specs };
      void ports.memo(specsReadKey(this.manager), () => Promise.resolve(read));
    }
    items.forEach((item, i) => {
      const own = parsed.items[i];
      item.done(own ?? { rc: r.rc || 255, stdout: '', stderr: r.stderr || `the batch script ended before this node's update (exit ${r.rc})` });
    });
  }
}

/** Each update's status and stderr, framed per item, then the node list. */
export function batchScript(items: readonly Pick<Item, 'args' | 'node'>[]): string {
  const lines = items.map(
    (it, i) =>
      `e=$(docker node update ${it.args} '${it.node.replace(/'/g, `'\\''`)}' 2>&1 >/dev/null); printf '${ITEM} ${i} %s\\n' "$?"; ` +
      `[ -z "$e" ] || printf '%s\\n' "$e" | while IFS= read -r l; do printf '${ITEM}-err ${i} %s\\n' "$l"; done`,
  );
  return [...lines, `echo ${READ}`, `(\n${NODE_SPECS_SCRIPT})`, ''].join('\n');
}

export function parseBatch(out: string, n: number): { items: (ExecResult | undefined)[]; specs?: string } {
  const items: (ExecResult | undefined)[] = Array.from({ length: n }, () => undefined);
  const lines = out.split('\n');
  const at = lines.indexOf(READ);
  const specs = at >= 0 ? lines.slice(at + 1).join('\n') : undefined;
  for (const line of at >= 0 ? lines.slice(0, at) : lines) {
    const m = new RegExp(`^${ITEM}(-err)? (\\d+) (.*)$`).exec(line);
    if (!m || Number(m[2]) >= n) continue;
    const i = Number(m[2]);
    if (!m[1]) items[i] = { rc: Number(m[3]), stdout: '', stderr: items[i]?.stderr ?? '' };
    else if (items[i]) items[i] = { ...items[i]!, stderr: `${items[i]!.stderr}${m[3]}\n` };
  }
  return { items, specs };
}
