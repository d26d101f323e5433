// Unified diffs for people: indented under the task they belong to, coloured on a TTY.
import type { Style } from './style.js';

export function formatDiff(diff: string, style: Style, indent = '    '): string {
  const lines = diff.replace(/\n$/, '').split('\n');
  return lines
    .map((line) => {
      let painted = line;
      if (line.startsWith('+++') || line.startsWith('---')) painted = style.bold(line);
      else if (line.startsWith('+')) painted = style.green(line);
      else if (line.startsWith('-')) painted = style.red(line);
      else if (line.startsWith('@@')) painted = style.cyan(line);
      return indent + painted;
    })
    .join('\n');
}
