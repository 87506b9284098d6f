/**
 * One `fn` at a time, in call order: each runs once every `fn` given before has settled; a failed one does not stop
 * the next (its caller gets the rejection).
 */
export function turns(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const p = tail.then(fn, fn);
    tail = p.catch(() => undefined);
    return p;
  };
}
