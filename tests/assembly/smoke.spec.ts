import { ConfigResult } from "../../assembly/config/model";
describe("model", () => {
  it("fails with a message", () => {
    expect(ConfigResult.fail("x: expected y").error).toBe("x: expected y");
  });
});
