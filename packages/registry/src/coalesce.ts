// Plans HTTP range requests: byte ranges wanted at about the same time are merged into as few
// requests as possible when they touch, overlap, or lie within `gap` bytes of each other.

/** A wanted byte range, `end` exclusive. */
export interface WantedRange {
  readonly start: number;
  readonly end: number;
}

/** One planned request and the wanted ranges (by index into the input) it serves. */
export interface PlannedRequest {
  readonly start: number;
  readonly end: number;
  readonly members: readonly number[];
}

/** Options of {@link planRequests}. */
export interface PlanOptions {
  /** Largest hole between two ranges that is fetched rather than split. Default 0. */
  readonly gap?: number;
  /** Largest request; ranges that would grow a request past it start a new one. Default unbounded. */
  readonly maxRequestBytes?: number;
}

/**
 * Merges ranges. Fetching a hole of up to `gap` bytes costs less than another round trip on any
 * link with latency, so small gaps are bridged; `maxRequestBytes` keeps one request from growing so
 * large that its body cannot be retried cheaply or shared across connections. A single range larger
 * than `maxRequestBytes` is still one request. Every input index appears in exactly one request.
 */
export function planRequests(ranges: readonly WantedRange[], options: PlanOptions = {}): PlannedRequest[] {
  const gap = Math.max(0, options.gap ?? 0);
  const max = options.maxRequestBytes ?? Number.POSITIVE_INFINITY;
  const order = ranges.map((_, i) => i).sort((a, b) => (ranges[a]?.start ?? 0) - (ranges[b]?.start ?? 0));
  const out: PlannedRequest[] = [];
  let current: { start: number; end: number; members: number[] } | undefined;
  for (const i of order) {
    const r = ranges[i] as WantedRange;
    if (
      current !== undefined &&
      r.start <= current.end + gap &&
      Math.max(current.end, r.end) - current.start <= max
    ) {
      current.end = Math.max(current.end, r.end);
      current.members.push(i);
      continue;
    }
    if (current !== undefined) out.push(current);
    current = { start: r.start, end: r.end, members: [i] };
  }
  if (current !== undefined) out.push(current);
  return out;
}
