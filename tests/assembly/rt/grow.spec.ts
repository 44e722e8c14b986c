// The allocator's growth policy (patches/assemblyscript+0.27.37.patch): when the heap needs more
// memory it grows by what is needed plus an eighth, not by doubling. Wasm memory never shrinks, so
// with doubling a VM would keep up to twice its configure peak for good.

describe("heap growth", () => {
  it("grows by what a block needs plus an eighth of the memory, not by doubling it", () => {
    // Fill 64 pages or more, so that the next block cannot fit anywhere and an eighth is pages.
    const blocks = new Array<usize>();
    while (memory.size() < 64) blocks.push(heap.alloc(16 << 10));
    const before = memory.size();
    while (memory.size() == before) blocks.push(heap.alloc(16 << 10));
    const pages = memory.size();
    // Half the memory as one block: doubling would add `pages` pages, the policy about 5/8 of them.
    const half = <usize>(pages >>> 1) << 16;
    const big = heap.alloc(half);
    const grew = memory.size() - pages;
    expect(grew).toBeGreaterThanOrEqual(pages >>> 1, "at least the block");
    expect(grew).toBeLessThanOrEqual((pages >>> 1) + (pages >>> 3) + 4, "the block, an eighth and overhead (doubling: all pages)");
    heap.free(big);
    for (let i = 0; i < blocks.length; i++) heap.free(blocks[i]);
  });
});
