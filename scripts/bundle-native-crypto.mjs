// For scripts/bundle.mjs: ssh2 loads its native ciphers (AES-GCM, ChaCha20-Poly1305 and the
// generic cipher/MAC, one OpenSSL context per connection and direction) from a path relative
// to its own file, `./crypto/build/Release/sshcrypto.node`. From the bundle that path names
// nothing beside dist/, so ssh2 fell back to its JavaScript ciphers, which make a new OpenSSL
// cipher for every packet: about a millisecond of controller CPU per host that the bare ssh2
// client of the benchmark's floor did not pay. The path is made a package path instead, found
// through node_modules as every other require of the checkout or the installed package; where
// there is none, the require fails as before and ssh2 falls back as before.
export const NATIVE_CRYPTO = 'ssh2/lib/protocol/crypto/build/Release/sshcrypto.node';

export const nativeCrypto = {
  name: 'fleet-ssh2-native-crypto',
  setup(b) {
    b.onResolve({ filter: /^\.\/crypto\/build\/Release\/sshcrypto\.node$/ }, (args) =>
      /[/\\]ssh2[/\\]lib[/\\]protocol$/.test(args.resolveDir) ? { path: NATIVE_CRYPTO, external: true } : undefined,
    );
  },
};
