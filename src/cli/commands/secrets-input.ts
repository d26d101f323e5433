// Reading a secret value for `fleet secrets set`: from stdin, never from the command line
// (argv is visible to every user in `ps` and lands in shell history).
import { SecretsError } from '../../secrets/index.js';

/** A piped value (`pass show x | fleet secrets set x`) or, on a terminal, a hidden prompt. */
export async function readSecretValue(name: string): Promise<string> {
  const raw = process.stdin.isTTY ? await prompt(`value for ${name} (not shown; Enter to finish): `) : await readAll();
  // `echo pw |` adds a newline that is not part of a one-line value; a multi-line value
  // (a PEM key) keeps its bytes exactly.
  const body = raw.replace(/\r?\n$/, '');
  const value = body.includes('\n') ? raw : body;
  if (value === '') throw new SecretsError(`no value for ${name}: give it on stdin (e.g. \`fleet secrets set ${name} < file\`)`);
  return value;
}

function readAll(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    process.stderr.write(question);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new SecretsError('interrupted: nothing was set'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
