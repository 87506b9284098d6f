import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRopBuffer, RopRunner, splitRopBuffer } from '../../src/rop/dispatch.js';
import { createRopRegistry, loadRopRegistry } from '../../src/rop/registry.js';
import { fixture } from '../emsmdb/helpers.js';
import { silentLogger } from '../../src/util/log.js';
import { FAKE, FAKE_CODECS, fakeHandlers } from './dispatch-fakes.js';

const log = silentLogger();
const registry = createRopRegistry({ codecs: FAKE_CODECS, handlers: [fakeHandlers()] });

async function check(payload: Uint8Array, maxOutput: number): Promise<void> {
  const run = new RopRunner(registry, { session: null, log, maxObjects: 8 });
  // a valid start so that later ROPs find objects
  await run.run(buildRopBuffer([Buffer.from([FAKE.Logon, 0, 0]), Buffer.from([FAKE.Open, 0, 0, 1])], [0xffffffff, 0xffffffff]));
  const r = await run.run(payload, maxOutput);
  if (r.ok) {
    expect(r.output.length).toBeLessThanOrEqual(maxOutput);
    const { handles } = splitRopBuffer(r.output);
    expect(handles.length * 4).toBe(payload.length - Buffer.from(payload).readUInt16LE(0));
  } else {
    expect(r.error.code).toMatch(/^OC_ROP_/);
  }
  expect(run.state.handles.size).toBeLessThanOrEqual(8);
}

const rop = fc.oneof(
  fc.tuple(fc.constant(FAKE.Logon), fc.nat(255), fc.nat(7)).map((a) => Buffer.from(a)),
  fc.tuple(fc.constant(FAKE.Open), fc.nat(3), fc.nat(7), fc.nat(7)).map((a) => Buffer.from(a)),
  fc.tuple(fc.constant(FAKE.Get), fc.nat(3), fc.nat(7), fc.nat(300)).map(([a, b, c, n]) => Buffer.from([a, b, c, n & 0xff, n >> 8])),
  fc.tuple(fc.constant(FAKE.Release), fc.nat(3), fc.nat(7)).map((a) => Buffer.from(a)),
  fc.tuple(fc.constant(FAKE.Move), fc.nat(3), fc.nat(7), fc.nat(7)).map((a) => Buffer.from(a)),
  fc.tuple(fc.constant(FAKE.NoHandler), fc.nat(3), fc.nat(7)).map((a) => Buffer.from(a)),
  fc.uint8Array({ minLength: 1, maxLength: 6 }).map((a) => Buffer.from(a)),
);
const handle = fc.oneof(fc.constant(0xffffffff), fc.nat(4), fc.nat());

describe('ROP buffer parser (fast-check)', () => {
  it('random bytes give a well-formed output or a coded error, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 0x8000 }), async (b, max) => {
        await check(b, max);
      }),
      { numRuns: 1500 },
    );
  });

  it('ROP lists with random handles, mutated at random, give a well-formed output or a coded error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rop, { maxLength: 20 }),
        fc.array(handle, { maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 }),
        fc.integer({ min: 2, max: 600 }),
        async (rops, handles, mutations, max) => {
          const b = buildRopBuffer(rops, handles);
          for (const [at, v] of mutations) if (b.length > 0) b[at % b.length] = v;
          await check(b, max);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('ROP buffer parser with the real codecs (fast-check over the Outlook 2007 payloads)', () => {
  it('mutated and cut capture payloads give a well-formed output or a coded error', async () => {
    const real = await loadRopRegistry();
    const payloads = ['outlook2007-lzxpress-001.json', 'outlook2007-lzxpress-002.json'].map((f) => Buffer.from(fixture(f).rgbIn.payloadHex as string, 'hex'));
    await fc.assert(
      fc.asyncProperty(
        fc.nat(1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
        fc.option(fc.nat()),
        fc.integer({ min: 8, max: 0x8000 }),
        async (which, mutations, cut, max) => {
          let b = Buffer.from(payloads[which]!);
          for (const [at, v] of mutations) b[at % b.length] = v;
          if (cut !== null) b = b.subarray(0, cut % (b.length + 1));
          const run = new RopRunner(real, { session: null, log });
          run.state.handles.add({ kind: 'folder', logonId: 0, parent: null });
          const r = await run.run(b, max);
          if (r.ok) expect(r.output.length).toBeLessThanOrEqual(max);
          else expect(r.error.code).toMatch(/^OC_[A-Z0-9_]+$/);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
