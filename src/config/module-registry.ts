// The one place config/ reads the task types (modules run on the host, actions on the
// controller), so tests can substitute them.
import { actions, getAction } from '../actions/index.js';
import { getModule, modules } from '../modules/index.js';
import type { AnyAction } from '../model/action.js';
import type { AnyModule } from '../model/module.js';

export function findModule(name: string): AnyModule | AnyAction | undefined {
  return getModule(name) ?? getAction(name);
}

export function moduleNames(): string[] {
  return [...Object.keys(modules), ...Object.keys(actions)].sort();
}
