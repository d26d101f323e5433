// Values that must never be printed, found by the engine and registered with the run's
// SecretRegistry (report/ masks them): variables and registered results named like secrets,
// and params a module or action marks secret.
import type { Vars } from '../model/inventory.js';
import type { SecretRegistry } from '../model/secrets.js';
import { isSecretName } from '../model/secret-values.js';
import { namedSecretValues } from '../secrets/index.js';

export { isSecretName };

/** Values of the variables named like secrets, at any depth (db: {password: ...}), as text. */
export function secretValues(vars: Vars): string[] {
  return namedSecretValues(vars).map(String);
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
