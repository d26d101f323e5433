// What a `docker save` tarball holds, read on the controller without docker: its image id
// (sha256 of the image config, as `docker image inspect` reports it) and its tags. Both the
// classic layout (<id>.json) and the OCI layout of newer docker (blobs/sha256/<id>) carry a
// top-level manifest.json naming the config file.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface DockerArchive {
  /** "sha256:<64 hex>" */
  id: string;
  tags: string[];
  size: number;
}

interface Entry {
  offset: number;
  size: number;
}

function field(h: Buffer, start: number, len: number): string {
  const s = h.subarray(start, start + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function octal(h: Buffer, start: number, len: number): number {
  // GNU base-256 for sizes over 8 GiB: high bit set in the first byte.
  if (h[start] & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + h[i];
    return n;
  }
  const t = field(h, start, len).trim();
  return t ? parseInt(t, 8) : 0;
}

/** Regular files of a tar archive by path ("./" stripped); PAX and GNU long names honoured. */
function listTar(fd: number, total: number): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const h = Buffer.alloc(512);
  let pos = 0;
  let longName: string | undefined;
  const readAt = (buf: Buffer, at: number) => {
    if (readSync(fd, buf, 0, buf.length, at) !== buf.length) throw new Error(`truncated tar archive at byte ${at}`);
  };
  while (pos + 512 <= total) {
    readAt(h, pos);
    if (h.every((b) => b === 0)) break;
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const data = pos + 512;
    if (type === 'x' || type === 'L') {
      const body = Buffer.alloc(size);
      readAt(body, data);
      if (type === 'L') longName = field(body, 0, size);
      else {
        const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
        if (m) longName = m[1];
      }
    } else {
      const prefix = field(h, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
      longName = undefined;
      if (type === '0' || type === '7') out.set(name.replace(/^\.\//, ''), { offset: data, size });
    }
    pos = data + Math.ceil(size / 512) * 512;
  }
  return out;
}

export function readDockerArchive(file: string): DockerArchive {
  const fd = openSync(file, 'r');
  try {
    const total = fstatSync(fd).size;
    const entries = listTar(fd, total);
    const read = (name: string): Buffer => {
      const e = entries.get(name);
      if (!e) throw new Error(`${file}: no ${name} in the archive: not a docker save tarball`);
      const b = Buffer.alloc(e.size);
      readSync(fd, b, 0, e.size, e.offset);
      return b;
    };
    let manifest: unknown;
    try {
      manifest = JSON.parse(read('manifest.json').toString('utf8'));
    } catch (err) {
      if (err instanceof SyntaxError) throw new Error(`${file}: manifest.json is not JSON`, { cause: err });
      throw err;
    }
    if (!Array.isArray(manifest) || manifest.length !== 1) {
      throw new Error(`${file}: expected one image in the archive, found ${Array.isArray(manifest) ? manifest.length : 'no list'}: save one image per file`);
    }
    const m = manifest[0] as { Config?: unknown; RepoTags?: unknown };
    if (typeof m.Config !== 'string') throw new Error(`${file}: manifest.json names no Config`);
    const id = `sha256:${createHash('sha256').update(read(m.Config)).digest('hex')}`;
    const tags = Array.isArray(m.RepoTags) ? m.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    return { id, tags, size: total };
  } finally {
    closeSync(fd);
  }
}
