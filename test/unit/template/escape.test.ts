import { describe, expect, it } from 'vitest';
import { renderString, renderValue } from '../../../src/template/index.js';

const origin = { file: 'roles/docker/tasks.yml', line: 3 };

// Docker and Go templates use {{ }} too: role writers need a way to pass them through.
describe('literal braces', () => {
  it('\\{{ emits a literal mustache', () => {
    expect(renderString("docker ps --format '\\{{.Names}}' {{ flag }}", { flag: '-a' }, origin)).toBe("docker ps --format '{{.Names}}' -a");
  });

  it('a {{{{raw}}}} block passes its body through untouched', () => {
    expect(renderString("{{{{raw}}}}{{json .}} {{ x }}{{{{/raw}}}} {{ y }}", { y: 1 }, origin)).toBe('{{json .}} {{ x }} 1');
  });

  it('renderValue keeps an escaped mustache a string', () => {
    expect(renderValue('\\{{ x }}', {}, origin)).toBe('{{ x }}');
  });
});
