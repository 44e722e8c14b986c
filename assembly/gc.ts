// Garbage collection. routekey is built with AssemblyScript's minimal runtime (asconfig.json):
// unlike the incremental one it keeps no shadow stack, so a reference held in a local costs
// nothing — that was most of what a request cost in the guest (README, "How it works"). In
// exchange the collector runs only when called, and it finds live objects only from globals: an
// object that only a local refers to looks like garbage to it.
//
// So a collection runs where that cannot happen:
// - at the end of an export (exports.ts), when no wasm frame is left;
// - in the middle of compiling a large rule set (config/routes.ts, original.ts), between two
//   routes, so that the garbage of parsing one route (cursors, strings, its Route) is reused by
//   the next instead of piling up to the size of the whole document. Every frame on the way
//   there holds what it uses after the collection and only its stack refers to (`hold`), and
//   lets go when it is done (`letGoTo`, which also covers what the frames it called held, early
//   returns included); what a held object refers to is live with it.

/** What the frames of a compile in progress still use, in the order they took it. */
const held = new Array<Object>();

/** Where the held list stands now: what a frame gives letGoTo when it is done. */
export function heldMark(): i32 {
  return held.length;
}

/** Keeps `o` alive across collectBetween until letGoTo; returns it (`x = hold(new X())`). */
export function hold<T>(o: T): T {
  held.push(changetype<Object>(o));
  return o;
}

/** Lets go of what was held since `mark` (heldMark). */
export function letGoTo(mark: i32): void {
  if (mark < held.length) held.length = mark;
}

/**
 * Collects in the middle of a compile. Only from a loop whose callers, and the loop itself, hold
 * (or reach from a global) every object they use after it.
 */
export function collectBetween(): void {
  __collect();
}

/** Collects when no wasm frame is left (the end of an export, exports.ts). */
export function collectAtExportEnd(): void {
  held.length = 0; // no frame is left to use anything
  __collect();
}
