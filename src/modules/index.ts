// Every module by name: the task types that run on the host (actions, which run on the
// controller, are in actions/).
import type { AnyModule } from '../model/module.js';
import { file } from './file.js';
import { directory } from './directory.js';
import { link } from './link.js';
import { copy } from './copy.js';
import { template } from './template.js';
import { line } from './line.js';
import { block } from './block.js';
import { replace } from './replace.js';
import { pkg } from './package.js';
import { service } from './service.js';
import { user } from './user.js';
import { group } from './group.js';
import { authorizedKey } from './authorized_key.js';
import { sysctl } from './sysctl.js';
import { command } from './command.js';
import { shell } from './shell.js';
import { drift } from './drift.js';
import { dockerNetworks } from './docker_networks.js';
import { dockerStack } from './docker_stack.js';
import { cron } from './cron.js';
import { mount } from './mount.js';
import { aptRepository } from './apt_repository.js';
import { unarchive } from './unarchive.js';

const all: AnyModule[] = [
  file, directory, link, copy, template, line, block, replace, pkg, service, user, group,
  authorizedKey, sysctl, command, shell, drift, dockerNetworks, dockerStack, cron, mount, aptRepository, unarchive,
];

export const modules: Record<string, AnyModule> = Object.fromEntries(all.map((m) => [m.name, m]));

export function getModule(name: string): AnyModule | undefined {
  return Object.prototype.hasOwnProperty.call(modules, name) ? modules[name] : undefined;
}
export { getBatcher } from './batchers.js';
export { DPKG_SHARED, factsDpkgSh } from './package.js';
