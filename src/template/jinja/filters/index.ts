// Every filter templates may use, by name.
import type { Filter } from './bind.js';
import { convertFilters } from './convert.js';
import { dataFilters } from './data.js';
import { regexFilters } from './regex-filters.js';
import { sequenceFilters } from './sequences.js';
import { textFilters } from './text.js';

export const FILTERS: Record<string, Filter> = Object.assign(
  Object.create(null),
  convertFilters,
  sequenceFilters,
  textFilters,
  dataFilters,
  regexFilters,
);
