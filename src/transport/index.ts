// transport/: the only layer that touches the network (docs/CONTRACTS.md).
export { connect, type ConnectOptions } from './connect.js';
export { ControllerSession } from './local.js';
export { scanHostKey, acceptHostKey, type ScannedKey, type ScanOptions } from './scan.js';
export { BecomeError } from './become.js';
export { fingerprint, keyTypeOf } from './fingerprint.js';
export { hostToken, parseKnownHosts, readKnownHosts, checkHostKey, formatKnownHostsLine, pinnedFor, appendKnownHost } from './known-hosts.js';
export { HostKeyError, UnreachableError } from '../model/transport.js';
export { fetchUrl, UrlError } from './http-get.js';
