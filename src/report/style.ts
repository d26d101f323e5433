// Colours only when a person is looking: the stream is a TTY and NO_COLOR is not set
// (https://no-color.org: any non-empty value disables colour).
import { styleText } from 'node:util';

type Format = Parameters<typeof styleText>[0];

export interface Style {
  readonly enabled: boolean;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function useColor(tty: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return tty && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

export function createStyle(enabled: boolean): Style {
  // validateStream: false because we already decided for the stream we write to, which may
  // not be process.stdout.
  const paint = (f: Format) => (s: string) => (enabled && s ? styleText(f, s, { validateStream: false }) : s);
  return {
    enabled,
    red: paint('red'),
    green: paint('green'),
    yellow: paint('yellow'),
    cyan: paint('cyan'),
    dim: paint('dim'),
    bold: paint('bold'),
  };
}

/** Strip ANSI escapes (for width computations and tests). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}
