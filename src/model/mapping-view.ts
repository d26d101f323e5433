// Objects that are not plain data but that templates read as a mapping of their own
// properties (the `secrets` store's view: getters decrypting on read). Layers that walk plain
// data (lazy variables) pass such an object as it is; the template evaluator reads its keys.
export const MAPPING_VIEW: unique symbol = Symbol.for('fleet.mappingView');

export function isMappingView(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { [MAPPING_VIEW]?: unknown })[MAPPING_VIEW] === true;
}
