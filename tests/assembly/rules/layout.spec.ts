// The rule table's layout: the records' sizes, and fields that do not
// overlap (each offset is the previous one plus its size).
import {
  U32, SPAN, HEADER_SLOTS, HEADER_MASK, HEADER_ACTIONS, HEADER_ACTION_COUNT, HEADER_DEFAULT,
  HEADER_SOURCES, HEADER_SOURCE_COUNT, HEADER_DECISION, HEADER_NONE, HEADER_UNKNOWN, HEADER_HOSTS,
  HEADER_HOST_MASK, HEADER_PREFIX_LENGTHS, HEADER_PREFIX_COUNT, HEADER_SIZE,
  SLOT_HASH, SLOT_KEY, SLOT_SCOPE, SLOT_ACTION, SLOT_SIZE, HOST_HASH, HOST_NAME, HOST_ID, HOST_SIZE,
  ACTION_OPS, ACTION_OP_COUNT, ACTION_PREFIX, ACTION_NAME, ACTION_METRIC, ACTION_SIZE,
  ACTION_RESPONSE_OPS, ACTION_RESPONSE_OP_COUNT, ACTION_REPLY_STATUS, ACTION_REPLY_BODY, ACTION_REPLY_KEY_AT,
  OP_KIND, OP_NAME, OP_VALUE, OP_SIZE, SOURCE_KIND, SOURCE_NAME, SOURCE_MEMBER, SOURCE_FLAGS, SOURCE_MAX, SOURCE_SIZE,
} from "../../../assembly/rules/layout";

/** Checks that fields at `offsets` with `sizes` follow each other from 0 and fit in `size`. */
function contiguous(offsets: u32[], sizes: u32[], size: u32): void {
  let at: u32 = 0;
  for (let i = 0; i < offsets.length; i++) {
    expect(offsets[i]).toBe(at, "field " + i.toString());
    at += sizes[i];
  }
  expect(at).toBeLessThanOrEqual(size);
}

describe("rule table layout", () => {
  it("has the record sizes of the block", () => {
    expect(HEADER_SIZE).toBe(64);
    expect(SLOT_SIZE).toBe(20);
    expect(HOST_SIZE).toBe(16);
    expect(ACTION_SIZE).toBe(56);
    expect(OP_SIZE).toBe(20);
    expect(SOURCE_SIZE).toBe(28);
  });

  it("lays every record's fields end to end", () => {
    contiguous([HEADER_SLOTS, HEADER_MASK, HEADER_ACTIONS, HEADER_ACTION_COUNT, HEADER_DEFAULT, HEADER_SOURCES,
      HEADER_SOURCE_COUNT, HEADER_DECISION, HEADER_NONE, HEADER_UNKNOWN, HEADER_HOSTS, HEADER_HOST_MASK,
      HEADER_PREFIX_LENGTHS, HEADER_PREFIX_COUNT],
      [U32, U32, U32, U32, U32, U32, U32, SPAN, SPAN, U32, U32, U32, U32, U32], HEADER_SIZE);
    contiguous([SLOT_HASH, SLOT_KEY, SLOT_SCOPE, SLOT_ACTION], [U32, SPAN, U32, U32], SLOT_SIZE);
    contiguous([HOST_HASH, HOST_NAME, HOST_ID], [U32, SPAN, U32], HOST_SIZE);
    contiguous([ACTION_OPS, ACTION_OP_COUNT, ACTION_PREFIX, ACTION_NAME, ACTION_METRIC,
      ACTION_RESPONSE_OPS, ACTION_RESPONSE_OP_COUNT, ACTION_REPLY_STATUS, ACTION_REPLY_BODY, ACTION_REPLY_KEY_AT],
      [U32, U32, SPAN, SPAN, SPAN, U32, U32, U32, SPAN, U32], ACTION_SIZE);
    contiguous([OP_KIND, OP_NAME, OP_VALUE], [U32, SPAN, SPAN], OP_SIZE);
    contiguous([SOURCE_KIND, SOURCE_NAME, SOURCE_MEMBER, SOURCE_FLAGS, SOURCE_MAX], [U32, SPAN, SPAN, U32, U32], SOURCE_SIZE);
  });

  it("keeps records 4-aligned (u32 loads)", () => {
    expect(HEADER_SIZE % 4).toBe(0);
    expect(SLOT_SIZE % 4).toBe(0);
    expect(ACTION_SIZE % 4).toBe(0);
    expect(OP_SIZE % 4).toBe(0);
    expect(SOURCE_SIZE % 4).toBe(0);
  });
});
