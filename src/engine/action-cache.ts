// Whether the probe answers read before an action's change still hold after it. An action that
// changed something voids them (it reached the host with scripts of its own), unless it wrote only
// on the controller (inventory_var: the admin user and sudo for the next runs) and the later probes
// still run as the same user on the host: `become: true` written for a run logged in as root
// still reads as root; for another login user, sudo would read as another user.
import type { AnyAction } from '../model/action.js';

/** Who the host's probes run as: root through sudo, else the user the run logged in as
 * (undefined when not known). */
export function probesRunAs(become: boolean, loginUser: string | undefined): string | undefined {
  return become ? 'root' : loginUser;
}

export function probesSurvive(action: AnyAction, runAsBefore: string | undefined, runAsAfter: string | undefined): boolean {
  return action.controllerOnly === true && runAsBefore !== undefined && runAsBefore === runAsAfter;
}
