// The retry policy: Retry-After parsing (delay-seconds and the three HTTP-date formats, garbage
// ignored), full-jitter backoff bounds, and sleep's abort.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffMs, isRetryableStatus, parseRetryAfter, sleep } from "../src/retry.js";

const NOW = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("0", NOW)).toBe(0);
    expect(parseRetryAfter("1", NOW)).toBe(1000);
    expect(parseRetryAfter(" 120 ", NOW)).toBe(120_000);
    expect(parseRetryAfter("9999999999", NOW)).toBe(9_999_999_999_000);
  });

  it("reads the three HTTP-date formats as GMT, and a date in the past as now", () => {
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", NOW)).toBe(5000);
    expect(parseRetryAfter("Wednesday, 21-Oct-15 07:28:05 GMT", NOW)).toBe(5000);
    // asctime has no zone; HTTP dates are GMT whatever the local time zone.
    expect(parseRetryAfter("Wed Oct 21 07:28:05 2015", NOW)).toBe(5000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", NOW)).toBe(0);
  });

  it("ignores what is neither (regression: Date.parse read '1.5' and '-1' as past dates)", () => {
    for (const v of [undefined, "", "soon", "1.5", "-1", "1e3", "0x10", "12345678901", "Someday, never"]) {
      expect(parseRetryAfter(v, NOW), String(v)).toBeUndefined();
    }
  });

  it("never returns a negative or non-finite delay", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (v) => {
        const ms = parseRetryAfter(v, NOW);
        if (ms !== undefined) expect(Number.isFinite(ms) && ms >= 0).toBe(true);
      }),
    );
  });
});

describe("backoffMs", () => {
  it("stays within [0, min(max, base * 2^attempt)) for any random value", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseDelayMs, maxDelayMs, r) => {
          const ms = backoffMs(attempt, { baseDelayMs, maxDelayMs }, () => r);
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
          const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt, 20));
          expect(ms === 0 || ms < cap).toBe(true);
        },
      ),
    );
  });

  it("defaults to 200 ms doubling up to 5 s", () => {
    const top = () => 0.999_999;
    expect(backoffMs(0, {}, top)).toBe(199);
    expect(backoffMs(1, {}, top)).toBe(399);
    expect(backoffMs(4, {}, top)).toBe(3199);
    expect(backoffMs(5, {}, top)).toBe(4999);
    expect(backoffMs(1000, {}, top)).toBe(4999);
    expect(backoffMs(3, {}, () => 0)).toBe(0);
  });
});

describe("isRetryableStatus and sleep", () => {
  it("retries overload and gateway statuses only", () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([200, 206, 400, 401, 403, 404, 416, 501].some(isRetryableStatus)).toBe(false);
  });

  it("sleeps, and rejects at once on abort with the signal's reason", async () => {
    const t0 = performance.now();
    await sleep(30, undefined);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    const c = new AbortController();
    const p = sleep(10_000, c.signal);
    c.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");
    await expect(sleep(10, AbortSignal.abort(new Error("already")))).rejects.toThrow("already");
  });
});
