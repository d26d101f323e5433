// `fleet secrets ...`: the encrypted secrets file next to the inventory.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import {
  SecretStore,
  SecretsError,
  createIdentityFile,
  describeGenerator,
  identityFileToCreate,
  identityFileTooOpen,
  loadIdentity,
  projectDeclarations,
  projectDirOf,
  storeFileFor,
  splitInstance,
} from '../../secrets/index.js';
import { editSecrets } from './secrets-edit.js';
import { readSecretValue } from './secrets-input.js';
import { applyOptions, type CommandDoc } from '../spec.js';

interface Common {
  inventory: string[];
}

const out = (s: string): void => void process.stdout.write(s);
const note = (s: string): void => void process.stderr.write(s);

function storeOf(args: Common): SecretStore {
  return new SecretStore(storeFileFor(args.inventory));
}

function projectDir(args: Common): string {
  return projectDirOf(storeFileFor(args.inventory));
}

function declared(args: Common, name: string) {
  return projectDeclarations(dirname(dirname(storeFileFor(args.inventory)))).get(splitInstance(name).base);
}

async function init(args: Common): Promise<void> {
  const file = storeFileFor(args.inventory);
  let recipient: string;
  if (process.env.FLEET_AGE_IDENTITY?.trim()) {
    recipient = new SecretStore(file).myKeys()[0];
    note(`using the identity in env FLEET_AGE_IDENTITY\n`);
  } else {
    const idFile = identityFileToCreate();
    if (existsSync(idFile)) {
      loadIdentity({ projectDir: projectDir(args) });
      recipient = new SecretStore(file).myKeys()[0];
      note(`using your age identity ${idFile}\n`);
      if (identityFileTooOpen(idFile)) note(`warning: ${idFile} is readable by others: chmod 600 ${idFile}\n`);
    } else {
      ({ recipient } = createIdentityFile(idFile, projectDir(args)));
      note(
        `created your age identity ${idFile} (mode 0600): keep it safe and out of the repository; without it, nothing in the secrets file can be read\n`,
      );
    }
  }
  const store = new SecretStore(file);
  if (!store.exists) {
    store.init(recipient);
    note(`created ${file}, encrypted for you; commit it\n`);
  } else if (store.recipients.includes(recipient)) {
    note(`${file} exists and you are one of its recipients\n`);
  } else {
    note(`${file} exists but you are not one of its recipients: ask someone who is to run\n  fleet secrets recipients add ${recipient}\n`);
  }
  out(`your public key: ${recipient}\n`);
}

async function set(args: Common & { name: string }): Promise<void> {
  const value = await readSecretValue(args.name);
  const store = storeOf(args);
  const existed = store.entry(args.name)?.armored !== undefined;
  store.set(args.name, value);
  note(`${existed ? 'updated' : 'added'} ${args.name} in ${store.file}\n`);
}

function get(args: Common & { name: string }): void {
  const v = storeOf(args).reveal(args.name, { declared: declared(args, args.name) });
  out(v.endsWith('\n') ? v : v + '\n');
}

function rotate(args: Common & { name: string }): void {
  const store = storeOf(args);
  const done = store.rotate(args.name, declared(args, args.name));
  note(
    `rotated ${done.join(', ')} in ${store.file}: the next apply writes the new value${done.length > 1 ? 's' : ''} to the hosts that use ${done.length > 1 ? 'them' : 'it'}\n`,
  );
}

function list(args: Common & { json: boolean }): void {
  const store = storeOf(args);
  const decl = projectDeclarations(dirname(dirname(store.file)));
  const rows: { name: string; state: string; generator?: string; public?: string; description?: string; warning?: string }[] = [];
  const n = store.recipients.length;
  for (const e of store.entries()) {
    const stanzas = store.stanzaCount(e.name);
    rows.push({
      name: e.name,
      state: e.perHost ? 'per host' : e.armored ? (e.generator ? 'generated' : 'set') : 'not generated yet',
      generator: e.generator ? describeGenerator(e.generator) : undefined,
      public: e.public,
      description: e.description,
      warning:
        stanzas !== undefined && stanzas !== n
          ? `encrypted for ${stanzas} key(s), the file lists ${n}: run \`fleet secrets reencrypt\``
          : undefined,
    });
  }
  for (const d of decl.values()) {
    if (store.entry(d.name)) continue;
    const instances = store.entries().filter((e) => splitInstance(e.name).base === d.name && splitInstance(e.name).host);
    if (d.perHost && instances.length) continue;
    rows.push({
      name: d.name,
      state: `declared by ${d.where}${d.perHost ? ' (per host)' : ''}, not generated yet`,
      generator: describeGenerator(d.generator),
      description: d.description,
    });
  }
  if (args.json) return out(JSON.stringify({ file: store.file, recipients: store.recipients, secrets: rows }, null, 2) + '\n');
  if (!store.exists) note(`no secrets file yet (${store.file}): run \`fleet secrets init\`\n`);
  for (const r of rows) {
    out(`${r.name}  ${r.state}${r.generator ? ` (${r.generator})` : ''}${r.description ? `  # ${r.description}` : ''}\n`);
    if (r.public) out(`    public: ${r.public.trim().split('\n').length > 1 ? r.public.trim().split('\n')[1] + '...' : r.public}\n`);
    if (r.warning) out(`    warning: ${r.warning}\n`);
  }
  out(`${rows.length} secret(s); ${n} recipient(s)\n`);
}

function recipients(args: Common & { action?: string; key?: string; comment?: string }): void {
  const store = storeOf(args);
  const action = args.action ?? 'list';
  if (action === 'list') {
    for (const r of store.recipients) out(`${r}\n`);
    return;
  }
  if (!args.key) throw new SecretsError(`fleet secrets recipients ${action} needs the age public key (age1...)`);
  const count = store.entries().filter((e) => e.armored).length;
  if (action === 'add') store.addRecipient(args.key, args.comment);
  else store.removeRecipient(args.key);
  note(`${action === 'add' ? 'added' : 'removed'} ${args.key}; re-encrypted ${count} value(s) in ${store.file}\n`);
  if (action === 'remove')
    note('the removed key can still read old copies of the file (git history): rotate what it must no longer know\n');
}

function reencrypt(args: Common): void {
  const store = storeOf(args);
  const n = store.reencrypt();
  note(`re-encrypted ${n} value(s) for ${store.recipients.length} recipient(s) in ${store.file}\n`);
}

export const secretsDoc: CommandDoc = {
  name: 'secrets',
  usage: 'fleet secrets init \\| set NAME \\| get NAME \\| edit \\| rotate NAME \\| list \\| recipients [add\\|remove KEY] \\| reencrypt',
  summary: 'the encrypted secrets file `inventory/secrets.yml` (see "Secrets" below); values are read from stdin, never from arguments',
  options: [
    {
      name: 'inventory',
      alias: 'i',
      type: 'string',
      arg: 'PATH',
      repeatable: true,
      default: ['inventory'],
      describe: 'inventory directory; the secrets file is its `secrets.yml`',
    },
    { name: 'json', type: 'boolean', default: false, describe: 'list: as JSON' },
    { name: 'comment', type: 'string', arg: 'WHO', describe: 'recipients add: who the key belongs to (kept as a comment)' },
  ],
  details: `init: create your age identity (if you have none) and the secrets file with you as its recipient; prints your public key.
set NAME: encrypt a value read from stdin (piped, or typed at a hidden prompt; never an argument).
get NAME: print a value in clear.
edit: every value in $VISUAL/$EDITOR, decrypted into a 0600 file in a private directory (RAM when /dev/shm exists) that is wiped afterwards; what changed is encrypted again.
rotate NAME: generate a new value for a generated secret (every host's, for a per-host one); the next apply writes it where it is used.
list: names, how each is made, public keys, problems; never values.
recipients [list | add KEY [--comment WHO] | remove KEY]: who can decrypt; adding or removing re-encrypts every value.
reencrypt: encrypt every value again for exactly the listed recipients (after editing the list by hand).`,
};

const name = <T>(y: Argv<T>) =>
  y.positional('name', {
    type: 'string',
    demandOption: true,
    describe: 'secret name (NAME, or NAME@HOST for one host of a per-host secret)',
  });

export const secretsCommand: CommandModule<object, Common> = {
  command: 'secrets <command>',
  describe: secretsDoc.summary,
  builder: (y) =>
    applyOptions(y, secretsDoc.options)
      .command(
        'init',
        'create your age identity (if needed) and the secrets file',
        (s) => s,
        (a) => init(a as never),
      )
      .command(
        'set <name>',
        'set a secret; the value is read from stdin, never the command line',
        (s) => name(s),
        (a) => set(a as never),
      )
      .command(
        'get <name>',
        'print a secret in clear',
        (s) => name(s),
        (a) => get(a as never),
      )
      .command(
        'edit',
        'edit every value in $EDITOR (decrypted in a private temp dir, re-encrypted after)',
        (s) => s,
        (a) => editSecrets(storeOf(a as never)),
      )
      .command(
        'rotate <name>',
        'generate a new value for a generated secret',
        (s) => name(s),
        (a) => rotate(a as never),
      )
      .command(
        'list',
        'names, how each is made, and problems; never values',
        (s) => s,
        (a) => list(a as never),
      )
      .command(
        'recipients [action] [key]',
        'list, add or remove who can decrypt (every value is re-encrypted)',
        (s) =>
          s
            .positional('action', { type: 'string', choices: ['list', 'add', 'remove'] })
            .positional('key', { type: 'string', describe: 'age public key (age1...)' }),
        (a) => recipients(a as never),
      )
      .command(
        'reencrypt',
        'encrypt every value again for exactly the listed recipients',
        (s) => s,
        (a) => reencrypt(a as never),
      )
      .demandCommand(1, 'give a secrets command: init, set, get, edit, rotate, list, recipients or reencrypt') as never,
  handler: () => undefined,
};
