// MS-OXCROPS 2.2.7.9 RopOptionsData
// Success response: Reserved u8, OptionsInfoSize u16 + OptionsInfo, HelpFileSize u16 + HelpFile, HelpFileName
// (NUL-terminated 8-bit) present when HelpFileSize is nonzero.
import { defineRop, u8, str8, sized, when } from './kit.js';

export const RopOptionsData = defineRop({
  RopId: 0x6f,
  name: 'RopOptionsData',
  request: [str8('AddressType'), u8('WantWin32')],
  response: [u8('Reserved'), sized('OptionsInfo', 2), sized('HelpFile', 2), when((e) => (e.obj.HelpFile as Buffer).length !== 0, str8('HelpFileName'))],
});
