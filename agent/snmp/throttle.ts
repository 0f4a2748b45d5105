// A warning that repeats per packet (a broken peer, a failing view) is logged at most once per
// interval, with how many were suppressed: the log stays readable, the counters keep the truth.

export function throttled(intervalMs: number, log: (suppressed: number) => void, now: () => number = Date.now): () => void {
  let last = -Infinity;
  let suppressed = 0;
  return () => {
    const t = now();
    if (t - last >= intervalMs) {
      log(suppressed);
      last = t;
      suppressed = 0;
    } else suppressed++;
  };
}
