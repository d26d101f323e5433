// The one place config/ reads the task types (modules run on the host, actions on the
// controller), so tests can substitute them.
import { actions, getAction } from '../actions/index.js';
import { getModule, modules } from '../modules/index.js';
import type { AnyAction } from '../model/action.js';
import type { AnyModule, ModuleTraits } from '../model/module.js';

export function findModule(name: string): AnyModule | AnyAction | undefined {
  return getModule(name) ?? getAction(name);
}

/** How a module fits the task keywords (free-form string, creates/unless); actions have none. */
export function traitsOf(name: string): ModuleTraits {
  return getModule(name)?.traits ?? {};
}

export function moduleNames(): string[] {
  return [...Object.keys(modules), ...Object.keys(actions)].sort();
}
