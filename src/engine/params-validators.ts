// The validators of the modules' and actions' parameters, by module name. The single-file
// build (scripts/bundle.mjs) puts ajv's standalone code for every schema in PRECOMPILED,
// generated at build time with PARAMS_AJV_OPTIONS: compiling them at run time is about a
// tenth of a second of CPU per run. Run from dist/ (tsc), PRECOMPILED is empty and
// prepare-task.ts compiles each schema as it meets it, with the same options.
import type { ValidateFunction } from 'ajv';

export const PARAMS_AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false } as const;

export const PRECOMPILED: Readonly<Record<string, ValidateFunction>> = {};
