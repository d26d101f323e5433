// Ports that refuse everything an action test did not mean to be used; tests override what
// the action under test may use.
import type { ActionPorts } from '../../../src/model/action.js';

export function stubPorts(): ActionPorts {
  const no = (what: string) => () => {
    throw new Error(`the action used ${what}`);
  };
  const memo = new Map<string, Promise<unknown>>();
  return {
    connect: no('connect'),
    runOn: no('runOn'),
    upload: no('upload'),
    uploadAndRun: no('uploadAndRun'),
    download: no('download'),
    inventoryFile: no('inventoryFile'),
    setInventoryValue: no('setInventoryValue'),
    secret: () => undefined,
    encryptForRecipients: no('encryptForRecipients'),
    decryptWithIdentity: no('decryptWithIdentity'),
    pinnedHostKeys: no('pinnedHostKeys'),
    groupHosts: () => [],
    hostVars: () => undefined,
    address: (h) => h,
    playHosts: () => [],
    waitForHost: async () => undefined,
    fetchUrl: no('fetchUrl'),
    warn: () => undefined,
    memo: <T>(key: string, read: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, read());
      return memo.get(key) as Promise<T>;
    },
    forget: (key) => void memo.delete(key),
  };
}
