// Unified diffs for --diff, via the `diff` package.
import { createTwoFilesPatch } from 'diff';

function isBinary(b: Buffer): boolean {
  return b.includes(0);
}

/** Diff of old -> new content for `path`; old undefined means the file does not exist yet. */
export function unifiedDiff(path: string, oldContent: Buffer | string | undefined, newContent: Buffer | string): string {
  const oldBuf = oldContent === undefined ? Buffer.alloc(0) : Buffer.from(oldContent);
  const newBuf = Buffer.from(newContent);
  if (isBinary(oldBuf) || isBinary(newBuf)) return `Binary files ${path} differ\n`;
  return createTwoFilesPatch(
    oldContent === undefined ? '/dev/null' : path,
    path,
    oldBuf.toString('utf8'),
    newBuf.toString('utf8'),
    undefined,
    undefined,
    { context: 3 },
  );
}
