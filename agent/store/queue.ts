// "One writer": every store call runs here, one at a time, in call order. A failed task rejects
// its own caller only; the queue carries on with the next.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task).finally(() => {
      this.pending--;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.pending;
  }

  /** Resolves once every task queued so far has settled. */
  drain(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
