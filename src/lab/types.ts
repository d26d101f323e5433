// What the lab tells its callers (CLI, integration tests, benchmark).

export interface LabHostInfo {
  name: string;
  address: string;
  /** "managers" for the first host, "workers" for the others. */
  group: 'managers' | 'workers';
  /** Public host keys, "TYPE BASE64" each. */
  hostKeys: string[];
}

export interface LabInfo {
  /** Instance name ("lab" for the shared one). */
  name: string;
  bridge: string;
  controllerAddress: string;
  subnet: string;
  stateDir: string;
  /** Private key for root, deploy and deploypw. */
  keyFile: string;
  /** known_hosts holding every host's keys (the lab's own copy). */
  knownHostsFile: string;
  /** File (mode 0600) with deploypw's sudo password. */
  deployPasswordFile: string;
  /** apt proxy the hosts use, e.g. http://10.231.0.1:3142. */
  packageSource: string;
  hosts: LabHostInfo[];
  /** Written when up was given a projectDir. */
  inventoryFile?: string;
  projectKnownHostsFile?: string;
}

export interface LabHostStatus {
  name: string;
  address: string;
  running: boolean;
  ssh: boolean;
}

export interface LabStatus {
  name: string;
  bridge: string;
  /** Every host is running and answers ssh, the bridge and the package source are up. */
  up: boolean;
  bridgeUp: boolean;
  packageSource: boolean;
  hosts: LabHostStatus[];
}
