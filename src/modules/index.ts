// Every module by name: what playbooks may use.
import type { Module } from '../model/module.js';
import { file } from './file.js';
import { directory } from './directory.js';
import { link } from './link.js';
import { copy } from './copy.js';
import { template } from './template.js';
import { line } from './line.js';
import { block } from './block.js';
import { pkg } from './package.js';
import { service } from './service.js';
import { user } from './user.js';
import { group } from './group.js';
import { authorizedKey } from './authorized_key.js';
import { sysctl } from './sysctl.js';
import { command } from './command.js';
import { shell } from './shell.js';
import { reconnect } from './reconnect.js';
import { inventoryVar } from './inventory_var.js';
import { dockerImage } from './docker_image.js';
import { dockerNetworks } from './docker_networks.js';
import { swarmMember } from './swarm_member.js';
import { swarmNode } from './swarm_node.js';

const all: Module<any>[] = [
  file, directory, link, copy, template, line, block, pkg, service, user, group,
  authorizedKey, sysctl, command, shell, reconnect, inventoryVar,
  dockerImage, dockerNetworks, swarmMember, swarmNode,
];

export const modules: Record<string, Module<any>> = Object.fromEntries(all.map((m) => [m.name, m]));

export function getModule(name: string): Module<any> | undefined {
  return Object.prototype.hasOwnProperty.call(modules, name) ? modules[name] : undefined;
}
