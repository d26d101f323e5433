// The layers of src/ (docs/CONTRACTS.md, "Layers"): who may import whom. `npm run lint`
// fails on an import that goes up a layer, and on any import cycle.
//
//   cli                                   wires everything; nothing imports it
//   config   engine   lifecycle  report  lab   config: YAML -> typed model; engine: runs plays;
//                                         lifecycle: a node's way out of the swarm, over the transport
//   template modules actions transport secrets   leaves: each imports only model/
//   model                                 types; imports nothing
const LEAVES = ['template', 'modules', 'actions', 'transport', 'secrets', 'report', 'lab'];

/** A rule: files in `layer` may import nothing under src/ but their own folder and `allowed`. */
function only(layer, allowed) {
  const ok = [layer, ...allowed].join('|');
  return {
    name: `${layer}-imports-only-${allowed.join('-') || 'itself'}`,
    comment: `${layer}/ may import only ${allowed.length ? allowed.join(', ') : 'nothing else in src/'}`,
    severity: 'error',
    from: { path: `^src/${layer}/` },
    to: { path: '^src/', pathNot: `^src/(${ok})/` },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'import cycles make layers impossible to read one at a time',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    only('model', []),
    ...LEAVES.map((l) => only(l, ['model'])),
    // secrets: config decrypts Ansible Vault values while it reads YAML.
    only('config', ['model', 'template', 'modules', 'actions', 'secrets']),
    only('engine', ['model', 'template', 'modules', 'actions', 'transport', 'secrets']),
    only('lifecycle', ['model', 'actions', 'transport']),
    {
      name: 'nothing-imports-cli',
      comment: 'cli/ is the top: it wires the layers, and no layer calls back into it',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
