// Generators for secrets created on first use. A generator is declared once (in the
// secrets file or by a role) and runs once per secret; after that the stored value is used
// forever, until `fleet secrets rotate` runs it again deliberately.
//
//   {length: 32}                        32 characters of A-Za-z0-9 (the default alphabet)
//   {length: 32, alphabet: hex}         a named alphabet, or the characters themselves
//   {hex: 32}   {base64: 32}            32 random bytes, hex or base64 encoded
//   {type: ed25519}                     an OpenSSH private key; public: "ssh-ed25519 AAAA..."
//   {type: age}  (or x25519)            AGE-SECRET-KEY-1...; public: age1...
//   {type: wireguard}                   wg genkey's base64; public: wg pubkey's
//   {type: rsa, bits: 3072}             PKCS#8 PEM; public: SPKI PEM
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import { ageGenerateIdentity, ageRecipientOf } from './age-sync.js';

export type GeneratorSpec =
  | { kind: 'chars'; length: number; alphabet: string; alphabetName?: string }
  | { kind: 'bytes'; bytes: number; encoding: 'hex' | 'base64' }
  | { kind: 'key'; type: 'ed25519' | 'age' | 'wireguard' | 'rsa'; bits?: number };

export interface Generated {
  value: string;
  /** The public half of a key pair, stored in clear beside the value. */
  public?: string;
}

export const ALPHABETS: Record<string, string> = {
  alnum: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  alpha: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  lower: 'abcdefghijklmnopqrstuvwxyz',
  upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  hex: '0123456789abcdef',
  base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  // Printable ASCII without the characters that need quoting in shells, YAML or config files.
  symbols: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%+,-./:=?@^_~',
};

const KEY_TYPES = ['ed25519', 'age', 'x25519', 'wireguard', 'rsa'];
const MAX_LENGTH = 4096;

/** Parse a generator as written in YAML; returns an error text (what was expected) or the spec. */
export function parseGenerator(raw: unknown): GeneratorSpec | string {
  const expected =
    'expected a generator: {length: N} (alphabet: alnum, alpha, lower, upper, digits, hex, base64url, symbols, or the characters), ' +
    '{hex: BYTES}, {base64: BYTES}, or {type: ed25519 | age | wireguard | rsa}';
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return expected;
  const g = raw as Record<string, unknown>;
  const keys = Object.keys(g);
  const only = (allowed: string[]): string | undefined => {
    const extra = keys.find((k) => !allowed.includes(k));
    return extra ? `unknown key '${extra}' in the generator (allowed here: ${allowed.join(', ')})` : undefined;
  };
  const count = (v: unknown, what: string): number | string =>
    typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_LENGTH
      ? v
      : `${what} must be a whole number from 1 to ${MAX_LENGTH}, got ${JSON.stringify(v)}`;
  if ('length' in g) {
    const bad = only(['length', 'alphabet']);
    if (bad) return bad;
    const length = count(g.length, 'length');
    if (typeof length === 'string') return length;
    const a = g.alphabet ?? 'alnum';
    if (typeof a !== 'string' || a === '')
      return `alphabet must be a name (${Object.keys(ALPHABETS).join(', ')}) or the characters to use, got ${JSON.stringify(a)}`;
    if (a in ALPHABETS) return { kind: 'chars', length, alphabet: ALPHABETS[a], alphabetName: a };
    const chars = [...new Set(a)].join('');
    if (chars.length < 2) return `alphabet '${a}' has fewer than 2 different characters`;
    return { kind: 'chars', length, alphabet: chars };
  }
  for (const encoding of ['hex', 'base64'] as const) {
    if (encoding in g) {
      const bad = only([encoding]);
      if (bad) return bad;
      const bytes = count(g[encoding], `${encoding} (a number of random bytes)`);
      if (typeof bytes === 'string') return bytes;
      return { kind: 'bytes', bytes, encoding };
    }
  }
  if ('type' in g) {
    const bad = only(['type', 'bits']);
    if (bad) return bad;
    if (typeof g.type !== 'string' || !KEY_TYPES.includes(g.type))
      return `type must be one of ${KEY_TYPES.join(', ')}, got ${JSON.stringify(g.type)}`;
    const type = g.type === 'x25519' ? 'age' : (g.type as 'ed25519' | 'age' | 'wireguard' | 'rsa');
    if (g.bits !== undefined && type !== 'rsa') return `bits is only for type rsa`;
    if (type === 'rsa') {
      const bits = g.bits ?? 3072;
      if (bits !== 2048 && bits !== 3072 && bits !== 4096) return `bits must be 2048, 3072 or 4096, got ${JSON.stringify(g.bits)}`;
      return { kind: 'key', type, bits: bits as number };
    }
    return { kind: 'key', type };
  }
  return expected;
}

/** The generator as it is written back into YAML (the form parseGenerator reads). */
export function generatorToYaml(g: GeneratorSpec): Record<string, unknown> {
  if (g.kind === 'chars')
    return g.alphabetName === 'alnum' ? { length: g.length } : { length: g.length, alphabet: g.alphabetName ?? g.alphabet };
  if (g.kind === 'bytes') return { [g.encoding]: g.bytes };
  return g.type === 'rsa' ? { type: 'rsa', bits: g.bits } : { type: g.type };
}

export function describeGenerator(g: GeneratorSpec): string {
  if (g.kind === 'chars') return `${g.length} characters (${g.alphabetName ?? `alphabet ${JSON.stringify(g.alphabet)}`})`;
  if (g.kind === 'bytes') return `${g.bytes} random bytes, ${g.encoding}`;
  return g.type === 'rsa' ? `rsa ${g.bits} key` : `${g.type} key`;
}

export function generate(g: GeneratorSpec): Generated {
  switch (g.kind) {
    case 'chars': {
      // randomInt rejects biased draws itself: every character is uniform over the alphabet.
      let s = '';
      for (let i = 0; i < g.length; i++) s += g.alphabet[randomInt(g.alphabet.length)];
      return { value: s };
    }
    case 'bytes':
      return { value: randomBytes(g.bytes).toString(g.encoding) };
    case 'key':
      return generateKey(g.type, g.bits);
  }
}

function generateKey(type: 'ed25519' | 'age' | 'wireguard' | 'rsa', bits?: number): Generated {
  if (type === 'age') {
    const identity = ageGenerateIdentity();
    return { value: identity, public: ageRecipientOf(identity) };
  }
  if (type === 'wireguard') {
    // wg genkey: 32 random bytes, clamped for Curve25519; wg pubkey: its X25519 public key.
    const priv = randomBytes(32);
    priv[0] &= 248;
    priv[31] = (priv[31] & 127) | 64;
    const key = x25519PrivateKey(priv);
    const pub = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32);
    return { value: priv.toString('base64'), public: pub.toString('base64') };
  }
  if (type === 'rsa') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits ?? 3072 });
    return {
      value: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      public: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { value: openSshEd25519(seed, pub), public: `ssh-ed25519 ${sshPublicBlob(pub).toString('base64')}` };
}

function x25519PrivateKey(raw: Buffer): KeyObject {
  // PKCS#8 wrapping of a raw X25519 private key (RFC 8410): a fixed 16-byte prefix.
  const prefix = Buffer.from('302e020100300506032b656e04220420', 'hex');
  return createPrivateKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'pkcs8' });
}

function sshString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function sshPublicBlob(pub: Buffer): Buffer {
  return Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
}

/** OpenSSH's own private key format (PROTOCOL.key), unencrypted, as ssh-keygen writes it. */
function openSshEd25519(seed: Buffer, pub: Buffer): string {
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString('fleet'),
  ]);
  const pad = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    Buffer.from([0, 0, 0, 1]),
    sshString(sshPublicBlob(pub)),
    sshString(priv),
  ]);
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`;
}
