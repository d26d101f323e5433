// A real sh with a directory of stand-in commands first on PATH (riders' guards tested against
// fake systemctl, getent): its exit code and stdout.
import { execFileSync } from 'node:child_process';

export function shWithBin(bin: string, text: string): { rc: number; stdout: string } {
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  try {
    return { rc: 0, stdout: execFileSync('sh', ['-c', text], { encoding: 'utf8', env }) };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { rc: e.status, stdout: e.stdout };
  }
}
