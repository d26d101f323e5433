// Building POSIX sh text safely: every value that reaches a script goes through q() (model/shell.ts).
import { createHash } from 'node:crypto';

export { q, qa } from '../../model/shell.js';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A here-document carrying `data` as base64, fed to `command` on stdin, e.g.
 * b64Heredoc('base64 -d > "$tmp"', buf). The delimiter contains '_', which the base64
 * alphabet never does, so the body can never end it early; deriving it from the content's
 * hash keeps apply text deterministic (testable) without a random source.
 */
export function b64Heredoc(command: string, data: Buffer): string {
  const delim = `FLEET_B64_${sha256(data).slice(0, 12)}`;
  const body = data.toString('base64').replace(/.{1,76}/g, '$&\n');
  return `${command} <<'${delim}'\n${body}${delim}\n`;
}

/** Replace every %s in an operator's validate command with the quoted temp path variable. */
export function substituteValidate(validate: string, pathExpr = '"$tmp"'): string {
  return validate.includes('%s') ? validate.split('%s').join(pathExpr) : `${validate} ${pathExpr}`;
}

/** posix dirname for absolute paths without touching the filesystem. */
export function dirnameOf(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  if (i <= 0) return '/';
  return trimmed.slice(0, i);
}
