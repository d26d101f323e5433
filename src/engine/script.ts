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
  /** A probe of fleet's own (a merged one) run as a function in the script's shell, not in a
   * subshell (a fork costs the host about as much as a process): its text returns, never
   * exits, and sets only the variables `unset` names, unset after it so later sections (the
   * operator's commands) see the shell as a subshell would have left it. */
  inline?: { unset: string[] };
}

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

/** Wrap sections into one POSIX sh script. The whole body is a function, so sh parses it all
 * before running anything, and it runs with stdin from /dev/null: a command that reads stdin
 * cannot swallow the rest of the script. */
export function buildScript(sections: Section[]): BuiltScript {
  const nonce = randomBytes(6).toString('hex');
  const m = `@@F${nonce}`;
  const parts: string[] = [];
  parts.push('fleet_main() {');
  // The script's own directory, named by its random nonce: one `mkdir` (the name cannot be
  // known, so not taken, beforehand; mkdir fails on an existing name and creates it 0700), where
  // `$(mktemp -d)` cost a fork and two processes. mktemp is the fallback (TMPDIR unwritable).
  parts.push(`T=\${TMPDIR:-/tmp}/fleet.${nonce}.$$; mkdir -m 700 "$T" 2>/dev/null || { T=$(mktemp -d 2>/dev/null || echo /tmp/fleet.$$); mkdir -p "$T"; }`);
  sections.forEach((s, i) => {
    const body = s.kind === 'apply' ? `set -e\n${s.text}` : s.text;
    parts.push(`printf '${m}:b:${i}@@\\n'`);
    if (s.inline && s.kind === 'probe') parts.push(`fleet_s() {\n${body}\n}\nfleet_s 2>"$T/e"; rc=$?${s.inline.unset.length ? `; unset ${s.inline.unset.join(' ')}` : ''}`);
    else parts.push(`(\n${body}\n) 2>"$T/e"; rc=$?`);
    parts.push(`printf '\\n${m}:e:${i}:%s@@\\n' "$rc"`);
    // stderr is shipped for applies and queries always (the recap and `register` need it),
    // for probes only when they failed; an empty one is not shipped (the reader reads no
    // stderr block as empty stderr), which spares a `cat` process per quiet apply.
    const always = s.kind !== 'probe';
    parts.push(`${always ? 'if [ -s "$T/e" ]; then ' : 'if [ "$rc" -ne 0 ]; then '}printf '${m}:x:${i}@@\\n'; cat "$T/e"; printf '\\n${m}:y:${i}@@\\n'; fi`);
    if (s.kind === 'apply') parts.push(`if [ "$rc" -ne 0 ]; then rm -rf "$T"; return 0; fi`);
  });
  parts.push('rm -rf "$T"');
  parts.push('}');
  parts.push('fleet_main </dev/null');
  return { script: parts.join('\n') + '\n', nonce };
}
