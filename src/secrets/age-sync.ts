// age (the age-encryption package, by age's author) behind a synchronous facade.
//
// Templates read `{{ secrets.NAME }}` synchronously (handlebars and the expression evaluator
// are synchronous), but age-encryption is promise-based (WebCrypto X25519). So the library
// runs in a worker thread and the caller blocks on an Atomics.wait until the answer is back:
// one call costs well under a millisecond plus the cryptography itself, and the worker is
// only started by the first call (a run that reads no secret never starts it). Plaintext
// crosses between threads in memory only.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { MessagePort, Worker } from 'node:worker_threads';

type Request =
  | { op: 'encrypt'; recipients: string[]; plaintext: Uint8Array }
  | { op: 'decrypt'; identities: string[]; armored: string }
  | { op: 'generateIdentity' }
  | { op: 'recipientOf'; identity: string };

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** Runs inside the worker (a CommonJS script: eval workers are). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, signal, ageUrl, ageSource } = workerData;
const sig = new Int32Array(signal);
const agePromise = ageSource === undefined ? import(ageUrl) : Promise.resolve().then(() => {
  const m = { exports: {} };
  require('node:vm').runInThisContext('(function (module, exports, require) {' + ageSource + '\\n})', { filename: 'age-encryption.cjs' })(m, m.exports, require);
  return m.exports;
});
async function handle(age, req) {
  switch (req.op) {
    case 'encrypt': {
      const e = new age.Encrypter();
      for (const r of req.recipients) e.addRecipient(r);
      return age.armor.encode(await e.encrypt(req.plaintext));
    }
    case 'decrypt': {
      const d = new age.Decrypter();
      for (const i of req.identities) d.addIdentity(i);
      return await d.decrypt(age.armor.decode(req.armored), 'uint8array');
    }
    case 'generateIdentity':
      return await age.generateX25519Identity();
    case 'recipientOf':
      return await age.identityToRecipient(req.identity);
  }
  throw new Error('unknown operation ' + req.op);
}
port.on('message', async (req) => {
  let reply;
  try {
    reply = { id: req.id, ok: true, value: await handle(await agePromise, req) };
  } catch (e) {
    reply = { id: req.id, ok: false, error: String((e && e.message) || e) };
  }
  port.postMessage(reply);
  Atomics.add(sig, 0, 1);
  Atomics.notify(sig, 0);
});
`;

/** The single-file build (scripts/bundle.mjs) has no node_modules to load age-encryption
 * from: it bakes the library in here, as CommonJS source for the worker to run. */
declare const __FLEET_AGE_SOURCE__: string | undefined;

/** Generous: the machine may be loaded; a real call takes milliseconds. */
const CALL_TIMEOUT_MS = 60_000;

/** The library's own error text, for callers that turn it into a clear message. */
export class AgeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgeError';
  }
}

/** node:worker_threads, loaded with the first age call: most runs hold no age secret, and
 * loading it was part of every run's start-up. */
const threads = (): typeof import('node:worker_threads') => createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');

class AgeWorker {
  private readonly threads = threads();
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private nextId = 1;

  constructor() {
    const { port1, port2 } = new this.threads.MessageChannel();
    this.port = port1;
    const ageSource = typeof __FLEET_AGE_SOURCE__ === 'string' ? __FLEET_AGE_SOURCE__ : undefined;
    const ageUrl = ageSource === undefined ? pathToFileURL(createRequire(import.meta.url).resolve('age-encryption')).href : undefined;
    this.worker = new this.threads.Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, signal: this.signal.buffer, ageUrl, ageSource },
      transferList: [port2],
    });
    // Never keeps the process alive: a command ends when its own work is done.
    this.worker.unref();
  }

  call(req: Request): unknown {
    const id = this.nextId++;
    this.port.postMessage({ ...req, id });
    const deadline = Date.now() + CALL_TIMEOUT_MS;
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      const got = this.threads.receiveMessageOnPort(this.port);
      if (got) {
        const reply = got.message as Reply;
        if (reply.id !== id) continue; // an answer to a call that timed out earlier
        if (!reply.ok) throw new AgeError(reply.error);
        return reply.value;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new AgeError(`the age worker did not answer within ${CALL_TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.signal, 0, seen, Math.min(left, 200));
    }
  }
}

let worker: AgeWorker | undefined;
function age(): AgeWorker {
  worker ??= new AgeWorker();
  return worker;
}

/** Encrypt for every recipient (age1...); ASCII-armored, so it sits in YAML and diffs well. */
export function ageEncrypt(plaintext: Uint8Array | string, recipients: string[]): string {
  if (recipients.length === 0) throw new AgeError('no recipients to encrypt for');
  const bytes = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext;
  return age().call({ op: 'encrypt', recipients, plaintext: bytes }) as string;
}

/** Decrypt an armored age file with any of the identities (AGE-SECRET-KEY-1...). */
export function ageDecrypt(armored: string, identities: string[]): Uint8Array {
  const out = age().call({ op: 'decrypt', identities, armored }) as Uint8Array;
  return new Uint8Array(out);
}

export function ageGenerateIdentity(): string {
  return age().call({ op: 'generateIdentity' }) as string;
}

export function ageRecipientOf(identity: string): string {
  return age().call({ op: 'recipientOf', identity }) as string;
}
