// template/: handlebars rendering (strict) and Ansible-style condition expressions.
export { TemplateError } from './errors.js';
export { renderString, renderValue, renderTemplateFile, templateCacheStats, clearTemplateCache } from './render.js';
export { evalExpression } from './expr/index.js';
export { referencesHostvars } from './hostvars.js';
export { freeVariables, freeVariablesInFile, ANY_VARIABLE, type VarRef } from './free-vars.js';
export { truthy } from './truthy.js';
