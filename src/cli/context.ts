// What every command reads before it does anything: the effective settings (files,
// environment, then its own flags) and the things derived from them.
import { loadSettings, parseSize, type Settings } from './settings/load.js';
import type { ColorMode } from './settings/spec.js';
import { useColor } from '../report/style.js';

/** Flags (as yargs parsed them) that override a setting, by the setting's key. */
export interface SettingFlags {
  inventory?: string[];
  forks?: number;
  'roles-path'?: string[];
  'log-file'?: string;
  'log-max-size'?: string;
  color?: string;
  playbook?: string;
}

export function effectiveSettings(flags: SettingFlags): Settings {
  return loadSettings().withFlags({
    inventory: flags.inventory,
    forks: flags.forks,
    roles_path: flags['roles-path'],
    log_file: flags['log-file'],
    log_max_size: flags['log-max-size'],
    color: flags.color,
    playbook: flags.playbook,
  });
}

/** Colour for a stream: `auto` means a terminal (NO_COLOR is already folded into the setting). */
export function colorFor(settings: Settings, tty: boolean): boolean {
  const mode = settings.value<ColorMode>('color');
  return mode === 'always' ? true : mode === 'never' ? false : useColor(tty, {});
}

export function logSettings(settings: Settings): { file: string; maxBytes: number } | undefined {
  const file = settings.value<string>('log_file');
  if (!file) return undefined;
  return { file, maxBytes: parseSize(settings.value('log_max_size'))! };
}
