// The calls of a connection: requests being reassembled, and calls executing (with their cancel state).

/** A request whose fragments are still arriving (C706 12.6.3.4). */
export interface PendingRequest {
  pContId: number;
  opnum: number;
  object: string | null;
  authContextId: number | null;
  parts: Buffer[];
  size: number;
  /** Set when the call was refused (too large): its later fragments are dropped. */
  refused: boolean;
}

/**
 * A call being executed. Its AbortSignal is made on first use: most handlers never look at it, and an
 * AbortController per call is a measurable part of a small call's cost (bench/run.ts, --cpu-prof).
 */
export class ActiveCall {
  orphaned = false;
  private controller: AbortController | null = null;
  private aborted = false;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  abort(): void {
    this.aborted = true;
    this.controller?.abort();
  }
}

