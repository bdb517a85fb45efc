/**
 * De-duplication across a whole job in bounded memory: a 96-bit digest of each distinct text
 * (MD5, truncated; the chance of two of a million texts sharing one is about 1e-17) and its
 * number, in an open-addressing table of 16 bytes a slot. It grows with the distinct texts up to
 * MAX_SLOTS (64 MiB); past that, texts not yet seen are analysed without de-duplication rather
 * than the table growing further.
 */
import { createHash } from "node:crypto";

const MAX_SLOTS = 1 << 22;
const EMPTY = 0xffffffff;

export class TextIndex {
  private slots: Uint32Array;
  private mask: number;
  private used = 0;

  constructor(initialSlots = 1 << 12) {
    const size = Math.min(MAX_SLOTS, 2 ** Math.ceil(Math.log2(Math.max(16, initialSlots))));
    this.slots = new Uint32Array(size * 4).fill(EMPTY);
    this.mask = size - 1;
  }

  get size(): number {
    return this.used;
  }

  /** The number already given to `text`, or the one `next()` gives it now. */
  numberOf(text: string, next: () => number): number {
    const digest = createHash("md5").update(text).digest();
    const a = digest.readUInt32LE(0);
    const b = digest.readUInt32LE(4);
    const c = digest.readUInt32LE(8);
    const found = this.find(a, b, c);
    if (this.slots[found * 4 + 3] !== EMPTY) return this.slots[found * 4 + 3]!;
    const value = next();
    if (this.used + 1 > (this.mask + 1) * 0.7) {
      if (this.mask + 1 >= MAX_SLOTS) return value; // full: this text is not remembered
      this.grow();
    }
    this.put(this.find(a, b, c), a, b, c, value);
    return value;
  }

  /** The slot holding (a, b, c), or the empty slot where it would go (placed by `a`, linear probing). */
  private find(a: number, b: number, c: number): number {
    let slot = a & this.mask;
    for (;;) {
      const at = slot * 4;
      if (this.slots[at + 3] === EMPTY || (this.slots[at] === a && this.slots[at + 1] === b && this.slots[at + 2] === c)) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  private put(slot: number, a: number, b: number, c: number, value: number): void {
    const at = slot * 4;
    this.slots[at] = a;
    this.slots[at + 1] = b;
    this.slots[at + 2] = c;
    this.slots[at + 3] = value;
    this.used++;
  }

  private grow(): void {
    const old = this.slots;
    const size = (this.mask + 1) * 2;
    this.slots = new Uint32Array(size * 4).fill(EMPTY);
    this.mask = size - 1;
    this.used = 0;
    for (let at = 0; at < old.length; at += 4) {
      if (old[at + 3] === EMPTY) continue;
      this.put(this.find(old[at]!, old[at + 1]!, old[at + 2]!), old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]!);
    }
  }
}
