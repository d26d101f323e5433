// How a streamed upload reaches a file on the host: the bytes travel on the exec channel's
// stdin (through sudo when become is set, the password first, as for scripts), into a
// temporary file beside the destination that is renamed into place only when the whole
// stream arrived. Nothing of the data touches a command line.
import { q } from '../model/shell.js';
import { UPLOAD_FAILED } from '../model/transport.js';
import { BECOME_MARKER, RUNNER, STREAM_RUNNER, SUDO_OK_LINE, SUDO_PAD_LINE } from './become.js';

export interface UploadExec {
  command: string;
  /** Sent before the data (the sudo password preamble), or empty. */
  preamble: Buffer;
  viaSudo: boolean;
}


// $1 = destination, $2 = octal mode, $3 = expected size in bytes or "-". umask 077 until the
// chmod: the partial file is never readable by others. A stream cut short (the controller
// died, the source failed) ends `cat` as if complete, so the size is checked before the
// atomic rename. mktemp, not a name from the PID: a user who can write the destination's
// directory could plant a symlink at a guessable name, and `cat >` would write through it.
// `mv -T`: a directory at the destination (one such a user made first, or a link to one) fails
// the upload; plain `mv` moved the file into it and the upload was reported written.
const WRITE =
  `umask 077; d=$1; t=$(mktemp "$d.fleet-upload.XXXXXXXX") || exit 1; ` +
  `if cat >"$t" && { [ "$3" = - ] || [ "$(wc -c <"$t")" -eq "$3" ] || { echo "upload: $d: received $(wc -c <"$t") of $3 bytes" >&2; false; }; } && chmod "$2" "$t" && mv -fT "$t" "$d"; then exit 0; fi; ` +
  `rm -f "$t"; exit 1`;

// Then a script on the same stdin (uploadThenRun): `head -c` reads exactly the file's bytes
// (GNU head never reads past the count from a pipe), so what follows is the script, read by the
// runner run() uses. The write runs in a subshell: its umask and variables do not reach the
// script. A file that did not arrive whole leaves the script unread: exit UPLOAD_FAILED.
const WRITE_THEN = (runner: string) =>
  `( umask 077; d=$1; t=$(mktemp "$d.fleet-upload.XXXXXXXX") || exit 1; ` +
  `if head -c "$3" >"$t" && { [ "$(wc -c <"$t")" -eq "$3" ] || { echo "upload: $d: received $(wc -c <"$t") of $3 bytes" >&2; false; }; } && chmod "$2" "$t" && mv -fT "$t" "$d"; then exit 0; fi; ` +
  `rm -f "$t"; exit 1 ) || exit ${UPLOAD_FAILED}; ${runner}`;

/** `then`: a script follows the data on stdin (`streamed`: engine/script.ts's, as run() reads it). */
export function buildUploadExec(dest: string, opts: { become: boolean; user: string; password?: string; mode?: string; size?: number; then?: { streamed: boolean } }): UploadExec {
  if (!dest.startsWith('/')) throw new Error(`upload: the destination must be an absolute path, got ${dest}`);
  const mode = opts.mode ?? '0600';
  if (!/^[0-7]{3,4}$/.test(mode)) throw new Error(`upload: mode must be octal digits, got ${mode}`);
  if (opts.size !== undefined && !(Number.isInteger(opts.size) && opts.size >= 0)) throw new Error(`upload: size must be a whole number of bytes, got ${opts.size}`);
  if (opts.then && opts.size === undefined) throw new Error('upload: a script after the data needs the data\'s size');
  const args = `fleet-upload ${q(dest)} ${mode} ${opts.size ?? '-'}`;
  const write = opts.then ? WRITE_THEN(opts.then.streamed ? STREAM_RUNNER : RUNNER) : WRITE;
  if (!opts.become || opts.user === 'root') return { command: `sh -c ${q(write)} ${args}`, preamble: Buffer.alloc(0), viaSudo: false };
  const marked = `printf "%s\\n" "${BECOME_MARKER}"; ${write}`;
  if (opts.password === undefined) return { command: `sudo -n -H -- sh -c ${q(marked)} ${args}`, preamble: Buffer.alloc(0), viaSudo: true };
  // sh's read takes one byte at a time from a pipe, so it never eats into the data.
  const skip = `while IFS= read -r l; do [ "$l" = "${SUDO_OK_LINE}" ] && break; done; [ "$l" = "${SUDO_OK_LINE}" ] || exit 97; unset l; `;
  return {
    command: `sudo -k -S -p '' -H -- sh -c ${q(skip + marked)} ${args}`,
    preamble: Buffer.from(`${opts.password}\n${SUDO_PAD_LINE}\n${SUDO_PAD_LINE}\n${SUDO_OK_LINE}\n`, 'utf8'),
    viaSudo: true,
  };
}
