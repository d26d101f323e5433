// probe/plan/apply for controller-side modules: the engine runs these itself, so reaching
// the host-side methods is a bug worth failing loudly on.
export function hostSideNever(name: string): () => never {
  return () => {
    throw new Error(`module ${name} runs on the controller; the engine must not send it to a host`);
  };
}
