// `fleet lab up [N] | down | status | ssh HOST [-- COMMAND]`: the lab of real test hosts
// (src/lab/). Thin: parse, call the lab, print, set the exit code.
import type { Argv, CommandModule } from 'yargs';
import { labDown, labShell, labStatus, labUp, type LabInstanceSpec, type LabOptions } from '../../lab/index.js';
import { loadInventory } from '../../config/index.js';
import { lightDown, lightStatus, lightUp } from '../../lab/light.js';
import { EXIT } from '../exit-codes.js';
import type { CommandDoc } from '../spec.js';

export const labDoc: CommandDoc = {
  name: 'lab',
  usage: 'fleet lab up [N] \\| down \\| status \\| ssh HOST [-- CMD]',
  summary: 'the lab of real test hosts (below)',
  options: [
    { name: 'name', type: 'string', arg: 'NAME', default: 'lab', describe: 'lab instance (another name needs --subnet)' },
    { name: 'subnet', type: 'string', arg: 'A.B.C.0/24', describe: 'IPv4 /24 of a non-default instance' },
    { name: 'json', type: 'boolean', default: false, describe: 'status: as JSON' },
    { name: 'light', type: 'boolean', default: false, describe: 'up/down/status: light hosts for scale tests, one sshd each on 127.77.x.y:2222 (another `--name`: another 127.N, below)' },
  ],
};

interface Args {
  n?: number;
  host?: string;
  command?: string[];
  name: string;
  subnet?: string;
  json: boolean;
  light: boolean;
}

/** The light lab's name: --name, or "light" when it was left at the lab's default. */
const lightName = (args: Args): string => (args.name === 'lab' ? 'light' : args.name);

function instanceOf(args: Args): LabOptions {
  if (args.name === 'lab' && !args.subnet) return {};
  if (!args.subnet) throw new Error(`lab instance "${args.name}" needs --subnet (e.g. --subnet 10.231.1.0/24)`);
  const instance: LabInstanceSpec = { name: args.name, subnet: args.subnet };
  return { instance };
}

const progress = (m: string) => process.stderr.write(`${m}\n`);

/** Run one lab action; lab errors (not root, a host missing...) are one clean line. */
function act(fn: (args: Args) => Promise<number>): (args: Args) => Promise<void> {
  return async (args) => {
    try {
      process.exitCode = await fn(args);
    } catch (err) {
      process.stderr.write(`fleet lab: ${(err instanceof Error ? err.message : String(err)).replace(/^lab: /, '')}\n`);
      process.exitCode = EXIT.failed;
    }
  };
}

export const labCommand: CommandModule<object, Args> = {
  command: 'lab <action>',
  describe: 'the lab of real Debian test hosts on this machine (root, Linux): up [N], down, status, ssh HOST [-- CMD]',
  builder: (y: Argv) =>
    y
      .option('name', { type: 'string', default: 'lab', describe: 'lab instance (another name needs --subnet)' })
      .option('subnet', { type: 'string', describe: 'IPv4 /24 of a non-default instance, e.g. 10.231.1.0/24' })
      .option('light', { type: 'boolean', default: false, describe: 'light hosts for scale tests: one sshd each on a loopback address (up, down, status)' })
      .command({
        command: 'up [n]',
        describe: 'boot N hosts (default 3; existing hosts are kept), write inventory/lab.yml',
        builder: (yy: Argv) => yy.positional('n', { type: 'number', default: 3 }) as never,
        handler: act(async (args) => {
          if (args.light) {
            const lab = await lightUp(args.n ?? 3, { name: lightName(args), onProgress: progress });
            process.stdout.write(`inventory: ${lab.inventoryFile}\nknown_hosts: ${lab.knownHostsFile}\n`);
            return EXIT.ok;
          }
          const info = await labUp(args.n ?? 3, { ...instanceOf(args), onProgress: progress, projectDir: process.cwd() });
          for (const h of info.hosts) process.stdout.write(`${h.name}\t${h.address}\t${h.group}\n`);
          if (info.inventoryFile) process.stdout.write(`inventory: ${info.inventoryFile}\nknown_hosts: ${info.projectKnownHostsFile}\n`);
          return EXIT.ok;
        }),
      } as CommandModule<object, Args>)
      .command({
        command: 'down',
        describe: 'stop every host and remove everything the lab made, then verify nothing is left',
        handler: act(async (args) => {
          if (args.light) {
            await lightDown({ name: lightName(args), onProgress: progress });
            return EXIT.ok;
          }
          await labDown({ ...instanceOf(args), onProgress: progress });
          return EXIT.ok;
        }),
      } as CommandModule<object, Args>)
      .command({
        command: 'status',
        describe: 'hosts, addresses, up or down (exit 0 only when the lab is up)',
        builder: (yy: Argv) => yy.option('json', { type: 'boolean', default: false }) as never,
        handler: act(async (args) => {
          if (args.light) {
            const l = lightStatus({ name: lightName(args) });
            const up = l.hosts.filter((h) => h.up).length;
            if (args.json) process.stdout.write(JSON.stringify(l) + '\n');
            else {
              process.stdout.write(`light lab ${l.name}: ${up} of ${l.hosts.length} hosts up (${l.stateDir})\n`);
              for (const h of l.hosts) process.stdout.write(`${h.name}\t${h.address}\t${h.up ? 'up' : 'down'}\n`);
            }
            return l.hosts.length > 0 && up === l.hosts.length ? EXIT.ok : EXIT.failed;
          }
          const s = await labStatus(instanceOf(args));
          if (args.json) process.stdout.write(JSON.stringify(s) + '\n');
          else {
            process.stdout.write(`lab ${s.name}: ${s.up ? 'up' : 'down'} (bridge ${s.bridge} ${s.bridgeUp ? 'up' : 'absent'}, package source ${s.packageSource ? 'up' : 'down'})\n`);
            for (const h of s.hosts) process.stdout.write(`${h.name}\t${h.address}\t${h.running ? (h.ssh ? 'up' : 'booting (no ssh)') : 'down'}\n`);
          }
          return s.up ? EXIT.ok : EXIT.failed;
        }),
      } as CommandModule<object, Args>)
      .command({
        command: 'ssh <host> [command..]',
        describe: 'a root shell on HOST, or run COMMAND there as root (its exit code is passed through); logs in as inventory/lab.yml says (admin user and sudo after harden-ssh), else as root',
        builder: (yy: Argv) =>
          yy.positional('host', { type: 'string', demandOption: true }).positional('command', { type: 'string', array: true }) as never,
        handler: act(async (args) => {
          // Words after `--` are the command verbatim (yargs would parse them as its own).
          const dd = process.argv.indexOf('--');
          const words = (dd >= 0 ? process.argv.slice(dd + 1) : (args.command ?? [])).map(String);
          // As the project's inventory (inventory/<lab>.yml) now says: roles may have turned root
          // login off and moved the port.
          return labShell(args.host!, words.length ? words.join(' ') : undefined, {
            ...instanceOf(args),
            project: { dir: process.cwd(), connectionOf: (paths, host) => loadInventory(paths).hosts.get(host)?.connection },
          });
        }),
      } as CommandModule<object, Args>)
      .demandCommand(1, 'give a lab action: up [N], down, status or ssh HOST') as never,
  handler: () => undefined,
};
