// Each task's variables (vars.ts buildContext: every layer copied, the Ansible fact names, the
// secrets store, hostvars) were built afresh for every task of every host, and again for its
// speculation: at 200 hosts a tenth of fleet's own work, for contexts that are the same for
// every task of a role until something is registered. One context per host runtime, scope
// and role is kept while the run's generation (bumped by every registered value, fact and
// inventory write) and this cache's own epoch (bumped when the runtime is changed without
// the generation: speculation's guesses, an action on the controller) stand. A task with
// vars of its own (task or block vars, a looped include's item) gets a context of its own.
// Callers must not change a context they get (the engine copies before adding an item).
import type { Vars } from '../model/inventory.js';
import type { Play, RoleRef, Task } from '../model/playbook.js';
import { buildContext, type HostRuntime, type VarsScope } from './vars.js';

interface Kept {
  generation: number;
  epoch: number;
  byScope: Map<VarsScope, Map<RoleRef | Play, Vars>>;
}

export class ContextCache {
  private kept = new WeakMap<HostRuntime, Kept>();
  private epoch = 0;
  /** Contexts built, and taken from the cache (tests read them). */
  readonly stats = { built: 0, reused: 0 };

  /** The runtime changed (its registered values, its facts) without the run's generation. */
  invalidate(): void {
    this.epoch++;
  }

  get(scope: VarsScope, rt: HostRuntime, play: Play, roleRef: RoleRef | undefined, task: Task | undefined): Vars {
    if (task?.vars !== undefined || task?.includeVars !== undefined) {
      this.stats.built++;
      return buildContext(scope, rt, play, roleRef, { withHostvars: false, task });
    }
    let kept = this.kept.get(rt);
    if (!kept || kept.generation !== scope.generation.value || kept.epoch !== this.epoch) {
      kept = { generation: scope.generation.value, epoch: this.epoch, byScope: new Map() };
      this.kept.set(rt, kept);
    }
    let byRole = kept.byScope.get(scope);
    if (!byRole) kept.byScope.set(scope, (byRole = new Map()));
    const key = roleRef ?? play;
    const hit = byRole.get(key);
    if (hit) {
      this.stats.reused++;
      return hit;
    }
    this.stats.built++;
    const ctx = buildContext(scope, rt, play, roleRef, { withHostvars: false });
    byRole.set(key, ctx);
    return ctx;
  }
}
