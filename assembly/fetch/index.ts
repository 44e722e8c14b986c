// Rule fetching: where live rules will come from (issue 8). Nothing imports this yet, so the built
// module is unchanged (no proxy_http_call import until there is a caller).
//
// What will live here:
//   - a fetcher that asks a rules server over proxy_http_call (sdk.ts will gain the raw call and
//     the callout response's body, bytes in, bytes out, as for headers) and hands the answer's
//     bytes to config/ (`parseRoutes(doc.routes, sink)`, then `problem.inField("routes")`, as
//     config/routes.ts says) and on to a rules/ TableBuilder;
//   - its tick duty (ticks/scheduler.ts): the root registers a refresh period next to the
//     log-level refresh, and the duty starts a fetch when it is due and none is in flight;
//   - what a failed or refused fetch does: keep the table in force and log once per failure run.
//
// The swap itself stays the root's: a new table replaces the old with RuleTable.retire, and
// streams that still use the old one keep it until they end.

/** Placeholder so the module compiles as a module; remove when the fetcher arrives. */
export const FETCH_PLANNED_ISSUE: i32 = 8;
