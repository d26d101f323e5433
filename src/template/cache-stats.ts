// How often template texts were compiled: the engine renders the same texts for every host,
// so each distinct text must be parsed once (tests assert it).
import { clearHandlebarsCache, handlebarsCacheStats } from './handlebars/render.js';
import { clearJinjaCache, jinjaCacheStats } from './jinja/render.js';

export function templateCacheStats(): { compiles: number; cached: number } {
  const h = handlebarsCacheStats();
  const j = jinjaCacheStats();
  return { compiles: h.compiles + j.parses, cached: h.cached + j.cached };
}

export function clearTemplateCache(): void {
  clearHandlebarsCache();
  clearJinjaCache();
}
