// meta: flush_handlers (Ansible's): the task itself does nothing; the engine runs the handlers
// notified so far right after it, instead of at the end of the play.
import { Type } from '@sinclair/typebox';
import type { Action } from '../model/action.js';
import { FLUSH_HANDLERS } from '../model/playbook.js';

const schema = Type.Object({}, { additionalProperties: false });

export const flushHandlers: Action<typeof schema> = {
  name: FLUSH_HANDLERS,
  schema,
  run: () => Promise.resolve({ status: 'ok' }),
};
