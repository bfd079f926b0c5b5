/**
 * Finds the dependency cycles of a graph: one cycle per strongly connected component that has a
 * cycle, starting at its first node in the given order, e.g. `['a', 'b', 'c', 'a']`.
 *
 * @example
 * findCycles(new Map([['a', ['b']], ['b', ['a']], ['c', []]])); // [['a', 'b', 'a']]
 */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const visit = (start: string): void => {
    // Iterative Tarjan, so deep graphs cannot overflow the call stack.
    const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (!frame) break;
      const targets = (edges.get(frame.node) ?? []).filter((t) => edges.has(t));
      if (frame.next < targets.length) {
        const target = targets[frame.next++] ?? '';
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(target) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);

  const order = [...edges.keys()];
  const cycles: string[][] = [];
  for (const component of components) {
    const members = new Set(component);
    const first = order.find((n) => members.has(n));
    if (first === undefined) continue;
    const selfLoop = (edges.get(first) ?? []).includes(first);
    if (component.length === 1 && !selfLoop) continue;
    cycles.push(selfLoop ? [first, first] : cycleThrough(first, members, edges));
  }
  return cycles.sort((a, b) => order.indexOf(a[0] ?? '') - order.indexOf(b[0] ?? ''));
}

/** The shortest path from `start` back to itself inside one component (breadth-first). */
function cycleThrough(
  start: string,
  members: ReadonlySet<string>,
  edges: ReadonlyMap<string, readonly string[]>,
): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() ?? '';
    for (const next of edges.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = previous.get(at))
          path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}
