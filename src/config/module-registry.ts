// The one place config/ reads the module list, so tests can substitute it.
import { getModule, modules } from '../modules/index.js';
import type { Module } from '../model/module.js';

export function findModule(name: string): Module<any> | undefined {
  return getModule(name);
}

export function moduleNames(): string[] {
  return Object.keys(modules).sort();
}
