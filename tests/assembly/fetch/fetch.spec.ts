// assembly/fetch/ holds no logic yet (issue 8); this keeps it compiling until it does.
import { FETCH_PLANNED_ISSUE } from "../../../assembly/fetch";

describe("fetch", () => {
  it("is the place planned for live rules", () => {
    expect(FETCH_PLANNED_ISSUE).toBe(8);
  });
});
