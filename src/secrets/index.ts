// secrets/: the encrypted secrets file, the controller's identity, generated secrets,
// Ansible Vault, and the registry every redactor reads.
export { SecretStore, countStanzas } from './store.js';
export { SecretsError } from './errors.js';
export { storeFileFor, storeAt, secretsContext, addSecretsToContext, onSecretGenerated, resetSecretStores } from './context.js';
export { roleDeclarations, projectDeclarations, checkDeclarations, type Declaration } from './declarations.js';
export {
  loadIdentity,
  createIdentityFile,
  identityFileToCreate,
  defaultIdentityFile,
  projectDirOf,
  identityFileTooOpen,
} from './identity.js';
export { describeGenerator, parseGenerator, type GeneratorSpec } from './generate.js';
export { revealSecret, knownSecrets } from '../model/secret-values.js';
export { isSecretName, namedSecretValues, markNamedSecrets } from './named.js';
export { encryptForRecipients, decryptWithIdentity } from './backup.js';
export { checkSecretName, splitInstance } from './store-file.js';
