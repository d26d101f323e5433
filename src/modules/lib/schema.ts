// Parameter schema fragments shared by several modules (TypeBox: the JSON Schema and the type).
import { Type } from '@sinclair/typebox';
import { rawSchema, stringEnum, withDefault } from '../../model/params.js';
import { modeSchema } from './mode.js';

export const pathSchema = Type.String({ minLength: 1, pattern: '^/', description: 'absolute path' });
const account = (description: string) =>
  rawSchema<string | number>({ type: ['string', 'integer'], minLength: 1, pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?$', description });

/** owner, group, mode: the attributes every file-like module manages. */
export const attrProps = {
  owner: Type.Optional(account('user name or uid')),
  group: Type.Optional(account('group name or gid')),
  mode: Type.Optional(modeSchema),
};

export const nameSchema = Type.String({ minLength: 1 });

/** state: present (the default) or absent. */
export const presentAbsent = withDefault(stringEnum(['present', 'absent']), 'present');

/** Options of the modules that edit part of a text file (line, block), like lineinfile and
 * blockinfile share theirs. */
export const textEditProps = {
  state: presentAbsent,
  insertafter: Type.Optional(Type.String({ minLength: 1, description: 'EOF, BOF or a regular expression' })),
  insertbefore: Type.Optional(Type.String({ minLength: 1, description: 'BOF or a regular expression' })),
  create: withDefault(Type.Boolean(), false),
  validate: Type.Optional(Type.String({ minLength: 1 })),
  backup: withDefault(Type.Boolean(), false),
  ...attrProps,
};
