import { describe, expect, it } from 'vitest';
import { guidToBytes, readGuid, randomGuid, isGuid } from '../../src/util/guid.js';

describe('guid wire form', () => {
  it('encodes NDR 2.0 transfer syntax as in a captured bind', () => {
    // 8a885d04-1ceb-11c9-9fe8-08002b104860 appears on the wire as 04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60
    expect(guidToBytes('8a885d04-1ceb-11c9-9fe8-08002b104860').toString('hex')).toBe('045d888aeb1cc9119fe808002b104860');
    expect(readGuid(Buffer.from('045d888aeb1cc9119fe808002b104860', 'hex'), 0)).toBe('8a885d04-1ceb-11c9-9fe8-08002b104860');
  });
  it('round-trips random GUIDs', () => {
    for (let i = 0; i < 50; i++) {
      const g = randomGuid();
      expect(isGuid(g)).toBe(true);
      expect(readGuid(guidToBytes(g), 0)).toBe(g);
    }
  });
  it('refuses text that is not a GUID', () => {
    expect(() => guidToBytes('nope')).toThrow(/not a GUID/);
  });
});
