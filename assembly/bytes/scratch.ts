// A raw block the request path writes into (a rewritten :path, a local reply's body), reused by
// every request: it grows to the largest size asked for and is never given back, so in steady
// state it allocates nothing. A scratch block is a cell of static memory holding its pointer and
// size (SCRATCH_CELL bytes of memory.data), not a GC object.

/** The bytes of a scratch block's cell: `memory.data(SCRATCH_CELL)`. */
export const SCRATCH_CELL: i32 = 8;

/** The block of `cell`, with room for `n` bytes. */
export function scratchRoom(cell: usize, n: usize): usize {
  let ptr = <usize>load<u32>(cell);
  if (n > <usize>load<u32>(cell, 4)) {
    ptr = ptr == 0 ? heap.alloc(n) : heap.realloc(ptr, n);
    store<u32>(cell, <u32>ptr);
    store<u32>(cell, <u32>n, 4);
  }
  return ptr;
}
