// The rule table's byte layout: the ONE declaration of its records, their fields' offsets and the
// records' sizes. rules/builder.ts writes the block with these, rules/table.ts reads it with them;
// a new field is one more line here (and its writer and reader), never a number in two files.
//
// Every field is a u32. A "span" is two of them, a string's offset in the block and its UTF-8
// length (SPAN_LEN bytes after the offset).
//
//   header  [64 B]             slots | mask | actions | actionCount | defaultAction+1 | sources
//                              | sourceCount | decision (span) | none (span) | unknownKey+1
//                              | hosts | hostMask (0 = no host-scoped route) | prefixLengths | prefixCount
//   slots   [capacity × 20 B]  hash | key (span) | scope | action+1 (0 = empty)
//   hosts   [capacity × 16 B]  hash | host (span) | id (0 = empty)
//   actions [count × 56 B]     ops | opCount | prefix (span) | name (span) | metric (span)
//                              | responseOps | responseOpCount | replyStatus | replyBody (span)
//                              | replyKeyAt
//   then, in the order rules/builder.ts wrote them:
//   ops     [n × 20 B]         per action: kind | name (span) | value (span), request then response
//   sources [n × 28 B]         kind | header name (span) | member name (span) | flags | maxBytes
//   prefixLengths [n × 4 B]    the distinct byte lengths of the key prefixes, longest first
//   bytes                      the strings, UTF-8, shared where equal (a header name many routes
//                              set; a route name, which is the end of its metric name; a key
//                              listed for several hosts; a host several routes list)
//
// A slot's scope says which requests its key applies to: host id << 1 (0 = every host), | 1 for a
// key prefix. The same key may so sit in several slots, one per host (see rules/match.ts).
//
// Each offset is the previous one plus its size, so that inserting a field moves the rest.

/** Bytes of one u32 field. */
export const U32: u32 = 4;
/** Bytes of a span (offset, length). */
export const SPAN: u32 = 8;
/** Where a span's length is, from the span's start. */
export const SPAN_LEN: u32 = 4;

// --- header: where the regions are ---
export const HEADER_SLOTS: u32 = 0;
export const HEADER_MASK: u32 = HEADER_SLOTS + U32;
export const HEADER_ACTIONS: u32 = HEADER_MASK + U32;
export const HEADER_ACTION_COUNT: u32 = HEADER_ACTIONS + U32;
/** The default action's index + 1 (0 = no default). */
export const HEADER_DEFAULT: u32 = HEADER_ACTION_COUNT + U32;
export const HEADER_SOURCES: u32 = HEADER_DEFAULT + U32;
export const HEADER_SOURCE_COUNT: u32 = HEADER_SOURCES + U32;
/** The decision header's name; length 0 when the configuration has none. */
export const HEADER_DECISION: u32 = HEADER_SOURCE_COUNT + U32;
/** The decision header's value for a request passed unchanged ("none"). */
export const HEADER_NONE: u32 = HEADER_DECISION + SPAN;
/** The action for a key present but matching no route, + 1 (0 = pass unchanged). */
export const HEADER_UNKNOWN: u32 = HEADER_NONE + SPAN;
/** The host slots (lower-cased hosts of host-scoped routes → host id). */
export const HEADER_HOSTS: u32 = HEADER_UNKNOWN + U32;
/** Host slots - 1; 0 when no route is scoped to hosts (then requests never read :authority). */
export const HEADER_HOST_MASK: u32 = HEADER_HOSTS + U32;
/** The distinct key prefix lengths (u32 each, longest first). */
export const HEADER_PREFIX_LENGTHS: u32 = HEADER_HOST_MASK + U32;
export const HEADER_PREFIX_COUNT: u32 = HEADER_PREFIX_LENGTHS + U32;
export const HEADER_SIZE: u32 = HEADER_PREFIX_COUNT + U32;

// --- slot: one routing key of the open-addressing hash table ---
export const SLOT_HASH: u32 = 0;
export const SLOT_KEY: u32 = SLOT_HASH + U32;
/** Host id << 1 (0: any host) | 1 when the key is a prefix: SCOPE_PREFIX. */
export const SLOT_SCOPE: u32 = SLOT_KEY + SPAN;
/** The action's index + 1; 0 marks an empty slot. */
export const SLOT_ACTION: u32 = SLOT_SCOPE + U32;
export const SLOT_SIZE: u32 = SLOT_ACTION + U32;
/** SLOT_SCOPE's bit for a key prefix. */
export const SCOPE_PREFIX: u32 = 1;

// --- host slot: one host of host-scoped routes ---
export const HOST_HASH: u32 = 0;
export const HOST_NAME: u32 = HOST_HASH + U32;
/** The host's id (1, 2, …); 0 marks an empty slot. */
export const HOST_ID: u32 = HOST_NAME + SPAN;
export const HOST_SIZE: u32 = HOST_ID + U32;

// --- action: what a route (or the default) does ---
/** Offset of the action's first op record. */
export const ACTION_OPS: u32 = 0;
export const ACTION_OP_COUNT: u32 = ACTION_OPS + U32;
/** The destination's path prefix; length 0 for none. */
export const ACTION_PREFIX: u32 = ACTION_OP_COUNT + U32;
export const ACTION_NAME: u32 = ACTION_PREFIX + SPAN;
export const ACTION_METRIC: u32 = ACTION_NAME + SPAN;
/** Offset of the action's first response header op record. */
export const ACTION_RESPONSE_OPS: u32 = ACTION_METRIC + SPAN;
export const ACTION_RESPONSE_OP_COUNT: u32 = ACTION_RESPONSE_OPS + U32;
/** A local reply's status; 0 = the request goes on (every action but a replying `unknownKey`). */
export const ACTION_REPLY_STATUS: u32 = ACTION_RESPONSE_OP_COUNT + U32;
/** The reply's body template, UTF-8; `{key}` stands for the escaped key. */
export const ACTION_REPLY_BODY: u32 = ACTION_REPLY_STATUS + U32;
/** Where the body's first `{key}` starts in it; beyond the body when it has none. */
export const ACTION_REPLY_KEY_AT: u32 = ACTION_REPLY_BODY + SPAN;
/** Rounded up to 8 bytes (56 today). */
export const ACTION_SIZE: u32 = (ACTION_REPLY_KEY_AT + U32 + 7) & ~7;

// --- op: one header operation ---
export const OP_KIND: u32 = 0;
export const OP_NAME: u32 = OP_KIND + U32;
/** Empty for Remove. */
export const OP_VALUE: u32 = OP_NAME + SPAN;
export const OP_SIZE: u32 = OP_VALUE + SPAN;

// --- source: where a routing key is read from ---
export const SOURCE_KIND: u32 = 0;
/** The header the key is read from (`baggage`, `cookie`, `:path` for a query source…). */
export const SOURCE_NAME: u32 = SOURCE_KIND + U32;
/** The member, cookie or parameter inside that header's value; empty for a header source. */
export const SOURCE_MEMBER: u32 = SOURCE_NAME + SPAN;
/** KeySource.flags: SOURCE_LOWERCASE | SOURCE_TRIM. */
export const SOURCE_FLAGS: u32 = SOURCE_MEMBER + SPAN;
/** The longest key the source yields, in bytes. */
export const SOURCE_MAX: u32 = SOURCE_FLAGS + U32;
export const SOURCE_SIZE: u32 = SOURCE_MAX + U32;
