// ajv's check of a JSON Schema against the draft-07 meta-schema, and the keywords ajv knows,
// for role-vars-schema.ts. The single-file build (scripts/bundle.mjs) fills both in at build
// time (ajv standalone code, from an Ajv made with META_AJV_OPTIONS): compiling the
// meta-schema costs most of a tenth of a second per run that reads a role with variables.
// Run from dist/ (tsc), both are undefined and role-vars-schema.ts asks ajv itself.
import type { ValidateFunction } from 'ajv';

export const META_AJV_OPTIONS = { strict: false } as const;

export const VALIDATE_DRAFT07: ValidateFunction | undefined = undefined;
export const KNOWN_KEYWORDS: ReadonlySet<string> | undefined = undefined;
