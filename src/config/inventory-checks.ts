// Names and values an inventory must not have, refused at their file:line:col: each would
// be taken as something else later (issue 13). A group named "a b" cannot be named in a host
// pattern; an address with a space or a newline is not one host; an empty variable name can
// never be read.
import { ConfigError } from '../model/errors.js';
import type { Host, Source } from '../model/inventory.js';
import type { RawInventory, RawVars } from './inventory-raw.js';

/** Whitespace, control characters and the host-pattern operators (, : ! &). */
const BAD_GROUP_CHAR = /[\s\p{Cc},:!&]/u;
const BAD_ADDRESS_CHAR = /[\s\p{Cc}]/u;

const at = (s: Source, detail: string) => new ConfigError(s.file, s.line, s.column, detail);

export function checkRawInventory(raw: RawInventory): void {
  for (const g of raw.groups.values()) {
    if (BAD_GROUP_CHAR.test(g.name) || g.name === '')
      throw at(
        g.source,
        `group name ${JSON.stringify(g.name)}: a group name cannot be empty or hold spaces, control characters or , : ! & (host patterns could not name it); use letters, digits, _ and -`,
      );
    checkVarNames(g.inline);
    checkVarNames(g.files);
  }
  for (const h of raw.hosts.values()) {
    if (/[\s\p{Cc}]/u.test(h.name))
      throw at(h.source, `host name ${JSON.stringify(h.name)}: a host name cannot hold spaces or control characters`);
    checkVarNames(h.inline);
    checkVarNames(h.files);
  }
}

function checkVarNames(vars: RawVars): void {
  for (const [k, v] of vars) {
    if (k.trim() === '') throw at(v.source, `a variable with an empty name: expected a name like my_var`);
  }
}

/** The address a host is reached at is one host name or IP: a space or a newline in it would
 * reach something else (or be read as an ssh option). */
export function checkAddress(host: Host): void {
  const address = host.connection.address;
  if (!BAD_ADDRESS_CHAR.test(address) && address !== '' && !address.startsWith('-')) return;
  const src = host.connectionSources?.address?.source ?? host.varSources.ansible_host?.source ?? { file: '(inventory)' };
  throw at(
    src,
    `host '${host.name}': address ${JSON.stringify(address)} is not a host name or IP address (it is empty, starts with -, or holds spaces or control characters)`,
  );
}
