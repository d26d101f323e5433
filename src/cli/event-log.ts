// The configured log file, opened before any host is contacted: a log that cannot be written
// is a usage error, not something found out after the run.
import { ConfigError } from '../model/errors.js';
import { openEventLog, type EventLog, type Redactor } from '../report/index.js';
import { logSettings } from './context.js';
import type { Settings } from './settings/load.js';

export function openLog(settings: Settings, redactor: Redactor): EventLog | undefined {
  const log = logSettings(settings);
  if (!log) return undefined;
  try {
    return openEventLog({ file: log.file, maxBytes: log.maxBytes, redactor, command: process.argv.slice(2) });
  } catch (err) {
    const src = settings.get('log_file').source;
    throw new ConfigError(log.file, undefined, undefined, `cannot write the log file (log_file from ${src.file}${src.line ? `:${src.line}` : ''}): ${(err as Error).message}`);
  }
}
