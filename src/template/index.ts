// template/: Jinja for YAML values, conditions and template files (.j2...), handlebars
// for .hbs files, and variables that stay templates until used (lazy, per host).
export { TemplateError } from './errors.js';
export { renderString, renderValue, renderTemplateFile, resolveVar, contextView } from './render.js';
export { evalExpression } from './conditions.js';
export { checkSyntax } from './syntax.js';
export { referencesHostvars } from './hostvars.js';
export { freeVariables, freeVariablesInFile, freeVariablesHandlebars, ANY_VARIABLE, type VarRef } from './free-vars.js';
export { truthy } from './truthy.js';
export { Lazy, VarChainError, assignVars, hasTemplate, type VarOrigin } from './lazy/lazy.js';
export { lazyHostvars } from './lazy/hostvars.js';
export { templateCacheStats, clearTemplateCache } from './cache-stats.js';
export { OMIT } from './jinja/runtime.js';
export { readFileCached, readTextCached } from './file-cache.js';
export { valueSnapshot } from './snapshot.js';
export { fileStamp, logReads, noteFileRead, readsUnchanged, type ReadLog } from './read-log.js';
