import { ConfigError } from '../model/errors.js';
import type { Source } from '../model/inventory.js';
import { offsetFrom } from './locate.js';

/** A template or expression could not be rendered: names the file, the line inside it
 * and, for undefined variables, the variable. */
export class TemplateError extends ConfigError {
  constructor(
    file: string,
    line: number | undefined,
    column: number | undefined,
    detail: string,
    /** The undefined variable, when that is the cause (for callers that want to offer a fix). */
    public readonly variable?: string,
  ) {
    super(file, line, column, detail);
    this.name = 'TemplateError';
  }
}

/** Thrown inside rendering with a position relative to the template text; renderString
 * turns it into a TemplateError once it knows the origin. Internal to template/. */
export class RenderFault extends Error {
  constructor(
    public readonly detail: string,
    /** 1-based line inside the text. */
    public readonly line: number | undefined,
    /** 0-based column inside that line. */
    public readonly column: number | undefined,
    public readonly variable?: string,
  ) {
    super(detail);
    this.name = 'RenderFault';
  }
}

export function faultToError(f: RenderFault, origin: Source): TemplateError {
  const at = offsetFrom(origin, f.line, f.column);
  return new TemplateError(origin.file, at.line, at.column, f.detail, f.variable);
}
