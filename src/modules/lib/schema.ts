// JSON Schema fragments shared by several modules' params.
import { modeSchema } from './mode.js';

export const pathSchema = { type: 'string', minLength: 1, pattern: '^/', description: 'absolute path' };
const account = { type: ['string', 'integer'], minLength: 1, pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?$' };

/** owner, group, mode: the attributes every file-like module manages. */
export const attrProps = {
  owner: { ...account, description: 'user name or uid' },
  group: { ...account, description: 'group name or gid' },
  mode: modeSchema,
};

export const nameSchema = { type: 'string', minLength: 1 };

/** An object schema: every key known, nothing else accepted. */
export function objectSchema(properties: Record<string, unknown>, required: string[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, properties, required, ...extra };
}

/** Options of the modules that edit part of a text file (line, block), like lineinfile and
 * blockinfile share theirs. */
export const textEditProps = {
  state: { type: 'string', enum: ['present', 'absent'], default: 'present' },
  insertafter: { type: 'string', minLength: 1, description: 'EOF, BOF or a regular expression' },
  insertbefore: { type: 'string', minLength: 1, description: 'BOF or a regular expression' },
  create: { type: 'boolean', default: false },
  validate: { type: 'string', minLength: 1 },
  backup: { type: 'boolean', default: false },
  ...attrProps,
};
