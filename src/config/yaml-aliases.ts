// YAML aliases are checked when a file is read, so no later step meets one that cannot
// expand: an alias with no anchor before it, an alias inside its own anchor, or a "billion
// laughs" bomb (a few lines whose aliases expand to millions of nodes). Each is a ConfigError
// at the alias, instead of the yaml library's ReferenceError (a stack trace) or a hang.
import { isAlias, isMap, isPair, isSeq, visit, type Document, type Node } from 'yaml';

/** Nodes aliases may add to one file once expanded: far above any real inventory or playbook. */
export const MAX_ALIAS_EXPANSION = 100_000;

export interface AliasProblem {
  node: Node;
  message: string;
}

export function aliasProblem(doc: Document): AliasProblem | undefined {
  const sizes = new Map<unknown, number>();
  const inProgress = new Set<unknown>();
  let problem: AliasProblem | undefined;
  const sizeOf = (node: unknown): number => {
    if (problem) return 0;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) {
        problem = { node, message: `YAML alias *${node.source} has no anchor &${node.source} before it` };
        return 0;
      }
      if (inProgress.has(target)) {
        problem = { node, message: `YAML alias *${node.source} is inside the node its anchor &${node.source} names (it would never end)` };
        return 0;
      }
      return sizeOf(target);
    }
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let n = 1;
    if (isMap(node) || isSeq(node)) {
      inProgress.add(node);
      for (const item of node.items as unknown[]) {
        n += isPair(item) ? sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
        if (n > MAX_ALIAS_EXPANSION) break;
      }
      inProgress.delete(node);
    }
    n = Math.min(n, MAX_ALIAS_EXPANSION + 1);
    sizes.set(node, n);
    return n;
  };
  let expanded = 0;
  visit(doc, {
    Alias(_key, node) {
      expanded += sizeOf(node);
      if (problem) return visit.BREAK;
      if (expanded > MAX_ALIAS_EXPANSION) {
        problem = {
          node,
          message: `YAML aliases in this file expand to more than ${MAX_ALIAS_EXPANSION} nodes (an alias bomb?); write the values out or use fewer nested aliases`,
        };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return problem;
}
