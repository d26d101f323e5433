// `fleet help [TOPIC]`: pages rendered from the commands' documentation (reference/).
import type { CommandModule } from 'yargs';
import { ConfigError } from '../../model/errors.js';
import { helpDoc } from '../reference/help-doc.js';
import { helpIndex, helpPage, manPage, TOPICS } from '../reference/text.js';
import { applyOptions } from '../spec.js';
import { versionInfo } from '../version.js';

export const helpCommand: CommandModule<object, { topic?: string; man: boolean }> = {
  command: 'help [topic]',
  describe: helpDoc.summary,
  builder: (y) => applyOptions(y.positional('topic', { type: 'string' }), helpDoc.options) as never,
  handler: (args) => showHelp(args.topic, args.man),
};

export function showHelp(topic: string | undefined, man: boolean): void {
  if (man) return void process.stdout.write(manPage(versionInfo().version));
  if (!topic) return void process.stdout.write(helpIndex());
  const page = helpPage(topic);
  if (!page) throw new ConfigError('command line (TOPIC)', undefined, undefined, `no help topic '${topic}' (commands, or: ${TOPICS.join(', ')})`);
  process.stdout.write(page);
}
