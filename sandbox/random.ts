/** mulberry32: a tiny seeded PRNG, so every sandbox workspace is the same from run to run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Picks by weight: `[[value, weight], ...]`. */
export function weighted<T>(random: () => number, table: ReadonlyArray<readonly [T, number]>): T {
  const sum = table.reduce((n, [, w]) => n + w, 0);
  let r = random() * sum;
  for (const [value, w] of table) {
    r -= w;
    if (r < 0) return value;
  }
  return (table[table.length - 1] as readonly [T, number])[0];
}

/** A MongoDB-ObjectId-shaped id (24 hex digits), unique per `n`. */
export function objectId(random: () => number, n: number): string {
  const head = Math.floor(random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  const mid = Math.floor(random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  return `${head}${mid}${(n >>> 0).toString(16).padStart(8, '0')}`;
}
