// Does a raw (unrendered) task value read other hosts' variables? The engine must then
// wait for those hosts' facts and registered values before rendering it.
const HOSTVARS = /\bhostvars\b/;

export function referencesHostvars(value: unknown): boolean {
  if (typeof value === 'string') return HOSTVARS.test(value);
  if (Array.isArray(value)) return value.some(referencesHostvars);
  if (value !== null && typeof value === 'object') return Object.values(value).some(referencesHostvars);
  return false;
}
