// File modes as operators write them ("0644", "644", 644 from YAML, "u=rw,g=r,o=r", "a+x")
// normalised to a four-digit octal string ("0644") that stat's %a output can be compared to.

import { rawSchema } from '../../model/params.js';

export type ModeInput = string | number;

/** A mode param: a string of octal digits or symbolic clauses, or an integer. */
export const modeSchema = rawSchema<ModeInput>({
  type: ['string', 'integer'],
  pattern: '^(0?[0-7]{3,4}|[ugoa]*[-+=][rwxXst]*([-+=][rwxXst]*)*(,[ugoa]*[-+=][rwxXst]*([-+=][rwxXst]*)*)*)$',
  description: 'octal ("0644", 644) or symbolic ("u=rw,g=r,o=r")',
});

const WHO_BITS: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007 };

function fourDigits(n: number): string {
  return n.toString(8).padStart(4, '0');
}

/** Parse stat's %a ("644", "4755") into "0644"/"4755". */
export function statMode(a: string): string {
  return fourDigits(parseInt(a, 8));
}

/** True when the mode can be computed without knowing the current mode (no + or -). */
export function isAbsoluteMode(mode: ModeInput): boolean {
  return typeof mode === 'number' || /^[0-7]+$/.test(mode) || !/[+-]/.test(mode);
}

/**
 * Normalise `mode` to "0644" form. `current` (numeric) is needed for relative symbolic
 * modes (u+x); `isDir` decides what X means. Throws with what was expected on bad input.
 */
export function normaliseMode(mode: ModeInput, current = 0, isDir = false): string {
  if (typeof mode === 'number') {
    // YAML `mode: 644` arrives as the integer 644: its decimal digits are the octal digits.
    const digits = String(mode);
    if (!/^[0-7]{1,4}$/.test(digits)) throw new Error(`mode ${mode}: expected octal digits like 0644 or a symbolic mode like u=rw,g=r,o=r`);
    return fourDigits(parseInt(digits, 8));
  }
  if (/^[0-7]{1,4}$/.test(mode)) return fourDigits(parseInt(mode, 8));
  let result = current & 0o7777;
  for (const clause of mode.split(',')) {
    const m = /^([ugoa]*)((?:[-+=][rwxXst]*)+)$/.exec(clause);
    if (!m) throw new Error(`mode "${mode}": expected octal digits like 0644 or a symbolic mode like u=rw,g=r,o=r`);
    const who = m[1] === '' || m[1].includes('a') ? 'ugo' : m[1];
    for (const op of m[2].match(/[-+=][rwxXst]*/g) ?? []) {
      let bits = 0;
      for (const w of who) {
        for (const p of op.slice(1)) {
          if (p === 'r') bits |= { u: 0o400, g: 0o040, o: 0o004 }[w as 'u' | 'g' | 'o'];
          if (p === 'w') bits |= { u: 0o200, g: 0o020, o: 0o002 }[w as 'u' | 'g' | 'o'];
          const x = { u: 0o100, g: 0o010, o: 0o001 }[w as 'u' | 'g' | 'o'];
          if (p === 'x') bits |= x;
          if (p === 'X' && (isDir || (result & 0o111) !== 0)) bits |= x;
          if (p === 's' && w === 'u') bits |= 0o4000;
          if (p === 's' && w === 'g') bits |= 0o2000;
          if (p === 't' && w === 'o') bits |= 0o1000;
        }
      }
      let mask = 0;
      for (const w of who) mask |= WHO_BITS[w];
      if (op[0] === '=') result = (result & ~mask) | bits;
      else if (op[0] === '+') result |= bits;
      else result &= ~bits;
    }
  }
  return fourDigits(result);
}
