// Properties of planRequests (range coalescing): every wanted range is served by exactly one
// request that covers it; requests are tight, ordered, within the size bound, bridge no hole wider
// than `gap`; and the greedy plan is maximal (two neighbours could not have been merged).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type PlannedRequest, planRequests, type WantedRange } from "../src/coalesce.js";

const range = fc
  .tuple(fc.integer({ min: 0, max: 1 << 20 }), fc.integer({ min: 1, max: 1 << 16 }))
  .map(([start, length]): WantedRange => ({ start, end: start + length }));
const ranges = fc.array(range, { maxLength: 60 });
// maxRequestBytes is left out (unbounded) in some runs.
const options = fc.record(
  {
    gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1 << 17 })),
    maxRequestBytes: fc.integer({ min: 1, max: 1 << 21 }),
  },
  { requiredKeys: ["gap"] },
);

/** Checks every documented property of one plan. */
function checkPlan(
  input: readonly WantedRange[],
  plan: readonly PlannedRequest[],
  gap: number,
  max: number,
): void {
  const seen = input.map(() => 0);
  for (const req of plan) {
    expect(req.members.length).toBeGreaterThan(0);
    const members = req.members.map((i) => input[i] as WantedRange);
    for (const i of req.members) seen[i] = (seen[i] ?? 0) + 1;
    // Covers its members, and no more than their hull.
    expect(req.start).toBe(Math.min(...members.map((m) => m.start)));
    expect(req.end).toBe(Math.max(...members.map((m) => m.end)));
    // Only a lone range may exceed the bound.
    if (members.length > 1) expect(req.end - req.start).toBeLessThanOrEqual(max);
    // No hole wider than gap inside a request.
    const sorted = [...members].sort((a, b) => a.start - b.start);
    let reach = sorted[0]?.end ?? 0;
    for (const m of sorted.slice(1)) {
      expect(m.start - reach).toBeLessThanOrEqual(gap);
      reach = Math.max(reach, m.end);
    }
  }
  // Exactly once each.
  expect(seen.every((n) => n === 1)).toBe(true);
  // In order, and maximal: the next request's first range could not join the previous request.
  for (let k = 1; k < plan.length; k++) {
    const prev = plan[k - 1] as PlannedRequest;
    const next = plan[k] as PlannedRequest;
    expect(next.start).toBeGreaterThanOrEqual(prev.start);
    const first = input[next.members[0] as number] as WantedRange;
    expect(first.start).toBe(next.start);
    const tooFar = first.start > prev.end + gap;
    const tooBig = Math.max(prev.end, first.end) - prev.start > max;
    expect(tooFar || tooBig).toBe(true);
  }
}

describe("planRequests", () => {
  it("serves every range exactly once with tight, bounded, gap-respecting, maximal requests", () => {
    fc.assert(
      fc.property(ranges, options, (input, opts) => {
        const plan = planRequests(input, opts);
        checkPlan(input, plan, opts.gap, opts.maxRequestBytes ?? Number.POSITIVE_INFINITY);
      }),
      { numRuns: 500 },
    );
  });

  it("makes one request of anything when the gap and size are unbounded", () => {
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 40 }), (input) => {
        const plan = planRequests(input, { gap: Number.POSITIVE_INFINITY });
        expect(plan).toHaveLength(1);
        expect(plan[0]?.members).toHaveLength(input.length);
      }),
    );
  });

  it("makes one request per range when nothing may be merged", () => {
    fc.assert(
      fc.property(ranges, (input) => {
        expect(planRequests(input, { gap: 0, maxRequestBytes: 1 })).toHaveLength(input.length);
      }),
    );
  });

  it("merges touching and overlapping ranges with gap 0, and bridges small holes only", () => {
    const input = [
      { start: 100, end: 200 },
      { start: 0, end: 100 },
      { start: 150, end: 160 },
      { start: 210, end: 220 },
    ];
    expect(planRequests(input)).toEqual([
      { start: 0, end: 200, members: [1, 0, 2] },
      { start: 210, end: 220, members: [3] },
    ]);
    expect(planRequests(input, { gap: 10 })).toEqual([{ start: 0, end: 220, members: [1, 0, 2, 3] }]);
    expect(planRequests(input, { gap: 9 })).toHaveLength(2);
    expect(planRequests([])).toEqual([]);
  });

  it("keeps a single range larger than maxRequestBytes whole", () => {
    expect(planRequests([{ start: 0, end: 1000 }], { maxRequestBytes: 10 })).toEqual([
      { start: 0, end: 1000, members: [0] },
    ]);
  });
});
