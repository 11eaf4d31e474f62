// A growable block of raw memory for the tables built at load time. Records are addressed
// by index (the block moves when it grows); pointers are taken only once it is final.
export class Buf {
  ptr: usize = 0;
  used: u32 = 0;
  cap: u32 = 0;

  // Makes room for `bytes` more without using them (avoids copies while growing).
  reserve(bytes: u32): void {
    const need = this.used + bytes;
    if (need <= this.cap) return;
    this.ptr = this.ptr ? heap.realloc(this.ptr, need) : heap.alloc(need);
    this.cap = need;
  }

  // Reserves `bytes` more and returns the offset of the new space, zeroed.
  grow(bytes: u32): u32 {
    const at = this.used;
    const need = at + bytes;
    if (need > this.cap) {
      let cap = this.cap < 256 ? <u32>256 : this.cap;
      while (cap < need) cap <<= 1;
      this.ptr = this.ptr ? heap.realloc(this.ptr, cap) : heap.alloc(cap);
      this.cap = cap;
    }
    memory.fill(this.ptr + at, 0, bytes);
    this.used = need;
    return at;
  }
}
