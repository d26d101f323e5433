// How this machine's own apt reaches Debian: the lab builds its base from the same mirror
// and its package source (apt-cacher-ng) forwards the same way (same proxy, if any).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export interface MirrorInfo {
  mirror: string;
  security?: string;
}

interface SourceEntry {
  uri: string;
  suites: string[];
}

/** Parse one-line (.list) and deb822 (.sources) apt source entries of type deb. */
export function parseAptSources(text: string, deb822: boolean): SourceEntry[] {
  const out: SourceEntry[] = [];
  if (!deb822) {
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (m) out.push({ uri: m[1], suites: [m[2]] });
    }
    return out;
  }
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    for (const raw of stanza.split('\n')) {
      if (raw.startsWith('#')) continue;
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m) fields[m[1].toLowerCase()] = m[2].trim();
    }
    if (fields.enabled === 'no') continue;
    if (!(fields.types ?? '').split(/\s+/).includes('deb')) continue;
    for (const uri of (fields.uris ?? '').split(/\s+/).filter(Boolean)) {
      out.push({ uri, suites: (fields.suites ?? '').split(/\s+/).filter(Boolean) });
    }
  }
  return out;
}

/** Pick the plain http mirror serving bookworm (and the security one) from entries. */
export function pickMirror(entries: SourceEntry[]): MirrorInfo {
  const http = entries.filter((e) => /^http:\/\//.test(e.uri));
  const main = http.find((e) => e.suites.includes('bookworm'));
  const sec = http.find((e) => e.suites.includes('bookworm-security'));
  return {
    mirror: (main?.uri ?? DEFAULT_MIRROR).replace(/\/+$/, ''),
    security: sec?.uri.replace(/\/+$/, ''),
  };
}

export function debianMirror(): MirrorInfo {
  const entries: SourceEntry[] = [];
  const read = (f: string, deb822: boolean) => {
    try {
      entries.push(...parseAptSources(fs.readFileSync(f, 'utf8'), deb822));
    } catch {
      /* unreadable or absent: fall back to the default mirror */
    }
  };
  read('/etc/apt/sources.list', false);
  let names: string[] = [];
  try {
    names = fs.readdirSync('/etc/apt/sources.list.d').sort();
  } catch {
    /* none */
  }
  for (const n of names) {
    if (n.endsWith('.list')) read(path.join('/etc/apt/sources.list.d', n), false);
    if (n.endsWith('.sources')) read(path.join('/etc/apt/sources.list.d', n), true);
  }
  return pickMirror(entries);
}

/** The http proxy this machine's apt uses (Acquire::http::Proxy), if any. */
export function aptHttpProxy(): string | undefined {
  try {
    const out = execFileSync('apt-config', ['shell', 'P', 'Acquire::http::Proxy'], { encoding: 'utf8' });
    const m = /^P='([^']*)'/m.exec(out);
    const v = m?.[1]?.trim();
    return v && v !== 'DIRECT' && v !== 'false' ? v : undefined;
  } catch {
    return process.env.http_proxy || process.env.HTTP_PROXY || undefined;
  }
}
