// Wire-level telemetry of registry reads, shared by every source of one opened image.

/** What reading from the registry has cost. `rafscan --stats` prints it. */
export interface RemoteStats {
  /** HTTP requests for blob ranges (retries included). */
  rangeRequests: number;
  /** Other HTTP requests: manifests, configs, the bootstrap layer, whole layers. */
  otherRequests: number;
  /** Body bytes received for blob ranges (including bytes bridged between coalesced ranges). */
  rangeBytes: number;
  /** Body bytes received for manifests, configs, the bootstrap layer and whole layers. */
  otherBytes: number;
  /** Reads served (each read of a chunk range counts once, however it was coalesced). */
  reads: number;
  /** Retries after a failed or cut-off request. */
  retries: number;
  /** Answers that ignored the Range header (200 with the whole blob). */
  rangeIgnored: number;
  /** Whole layers downloaded because the image is not a Nydus image. */
  layersDownloaded: number;
  /** Reads served from the on-disk cache, and reads that missed it. */
  diskHits: number;
  diskMisses: number;
  /** Wall time with at least one request in flight, ms: the time spent waiting on the network. */
  networkMs: number;
  /** All requests: `rangeRequests + otherRequests` (derived, so it cannot drift from its parts). */
  readonly requests: number;
  /** All body bytes received: `rangeBytes + otherBytes` (derived). */
  readonly bytesFetched: number;
}

/** A zeroed counter set. */
export function newRemoteStats(): RemoteStats {
  return {
    rangeRequests: 0,
    otherRequests: 0,
    rangeBytes: 0,
    otherBytes: 0,
    reads: 0,
    retries: 0,
    rangeIgnored: 0,
    layersDownloaded: 0,
    diskHits: 0,
    diskMisses: 0,
    networkMs: 0,
    get requests() {
      return this.rangeRequests + this.otherRequests;
    },
    get bytesFetched() {
      return this.rangeBytes + this.otherBytes;
    },
  };
}

/**
 * Measures wall time during which any request is in flight: overlapping requests count once, so
 * `networkMs` compares directly with the scan's total time.
 */
export class NetworkClock {
  readonly #stats: RemoteStats;
  #inFlight = 0;
  #since = 0;

  constructor(stats: RemoteStats) {
    this.#stats = stats;
  }

  /** Call when a request starts; call the returned function once when it ends. */
  start(): () => void {
    if (this.#inFlight++ === 0) this.#since = performance.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.#inFlight === 0) this.#stats.networkMs += performance.now() - this.#since;
    };
  }
}
