// Errors of the secrets layer. A ConfigError, so the CLI reports it as one clear message
// (exit 3) and, inside a run, before any host is contacted.
import { ConfigError } from '../model/errors.js';

export class SecretsError extends ConfigError {
  constructor(detail: string, where?: { file: string; line?: number; column?: number }) {
    super(where?.file ?? '', where?.line, where?.column, detail);
    if (!where) this.message = detail;
    this.name = 'SecretsError';
  }
}
