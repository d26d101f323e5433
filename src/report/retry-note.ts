// "connected after 2 retries (why the failed tries failed)", for the plain log and the recap.

export function retryNote(retries: string[]): string {
  const distinct = [...new Set(retries)];
  return `connected after ${retries.length} ${retries.length === 1 ? 'retry' : 'retries'} (${distinct.join('; ')})`;
}
