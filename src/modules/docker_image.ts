// docker_image: controller-side. Carries an image saved with `docker save` from the controller
// to the host and `docker load`s it there, for hosts that cannot pull (censored networks,
// offline sites, no registry). Skipped when the host already has the same image id under
// that name, so a converged host costs one `docker image inspect`.
import { basename } from 'node:path';
import type { Module } from '../model/module.js';
import { objectSchema } from './lib/schema.js';
import { afterPending, failed, hostSideNever, type ActionRun } from './lib/controller.js';
import { readDockerArchive } from './lib/docker-archive.js';
import { q } from './lib/sh.js';

export interface DockerImageParams {
  /** Image reference as tagged in the archive, e.g. "registry.example/app:1.2". */
  name: string;
  /** A `docker save` tarball on the controller (absolute, or relative to the working directory). */
  src: string;
}

export const dockerImage: Module<DockerImageParams> = {
  name: 'docker_image',
  controller: true,
  schema: objectSchema(
    {
      name: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9._/:@-]*$' },
      src: { type: 'string', minLength: 1 },
    },
    ['name', 'src'],
  ),
  probe: hostSideNever('docker_image'),
  plan: hostSideNever('docker_image'),
  apply: hostSideNever('docker_image'),
};

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

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

export const runDockerImage: ActionRun<DockerImageParams> = async (p, ports) => {
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
  const probe = await ports.run(inspectScript(name));
  const state = parse(probe.stdout);
  if (probe.rc !== 0 || (!state.docker && !state.id)) {
    return failed(`could not read the images on ${ports.host}`, { cmd: `docker image inspect ${name}`, rc: probe.rc, stderr: probe.stderr });
  }
  if (state.id === archive.id) return { status: 'ok', msg: `${name} is ${short} already`, registered: { changed: false, id: archive.id } };
  const what = `load ${name} (${short}, ${mib(archive.size)}) from ${basename(p.src)}${state.id && state.id !== 'none' ? ` over ${state.id.slice(7, 19)}` : ''}`;
  if (state.docker) {
    const pending = afterPending(ports, `will ${what}`);
    if (pending) return pending;
    return failed(state.docker === 'missing' ? `docker is not installed on ${ports.host}` : `the docker daemon on ${ports.host} does not answer`);
  }
  if (ports.check) return { status: 'changed', msg: `will ${what}`, registered: { changed: true } };
  const tmp = `/var/tmp/fleet-image-${short}.tar`;
  const up = await ports.upload(p.src, tmp, '0600');
  if (up.rc !== 0) return failed(`uploading ${p.src} to ${ports.host}:${tmp} failed`, { rc: up.rc, stderr: up.stderr });
  const load = await ports.run(
    `docker load -i ${q(tmp)}; rc=$?; rm -f ${q(tmp)}; [ $rc -eq 0 ] || exit $rc\ndocker image inspect --format '{{.Id}}' ${q(name)}\n`,
  );
  if (load.rc !== 0) return failed(`docker load of ${name} failed on ${ports.host}`, { cmd: `docker load -i ${tmp}`, rc: load.rc, stderr: load.stderr });
  const got = load.stdout.trim().split('\n').pop();
  if (got !== archive.id) return failed(`after docker load, ${name} on ${ports.host} is ${got}, not ${archive.id}`, { cmd: `docker load -i ${tmp}` });
  return { status: 'changed', msg: what, registered: { changed: true, id: archive.id } };
};
