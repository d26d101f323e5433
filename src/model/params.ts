// Parameters of modules and actions: one TypeBox schema is both the JSON Schema that ajv
// checks (filling in defaults) and, through Static<>, the TypeScript type the code sees.
import { Type, type ObjectOptions, type Static, type TObject, type TOptional, type TProperties, type TSchema, type TUnsafe } from '@sinclair/typebox';

/** An optional parameter with a default: optional to write, always present once validated. */
export function withDefault<T extends TSchema>(schema: T, value: Static<T>): TOptional<T> & { default: Static<T> } {
  return Type.Optional({ ...schema, default: value }) as TOptional<T> & { default: Static<T> };
}

/** A parameter object: every key known, nothing else accepted. Extra JSON Schema keywords
 * (oneOf, not, if/then/else) go in `options`. */
export function paramsObject<P extends TProperties>(properties: P, options: ObjectOptions = {}): TObject<P> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

type DefaultedKeys<P extends TProperties> = { [K in keyof P]: P[K] extends { default: unknown } ? K : never }[keyof P];

/** Validated parameters: what the schema allows, with every parameter that has a default present. */
export type Params<S extends TObject> = Static<S> & { [K in DefaultedKeys<S['properties']>]-?: Static<S['properties'][K]> };

/** A string from a fixed list, kept as JSON Schema's `enum` (clear errors at load time). */
export function stringEnum<const T extends readonly string[]>(values: T, options: object = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** A JSON Schema written as is (several types with shared keywords: `type: [string, integer]`),
 * with the TypeScript type it stands for. */
export function rawSchema<T>(schema: object): TUnsafe<T> {
  return Type.Unsafe<T>(schema);
}
