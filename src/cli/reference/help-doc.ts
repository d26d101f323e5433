// `fleet help` documents itself like every other command.
import type { CommandDoc } from '../spec.js';

export const helpDoc: CommandDoc = {
  name: 'help',
  usage: 'fleet help [TOPIC]',
  summary: 'a page per command (`fleet help run`), and the topics `exit-codes` and `settings`; `--man` prints the man page',
  options: [{ name: 'man', type: 'boolean', default: false, describe: 'print the whole manual as a man page (roff)' }],
};
