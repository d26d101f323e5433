// Small builders of action results shared by the docker and swarm actions.
import type { ActionContext, ActionResult } from '../../model/action.js';

export function failed(msg: string, extra: Omit<NonNullable<ActionResult['failure']>, 'msg'> = {}): ActionResult {
  return { status: 'failed', msg, failure: { msg, ...extra } };
}

/** Check mode with an earlier pending change: "will change (after: X)", never a false failure. */
export function afterPending(ctx: ActionContext, what: string): ActionResult | undefined {
  if (!ctx.check || !ctx.pendingAfter) return undefined;
  return { status: 'changed', after: ctx.pendingAfter, msg: `${what} (after: ${ctx.pendingAfter})` };
}
