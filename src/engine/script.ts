// Builds the one script a round trip sends (frame-reader.ts splits its output back into sections).
// Every fragment runs in its own subshell so an `exit` or `set -e` inside it stays local (but
// fleet's own merged probes, which return instead: Section.inline);
// markers carry a per-script nonce so no file content can forge a section boundary.
import { randomBytes } from 'node:crypto';
import type { ProbeBatch } from '../model/module.js';

export interface Section {
  /** 'probe' and 'query' sections are read-only; 'apply' stops the script when it fails. */
  kind: 'probe' | 'query' | 'apply';
  text: string;
  /** The same question as `text` in a form that merges with other probes (probe-batch.ts). */
  batch?: ProbeBatch;
  /** A probe of fleet's own (a merged one, the facts) run as a function in the script's shell,
   * not in a subshell (a fork costs the host about as much as a process): its text returns,
   * never exits, and sets only the variables `unset` names, unset after it so later sections
   * (the operator's commands) see the shell as a subshell would have left it; `keep` names
   * those it leaves for later sections of the script (unset at the script's end). */
  inline?: { unset: string[]; keep?: string[] };
}

/** Exit code of a pipelined task's guard that found its state moved (pipeline.ts): it leaves
 * `$T/d` behind, so the script tells it from an apply that failed with the same code. */
export const DIVERGED = 97;
/** What a guard runs when it diverges, before `exit DIVERGED` (never fails, even without $T). */
export const DIVERGED_FLAG = '[ -z "${T:-}" ] || true >"$T/d" 2>/dev/null || true';

export interface SectionResult {
  /** Bounded (frame-reader.ts): a line in the text says where bytes were dropped. */
  stdout: string;
  stderr: string;
  rc: number;
  /** Bytes of output not kept, when any were dropped. */
  dropped?: { stdout: number; stderr: number };
  /** The section started but its end never came back (the shell was killed, the connection
   * dropped): what it did is unknown. */
  cutOff?: boolean;
}

export interface BuiltScript {
  script: string;
  nonce: string;
}

/** The script's own directory, `$T`, made only when a section's text names it (or for the divergence flag). */
const USES_DIR = /\$\{?T\b/;

/** Wrap sections into one POSIX sh script. The whole body is a function, so sh parses it all
 * before running anything, and it runs with stdin from /dev/null: a command that reads stdin
 * cannot swallow the rest of the script. Each section's stdout is framed on stdout and its
 * stderr, written straight to the channel's, on stderr (frame-reader.ts joinStderr): no
 * file to spool it in, so a script whose sections need no directory makes none. */
export function buildScript(sections: Section[]): BuiltScript {
  const nonce = randomBytes(6).toString('hex');
  const m = `@@F${nonce}`;
  const parts: string[] = [];
  // A script that may skip (a probe after an apply) needs $T for the divergence flag.
  const firstApply = sections.findIndex((s) => s.kind === 'apply');
  const skippable = firstApply >= 0 && sections.some((s, i) => i > firstApply && s.kind === 'probe');
  const dir = skippable || sections.some((s) => USES_DIR.test(s.text));
  const keep = [...new Set(sections.flatMap((s) => s.inline?.keep ?? []))];
  const end = [...(dir ? ['rm -rf "$T"'] : []), ...(keep.length ? [`unset ${keep.join(' ')}`] : [])];
  parts.push('fleet_main() {');
  // The script's own directory, named by its random nonce: one `mkdir` (the name cannot be
  // known, so not taken, beforehand; mkdir fails on an existing name and creates it 0700), where
  // `$(mktemp -d)` cost a fork and two processes. mktemp is the fallback (TMPDIR unwritable),
  // then /tmp under the nonce again: never `mkdir -p` of a name a local user could make first.
  if (dir) parts.push(`T=\${TMPDIR:-/tmp}/fleet.${nonce}.$$; mkdir -m 700 "$T" 2>/dev/null || T=$(mktemp -d 2>/dev/null) || { T=/tmp/fleet.${nonce}.$$; mkdir -m 700 "$T"; }`);
  // After a guard diverged, the applies and queries left are skipped (their plans or answers
  // assumed the changes that did not run) and the probes still run: they only read, and the
  // engine plans the diverged task and what follows afresh from them.
  if (skippable) parts.push('fleet_skip=');
  sections.forEach((s, i) => {
    const body = s.kind === 'apply' ? `set -e\n${s.text}` : s.text;
    const skip = skippable && s.kind !== 'probe';
    if (skip) parts.push('if [ -z "$fleet_skip" ]; then');
    parts.push(`printf '${m}:b:${i}@@\\n'; printf '${m}:b:${i}@@\\n' >&2`);
    if (s.inline && s.kind === 'probe') parts.push(`fleet_s() {\n${body}\n}\nfleet_s; rc=$?${s.inline.unset.length ? `; unset ${s.inline.unset.join(' ')}` : ''}`);
    else parts.push(`(\n${body}\n); rc=$?`);
    parts.push(`printf '\\n${m}:e:${i}:%s@@\\n' "$rc"; printf '\\n${m}:e:${i}:0@@\\n' >&2`);
    if (s.kind === 'apply') {
      const stop = [...end, 'return 0'].join('; ');
      parts.push(`if [ "$rc" -ne 0 ]; then ${skippable ? `if [ "$rc" -eq ${DIVERGED} ] && [ -e "$T/d" ]; then fleet_skip=1; else ${stop}; fi` : stop}; fi`);
    }
    if (skip) parts.push('fi');
  });
  parts.push(...end);
  parts.push('}');
  parts.push('fleet_main </dev/null');
  return { script: parts.join('\n') + '\n', nonce };
}
