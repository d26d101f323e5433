// An undefined `secrets.NAME` is almost always a secret that was never stored (or a
// machine where `fleet secrets init` was never run): the error says how to store it.
import { TemplateError } from '../../template/index.js';

export function secretsHint(err: unknown): string {
  if (!(err instanceof TemplateError)) return '';
  const m = /^secrets(?:\.([A-Za-z_][\w@.-]*)|\[|$)/.exec(err.variable ?? '');
  if (!m) return '';
  const name = m[1]?.split('.')[0] ?? 'NAME';
  return (
    `  secrets.${name} is read from the encrypted secrets file inventory/secrets.yml: create it (and your age identity) with ` +
    `\`fleet secrets init\`, then store the value with \`fleet secrets set ${name}\` (read from stdin), ` +
    `or declare a generator for it (generate: {length: 32}) in the file or in the role's secrets.yml\n`
  );
}
