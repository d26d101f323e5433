// One variable's winning definition, shared by the connection readers.
import type { Source } from '../model/inventory.js';

/** The winning definition of one variable, with its precedence rank (higher wins). */
export interface Winner {
  value: unknown;
  source: Source;
  baseDir: string;
  rank: number;
}
