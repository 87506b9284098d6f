// MS-OXCROPS 2.2.13.3 RopSynchronizationImportReadStateChanges
// MessageReadStateSize u16 (bytes of what follows), then MessageReadState (MessageIdSize u16, MessageId = an XID of
// MessageIdSize bytes, MarkAsRead u8) until those bytes are used up.
import { RopFormatError, RopReader } from '../../mapi/buffer.js';
import { custom, defineRop } from './kit.js';

export interface MessageReadState {
  MessageId: Buffer;
  MarkAsRead: number;
}

export const RopSynchronizationImportReadStateChanges = defineRop({
  RopId: 0x80,
  name: 'RopSynchronizationImportReadStateChanges',
  request: [
    custom(
      'MessageReadStates',
      (r) => {
        const size = r.u16();
        r.need(size, 'MessageReadStates');
        const sub = new RopReader(r.buf, r.pos, r.pos + size);
        const out: MessageReadState[] = [];
        while (sub.left > 0) {
          const MessageId = Buffer.from(sub.bytes(sub.u16(), 'MessageId'));
          out.push({ MessageId, MarkAsRead: sub.u8() });
        }
        r.pos += size;
        return out;
      },
      (w, v: MessageReadState[]) => {
        const at = w.pos;
        w.u16(0);
        for (const s of v ?? []) w.u16(s.MessageId.length).bytes(s.MessageId).u8(s.MarkAsRead);
        const size = w.pos - at - 2;
        if (size > 0xffff) throw new RopFormatError('OC_ROP_TOO_BIG', `MessageReadStates of ${size} bytes do not fit MessageReadStateSize`);
        w.patchU16(at, size);
      },
      'readStates',
    ),
  ],
  response: [],
});
