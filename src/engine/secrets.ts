// Values that must never be printed, found by the engine and registered with the run's
// SecretRegistry (report/ masks them): variables and registered results named like secrets,
// and params a module or action marks secret.
import type { Vars } from '../model/inventory.js';
import type { SecretRegistry } from '../model/secrets.js';

const SECRET_NAME = /(password|passwd|passphrase|secret|token|private_key|api_key)$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Values of the variables named like secrets. */
export function secretValues(vars: Vars): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(vars)) {
    if (isSecretName(k) && typeof v === 'string' && v.length > 0) out.push(v);
  }
  return out;
}

/** The secret params of a module or action; copy/template content under `secret: true`. */
export function registerParamSecrets(secretParams: readonly string[] | undefined, params: Vars, registry: SecretRegistry): void {
  const names = [...(secretParams ?? []), ...(params.secret === true ? ['content'] : [])];
  for (const name of names) {
    const v = params[name];
    if (typeof v === 'string' && v) registry.add(v);
  }
}

/** A result registered under a secret-looking name: what its command printed is secret. */
export function registerResultSecrets(name: string, reg: Vars, registry: SecretRegistry): void {
  if (!isSecretName(name)) return;
  for (const k of ['stdout', 'stderr']) {
    const v = reg[k];
    if (typeof v === 'string' && v.trim()) registry.add(v.trim());
  }
}
