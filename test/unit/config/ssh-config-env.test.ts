import { expect, it } from 'vitest';

it('the test run never reads the real ~/.ssh/config (vitest.config.ts sets FLEET_SSH_CONFIG=none)', () => {
  expect(process.env.FLEET_SSH_CONFIG).toBe('none');
});
