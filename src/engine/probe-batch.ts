// Probes of one kind merged into one command per round trip (one dpkg-query for every package
// task instead of one each), and each task's answer cut back out of the merged output. Only
// probes next to each other are merged (a run with no apply or query between them): a probe
// never moves across a change. A merged probe that fails, is cut off or is read in part fails
// every task it answers, as each task's own probe would have.
import type { ProbeBatch } from '../model/module.js';
import { getBatcher } from '../modules/index.js';
import type { Section, SectionResult } from './script.js';

export interface BatchedSend {
  /** What goes into the script. */
  sent: Section[];
  /** Results by sent index -> results by the caller's section index. */
  split(bySent: Map<number, SectionResult>): Map<number, SectionResult>;
}

type Slot = { orig: number } | { kind: ProbeBatch['kind']; members: { orig: number; need: ProbeBatch }[] };

export function batchProbes(sections: Section[]): BatchedSend {
  const slots: Slot[] = [];
  let run: Map<ProbeBatch['kind'], { slot: number; members: { orig: number; need: ProbeBatch }[] }> = new Map();
  sections.forEach((s, i) => {
    if (s.kind !== 'probe') run = new Map();
    if (s.kind !== 'probe' || !s.batch) {
      slots.push({ orig: i });
      return;
    }
    const open = run.get(s.batch.kind);
    if (open) {
      open.members.push({ orig: i, need: s.batch });
      return;
    }
    const members = [{ orig: i, need: s.batch }];
    run.set(s.batch.kind, { slot: slots.length, members });
    slots.push({ kind: s.batch.kind, members });
  });
  // A kind asked once gains nothing: that task's own probe goes as it is.
  const final: Slot[] = slots.map((sl) => ('members' in sl && sl.members.length === 1 ? { orig: sl.members[0].orig } : sl));
  const sent = final.map((sl): Section => {
    if ('orig' in sl) return sections[sl.orig];
    const needs = sl.members.map((m) => m.need);
    const b = getBatcher(sl.kind);
    return { kind: 'probe', text: b.script(needs), inline: { unset: b.vars(needs) } };
  });
  return {
    sent,
    split(bySent) {
      const out = new Map<number, SectionResult>();
      final.forEach((sl, i) => {
        const r = bySent.get(i);
        if (!r) return;
        if ('orig' in sl) {
          out.set(sl.orig, r);
          return;
        }
        const whole = r.rc === 0 && !r.cutOff && !r.dropped?.stdout;
        sl.members.forEach((m, k) => {
          const own = whole ? getBatcher(sl.kind).split(r.stdout, m.need, k) : undefined;
          if (own !== undefined) out.set(m.orig, { ...r, stdout: own });
          else if (!whole) out.set(m.orig, { ...r });
          else out.set(m.orig, { ...r, stdout: '', rc: 1, stderr: `${r.stderr}a file changed while it was probed (its size and its content disagree); run again\n` });
        });
      });
      return out;
    },
  };
}
