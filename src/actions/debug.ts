// debug, fail and assert (Ansible's): decided on the controller from values the engine has
// already rendered; nothing on the host is read or changed, in apply and check mode alike.
import { Type } from '@sinclair/typebox';
import type { Action } from '../model/action.js';
import { paramsObject, rawSchema } from '../model/params.js';

const debugSchema = paramsObject({
  msg: Type.Optional(rawSchema<unknown>({})),
  /** debug var=NAME: the name, and (rendered) its value. */
  var: Type.Optional(Type.String({ minLength: 1 })),
  value: Type.Optional(rawSchema<unknown>({})),
  verbosity: Type.Optional(Type.Integer({ minimum: 0 })),
});

function shown(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}

export const debug: Action<typeof debugSchema> = {
  name: 'debug',
  schema: debugSchema,
  run(p) {
    if (p.var !== undefined)
      return Promise.resolve({ status: 'ok', msg: `${p.var}: ${shown(p.value)}`, registered: { [p.var]: p.value } });
    const msg = p.msg === undefined ? 'Hello world!' : p.msg;
    return Promise.resolve({ status: 'ok', msg: shown(msg), registered: { msg } });
  },
};

const failSchema = paramsObject({ msg: Type.Optional(rawSchema<unknown>({})) });

export const fail: Action<typeof failSchema> = {
  name: 'fail',
  schema: failSchema,
  run(p) {
    const msg = p.msg === undefined ? 'Failed as requested from task' : shown(p.msg);
    return Promise.resolve({ status: 'failed', msg, failure: { msg }, registered: { msg } });
  },
};

const assertSchema = paramsObject({
  /** Each condition as written, and what it evaluated to (True/False, rendered by the engine,
   * which may turn that text into a boolean as Ansible's native rendering does). */
  that: Type.Array(Type.Object({ cond: Type.String(), result: Type.Union([Type.Boolean(), Type.String()]) }, { additionalProperties: false }), { minItems: 1 }),
  fail_msg: Type.Optional(rawSchema<unknown>({})),
  success_msg: Type.Optional(rawSchema<unknown>({})),
  quiet: Type.Optional(Type.Boolean()),
});

export const assert: Action<typeof assertSchema> = {
  name: 'assert',
  schema: assertSchema,
  run(p) {
    // Ansible stops at the first condition that is false and names it.
    const bad = p.that.find((t) => t.result !== true && String(t.result).trim() !== 'True');
    if (bad) {
      const msg = p.fail_msg === undefined ? 'Assertion failed' : shown(p.fail_msg);
      return Promise.resolve({
        status: 'failed',
        msg,
        failure: { msg: `${msg} (assertion: ${bad.cond}, evaluated to false)` },
        registered: { msg, assertion: bad.cond, evaluated_to: false },
      });
    }
    const msg = p.success_msg === undefined ? 'All assertions passed' : shown(p.success_msg);
    return Promise.resolve({ status: 'ok', msg: p.quiet ? undefined : msg, registered: { msg } });
  },
};
