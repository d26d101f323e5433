// What a change leaves for the tasks riding after it to predict their probes from.

/** What a change of module `name` touching `resources` leaves for the tasks after it to predict
 * from (Module.predictWritten): the files it writes (their paths) and, for a user task, the user
 * (`user:NAME`). */
export function writtenBy(name: string, resources: readonly string[]): string[] {
  return resources.flatMap((r) => (r.startsWith('file:') ? [r.slice('file:'.length)] : name === 'user' && r.startsWith('user:') ? [r] : []));
}
