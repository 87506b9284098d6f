import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeTower, encodeTower, TowerError } from '../../src/epm/tower.js';

// impacket 0.10 hept_map(EMSMDB, protocol='ncacn_ip_tcp') request tower (fixtures/ndr/epm_ept_map_request.json)
const impacketTower = JSON.parse(readFileSync('fixtures/ndr/epm_ept_map_request.json', 'utf8')).value.map_tower.tower_octet_string.$hex as string;

describe('protocol towers', () => {
  it('decodes the tower impacket sends in ept_map', () => {
    expect(decodeTower(Buffer.from(impacketTower, 'hex'))).toEqual({
      iface: { uuid: 'a4f1db00-ca47-1067-b31f-00dd010662da', major: 0, minor: 81 },
      syntax: { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 },
      protocol: 'ncacn_ip_tcp',
      port: 0,
      address: '0.0.0.0',
    });
  });

  it('encodes the same five floors (port and address big-endian)', () => {
    const t = encodeTower({
      iface: { uuid: 'a4f1db00-ca47-1067-b31f-00dd010662da', major: 0, minor: 81 },
      syntax: { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 },
      protocol: 'ncacn_ip_tcp',
      port: 0,
      address: '0.0.0.0',
    });
    expect(t.toString('hex')).toBe(impacketTower);
    const h = encodeTower({
      iface: { uuid: 'f5cc5a18-4264-101a-8c59-08002b2f8426', major: 56, minor: 0 },
      syntax: { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 },
      protocol: 'ncacn_http',
      port: 6004,
      address: '10.1.2.3',
    });
    // floor 4: LHS 0x1f (HTTP), RHS port 6004 big-endian; floor 5: LHS 0x09 (IP), RHS 10.1.2.3
    expect(h.subarray(-16).toString('hex')).toBe('01001f' + '02001774' + '010009' + '0400' + '0a010203');
    expect(decodeTower(h)).toMatchObject({ protocol: 'ncacn_http', port: 6004, address: '10.1.2.3' });
  });

  it('property: arbitrary or mutated bytes give a tower or a TowerError', () => {
    const seed = Buffer.from(impacketTower, 'hex');
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat()).map(([p, v, cut]) => {
        const b = Buffer.from(seed);
        b[p % b.length] = v;
        return b.subarray(0, b.length - (cut % 10));
      })), (bytes) => {
        try {
          decodeTower(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(TowerError);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
