// Every secret value this process has seen in clear: decrypted from the secrets store or an
// Ansible Vault, generated, a sudo password, a variable named like a secret. Every Redactor
// reads it, so a value is masked in all output from the moment it exists in memory,
// whichever path (event, error message, trace, stack trace) it later takes. Here, in model/,
// because every layer that meets a secret (config, transport, secrets, engine) must be able to
// register it and report/ must read it, and none of them may import another.

const values = new Set<string>();
let version = 0;

/** Mark a value as secret: strings as they are; numbers and booleans as their text; the
 * leaves of lists and mappings one by one. */
export function revealSecret(value: unknown): void {
  const before = values.size;
  collect(value, values);
  if (values.size !== before) version++;
}

function collect(v: unknown, into: Set<string>): void {
  if (typeof v === 'string') {
    if (v !== '') into.add(v);
  } else if (typeof v === 'number' || typeof v === 'bigint') {
    into.add(String(v));
  } else if (Array.isArray(v)) {
    for (const x of v) collect(x, into);
  } else if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) collect(x, into);
  }
}

/** Changes whenever a value is added: readers re-read only then. */
export function secretsVersion(): number {
  return version;
}

export function knownSecrets(): ReadonlySet<string> {
  return values;
}

const SECRET_NAME = /(password|passwd|passphrase|secret|token|private_key|api_key)$/i;

/** Is this variable (or key) named like a secret: *password, *secret, *token, *passphrase,
 * *private_key, *api_key? */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}
