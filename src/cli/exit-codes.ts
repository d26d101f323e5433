// Documented in the README: scripts and CI depend on these.
export const EXIT = {
  ok: 0,
  failed: 1,
  changes: 2,
  config: 3,
  interrupted: 130,
} as const;
