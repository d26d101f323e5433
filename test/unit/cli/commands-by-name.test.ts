// cli.ts loads only the named command's module (start-up): the table it loads from must
// name every command of index.ts, in its order, with the same module and documentation.
import { describe, expect, it } from 'vitest';
import { COMMAND_LOADERS } from '../../../src/cli/commands/by-name.js';
import { COMMANDS } from '../../../src/cli/commands/index.js';

describe('commands loaded by name', () => {
  it('has exactly the registered commands, in order', () => {
    expect(Object.keys(COMMAND_LOADERS)).toEqual(COMMANDS.map((c) => c.doc.name));
  });

  it('each loads the command registered under its name', async () => {
    for (const c of COMMANDS) {
      const got = await COMMAND_LOADERS[c.doc.name]();
      expect(got.doc).toBe(c.doc);
      expect(got.module.command).toBe(c.module.command);
      expect(got.module.describe).toBe(c.module.describe);
    }
  });
});
