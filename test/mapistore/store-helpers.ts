// Small readers shared by the mapistore tests: a property's value in a PropResult list, and the ec of a StoreError.
import type { PropValue } from '../../src/mapi/props.js';
import { StoreError } from '../../src/mapistore/errors.js';
import type { PropResult } from '../../src/mapistore/types.js';

/** The value of `tag` in `results` (undefined when absent or an error). */
export function val(results: PropResult[], tag: number): PropValue | undefined {
  const r = results.find((x) => x.tag >>> 0 === tag >>> 0);
  return r && 'value' in r ? r.value : undefined;
}

/** The ec of the StoreError `p` rejects with, 0 when it resolves; other errors are rethrown. */
export async function ecOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StoreError) return e.ec;
    throw e;
  }
  return 0;
}
