// The allocated addresses of one range, as a treap of disjoint, non-adjacent intervals keyed by
// their first address. Every operation is O(log n) in the number of intervals, and memory grows
// with how fragmented the allocations are, never with the size of the range: an IPv6 /64 costs
// nothing until addresses are handed out. Priorities come from a seeded xorshift so runs are
// reproducible (no Math.random in a core).

interface Node {
  first: bigint;
  last: bigint;
  priority: number;
  left: Node | undefined;
  right: Node | undefined;
}

export class RangeSet {
  private root: Node | undefined;
  private seed = 0x2545f491;
  /** number of addresses held */
  private held = 0n;
  /** number of intervals (for tests and memory accounting) */
  intervals = 0;

  constructor(
    readonly first: bigint,
    readonly last: bigint,
  ) {
    if (first > last) throw new RangeError('RangeSet: first > last');
  }

  get size(): bigint {
    return this.last - this.first + 1n;
  }

  get used(): bigint {
    return this.held;
  }

  get free(): bigint {
    return this.size - this.held;
  }

  has(x: bigint): boolean {
    const f = this.floor(x);
    return f !== undefined && x <= f.last;
  }

  /** Marks `x` held; false when it is outside the range or already held. */
  reserve(x: bigint): boolean {
    if (x < this.first || x > this.last || this.has(x)) return false;
    const below = this.floor(x);
    const above = this.ceiling(x);
    const joinsBelow = below !== undefined && below.last + 1n === x;
    const joinsAbove = above !== undefined && above.first === x + 1n;
    if (joinsBelow && joinsAbove) {
      below.last = above.last;
      this.remove(above.first);
    } else if (joinsBelow) {
      below.last = x;
    } else if (joinsAbove) {
      const last = above.last;
      this.remove(above.first);
      this.insert(x, last);
    } else {
      this.insert(x, x);
    }
    this.held++;
    return true;
  }

  /** Frees `x`; false when it was not held. */
  release(x: bigint): boolean {
    const f = this.floor(x);
    if (f === undefined || x > f.last) return false;
    const { first, last } = f;
    if (first === x && last === x) {
      this.remove(first);
    } else if (first === x) {
      this.remove(first);
      this.insert(x + 1n, last);
    } else if (last === x) {
      f.last = x - 1n;
    } else {
      f.last = x - 1n;
      this.insert(x + 1n, last);
    }
    this.held--;
    return true;
  }

  /** The lowest free address, without taking it. */
  lowestFree(): bigint | undefined {
    const min = this.minNode();
    if (min === undefined || min.first > this.first) return this.held < this.size ? this.first : undefined;
    const candidate = min.last + 1n;
    return candidate <= this.last ? candidate : undefined;
  }

  /** Takes the lowest free address. */
  allocate(): bigint | undefined {
    const x = this.lowestFree();
    if (x !== undefined) this.reserve(x);
    return x;
  }

  /** Held intervals in order (for tests and debugging). */
  *heldIntervals(): Generator<[bigint, bigint]> {
    const stack: Node[] = [];
    let n = this.root;
    while (stack.length || n) {
      while (n) {
        stack.push(n);
        n = n.left;
      }
      const top = stack.pop() as Node;
      yield [top.first, top.last];
      n = top.right;
    }
  }

  private minNode(): Node | undefined {
    let n = this.root;
    while (n?.left) n = n.left;
    return n;
  }

  /** The interval with the largest first <= x. */
  private floor(x: bigint): Node | undefined {
    let n = this.root;
    let best: Node | undefined;
    while (n) {
      if (n.first <= x) {
        best = n;
        n = n.right;
      } else {
        n = n.left;
      }
    }
    return best;
  }

  /** The interval with the smallest first > x. */
  private ceiling(x: bigint): Node | undefined {
    let n = this.root;
    let best: Node | undefined;
    while (n) {
      if (n.first > x) {
        best = n;
        n = n.left;
      } else {
        n = n.right;
      }
    }
    return best;
  }

  private nextPriority(): number {
    // xorshift32
    let s = this.seed;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.seed = s >>> 0;
    return this.seed;
  }

  private insert(first: bigint, last: bigint): void {
    const node: Node = { first, last, priority: this.nextPriority(), left: undefined, right: undefined };
    const [l, r] = split(this.root, first);
    this.root = merge(merge(l, node), r);
    this.intervals++;
  }

  private remove(first: bigint): void {
    const [l, rest] = split(this.root, first);
    const [, r] = split(rest, first + 1n);
    this.root = merge(l, r);
    this.intervals--;
  }
}

/** Splits into (first < key) and (first >= key). */
function split(n: Node | undefined, key: bigint): [Node | undefined, Node | undefined] {
  if (!n) return [undefined, undefined];
  if (n.first < key) {
    const [l, r] = split(n.right, key);
    n.right = l;
    return [n, r];
  }
  const [l, r] = split(n.left, key);
  n.left = r;
  return [l, n];
}

function merge(a: Node | undefined, b: Node | undefined): Node | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.priority > b.priority) {
    a.right = merge(a.right, b);
    return a;
  }
  b.left = merge(a, b.left);
  return b;
}
