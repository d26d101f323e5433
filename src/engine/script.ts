// Builds the one script a round trip sends, and splits its output back into sections.
// Every fragment runs in its own subshell so an `exit` or `set -e` inside it stays local;
// markers carry a per-script nonce so no file content can forge a section boundary.
import { randomBytes } from 'node:crypto';

export interface Section {
  /** 'probe' and 'query' sections are read-only; 'apply' stops the script when it fails. */
  kind: 'probe' | 'query' | 'apply';
  text: string;
}

export interface SectionResult {
  stdout: string;
  stderr: string;
  rc: number;
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
  parts.push('T=$(mktemp -d 2>/dev/null || echo /tmp/fleet.$$); mkdir -p "$T"');
  sections.forEach((s, i) => {
    const body = s.kind === 'apply' ? `set -e\n${s.text}` : s.text;
    parts.push(`printf '${m}:b:${i}@@\\n'`);
    parts.push(`(\n${body}\n) 2>"$T/e"; rc=$?`);
    parts.push(`printf '\\n${m}:e:${i}:%s@@\\n' "$rc"`);
    // stderr is shipped for applies and queries always (the recap and `register` need it),
    // for probes only when they failed.
    const always = s.kind !== 'probe';
    parts.push(`${always ? '' : 'if [ "$rc" -ne 0 ]; then '}printf '${m}:x:${i}@@\\n'; cat "$T/e"; printf '\\n${m}:y:${i}@@\\n'${always ? '' : '; fi'}`);
    if (s.kind === 'apply') parts.push(`if [ "$rc" -ne 0 ]; then rm -rf "$T"; return 0; fi`);
  });
  parts.push('rm -rf "$T"');
  parts.push('}');
  parts.push('fleet_main </dev/null');
  return { script: parts.join('\n') + '\n', nonce };
}

/** Split the output of a built script. Sections the script never reached are absent. */
export function parseScriptOutput(stdout: string, nonce: string): Map<number, SectionResult> {
  const m = `@@F${nonce}`;
  const out = new Map<number, SectionResult>();
  let pos = 0;
  for (;;) {
    const bMark = stdout.indexOf(`${m}:b:`, pos);
    if (bMark < 0) break;
    const bEnd = stdout.indexOf('@@\n', bMark + m.length);
    if (bEnd < 0) break;
    const idx = Number(stdout.slice(bMark + m.length + 3, bEnd));
    const bodyStart = bEnd + 3;
    const eMark = stdout.indexOf(`\n${m}:e:${idx}:`, bodyStart);
    if (eMark < 0) break;
    const eEnd = stdout.indexOf('@@\n', eMark + 1);
    const rc = Number(stdout.slice(eMark + 1 + m.length + `:e:${idx}:`.length, eEnd));
    const result: SectionResult = { stdout: stdout.slice(bodyStart, eMark), stderr: '', rc };
    pos = eEnd + 3;
    const xMark = `${m}:x:${idx}@@\n`;
    if (stdout.startsWith(xMark, pos)) {
      const yMark = stdout.indexOf(`\n${m}:y:${idx}@@\n`, pos + xMark.length);
      if (yMark >= 0) {
        result.stderr = stdout.slice(pos + xMark.length, yMark);
        pos = yMark + `\n${m}:y:${idx}@@\n`.length;
      }
    }
    out.set(idx, result);
  }
  return out;
}

/** The section that started and never reported its end, if any (at most one: sections run in
 * order and the script stops where it was cut off). */
export function cutOffSection(stdout: string, nonce: string, parsed: Map<number, SectionResult>): number | undefined {
  const m = `@@F${nonce}:b:`;
  let pos = stdout.lastIndexOf(m);
  if (pos < 0) return undefined;
  pos += m.length;
  const idx = Number(stdout.slice(pos, stdout.indexOf('@@', pos)));
  return Number.isInteger(idx) && !parsed.has(idx) ? idx : undefined;
}
