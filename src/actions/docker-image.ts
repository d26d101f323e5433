// docker_image: carries an image saved with `docker save` from the controller to the host and
// `docker load`s it there, for hosts that cannot pull (censored networks, offline sites, no
// registry). The host's image id is a probe read with its other probes, so a host that has
// the same image id under that name costs nothing more.
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { Type } from '@sinclair/typebox';
import { UploadError, type Action } from '../model/action.js';
import { paramsObject } from '../model/params.js';
import { q } from '../model/shell.js';
import { readDockerArchive } from './lib/docker-archive.js';
import { afterPending, failed } from './lib/result.js';

const schema = paramsObject({
  /** Image reference as tagged in the archive, e.g. "registry.example/app:1.2". */
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9._/:@-]*$' }),
  /** A `docker save` tarball on the controller (absolute, or relative to the working directory). */
  src: Type.String({ minLength: 1 }),
});

/** "app" -> "app:latest"; a digest or an explicit tag is kept. */
export function normaliseRef(ref: string): string {
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return last.includes(':') || last.includes('@') ? ref : `${ref}:latest`;
}

function inspectScript(name: string): string {
  return [
    'command -v docker >/dev/null 2>&1 || { echo docker=missing; exit 0; }',
    'docker info >/dev/null 2>&1 || { echo docker=down; exit 0; }',
    `id=$(docker image inspect --format '{{.Id}}' ${q(name)} 2>/dev/null) || id=none`,
    'echo "id=$id"',
    '',
  ].join('\n');
}

function parse(out: string): { docker?: string; id?: string } {
  const r: { docker?: string; id?: string } = {};
  for (const line of out.split('\n')) {
    const m = /^(docker|id)=(.*)$/.exec(line.trim());
    if (m) r[m[1] as 'docker' | 'id'] = m[2];
  }
  return r;
}

/** Exit code of the load script when the image loaded under the name is not the archive's. */
const ID_DIFFERS = 3;

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

export const dockerImage: Action<typeof schema> = {
  name: 'docker_image',
  schema,
  probe: (p) => inspectScript(normaliseRef(p.name)),
  async run(p, ctx, ports) {
    const name = normaliseRef(p.name);
    let archive;
    try {
      archive = readDockerArchive(p.src);
    } catch (err) {
      return failed(`docker_image ${name}: cannot use ${p.src}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!archive.tags.map(normaliseRef).includes(name)) {
      return failed(`docker_image: ${p.src} holds ${archive.tags.length ? archive.tags.join(', ') : 'an untagged image'}, not ${name}`);
    }
    const short = archive.id.slice(7, 19);
    const probe = ctx.probed ?? { rc: 1, stdout: '', stderr: 'no probe' };
    const state = parse(probe.stdout);
    if (probe.rc !== 0 || (!state.docker && !state.id)) {
      return failed(`could not read the images on ${ctx.host}`, { cmd: `docker image inspect ${name}`, rc: probe.rc, stderr: probe.stderr });
    }
    if (state.id === archive.id) return { status: 'ok', msg: `${name} is ${short} already`, registered: { changed: false, id: archive.id } };
    const what = `load ${name} (${short}, ${mib(archive.size)}) from ${basename(p.src)}${state.id && state.id !== 'none' ? ` over ${state.id.slice(7, 19)}` : ''}`;
    if (state.docker) {
      const pending = afterPending(ctx, `will ${what}`);
      if (pending) return pending;
      return failed(state.docker === 'missing' ? `docker is not installed on ${ctx.host}` : `the docker daemon on ${ctx.host} does not answer`);
    }
    if (ctx.check) return { status: 'changed', msg: `will ${what}`, registered: { changed: true } };
    // Random: /var/tmp is every local user's, and one who made this name first (a directory)
    // would fail every load of this image.
    const tmp = `/var/tmp/fleet-image-${short}.${randomBytes(8).toString('hex')}.tar`;
    // The file, then its load, in one round trip where the transport can; the load is the
    // action's last script here, so the probes of what follows ride along with it. It exits 0
    // only when the image loaded is the archive's (conclusive: the handlers notified before
    // may ride after it).
    let load;
    const inspect = `id=$(docker image inspect --format '{{.Id}}' ${q(name)}) || exit $?\necho "$id"\n[ "$id" = ${q(archive.id)} ] || exit ${ID_DIFFERS}\n`;
    try {
      load = await ports.uploadAndRun(p.src, tmp, `docker load -i ${q(tmp)}; rc=$?; rm -f ${q(tmp)}; [ $rc -eq 0 ] || exit $rc\n${inspect}`, {
        mode: '0600',
        last: true,
        conclusive: true,
      });
    } catch (err) {
      if (!(err instanceof UploadError)) throw err;
      return failed(`uploading ${p.src} to ${ctx.host}:${tmp} failed: ${err.message}`);
    }
    const got = load.stdout.trim().split('\n').pop();
    if (load.rc !== 0 && !(load.rc === ID_DIFFERS && got?.startsWith('sha256:'))) {
      return failed(`docker load of ${name} failed on ${ctx.host}`, { cmd: `docker load -i ${tmp}`, rc: load.rc, stderr: load.stderr });
    }
    if (load.rc !== 0 || got !== archive.id) return failed(`after docker load, ${name} on ${ctx.host} is ${got}, not ${archive.id}`, { cmd: `docker load -i ${tmp}` });
    return { status: 'changed', msg: what, registered: { changed: true, id: archive.id } };
  },
};
