// Look-ahead ports for a rider test: no registered names, an empty context, every condition
// true, tasks prepared from their own params; the test gives the cached probe answers.
import type { LookaheadPorts } from '../../../src/engine/pipeline.js';
import { prepareTask } from '../../../src/engine/prepare-task.js';

export function lookaheadPorts(over: Pick<LookaheadPorts, 'cached'> & Partial<LookaheadPorts>): LookaheadPorts {
  return {
    become: true,
    registerNames: new Set(),
    registered: () => false,
    context: () => ({}),
    whenHolds: () => true,
    prepare: (u, ctx) => prepareTask(u.task, ctx, undefined),
    ...over,
  };
}
