// Unicode string comparison and sorting for the address book (MS-OXNSPI 3.1.4.3.5.1 and 3.1.4.3.6): the server
// picks the supported LCID closest to the client's SortLocale (any way it likes, 3.1.4.5.1 step 1) and compares with
// NSPI_DEFAULT_LOCALE_COMPARE_FLAGS for 0x409 (ignore case, kana type, non-spacing marks and width; punctuation
// sorts as symbols) and NSPI_NON_DEFAULT_LOCALE_COMPARE_FLAGS elsewhere (the same, and symbols ignored)
// (2.2.1.6). ICU collation through Intl.Collator stands in for MS-UCODEREF's tables.
import { NSPI_DEFAULT_LOCALE } from './constants.js';

/** LCIDs (MS-LCID) of the languages we sort for, with their BCP 47 tags. */
const LCID_TAGS: ReadonlyMap<number, string> = new Map([
  [0x0401, 'ar-SA'], [0x0402, 'bg-BG'], [0x0403, 'ca-ES'], [0x0404, 'zh-TW'], [0x0405, 'cs-CZ'], [0x0406, 'da-DK'],
  [0x0407, 'de-DE'], [0x0408, 'el-GR'], [0x0409, 'en-US'], [0x040a, 'es-ES'], [0x040b, 'fi-FI'], [0x040c, 'fr-FR'],
  [0x040d, 'he-IL'], [0x040e, 'hu-HU'], [0x040f, 'is-IS'], [0x0410, 'it-IT'], [0x0411, 'ja-JP'], [0x0412, 'ko-KR'],
  [0x0413, 'nl-NL'], [0x0414, 'nb-NO'], [0x0415, 'pl-PL'], [0x0416, 'pt-BR'], [0x0418, 'ro-RO'], [0x0419, 'ru-RU'],
  [0x041a, 'hr-HR'], [0x041b, 'sk-SK'], [0x041d, 'sv-SE'], [0x041e, 'th-TH'], [0x041f, 'tr-TR'], [0x0421, 'id-ID'],
  [0x0422, 'uk-UA'], [0x0424, 'sl-SI'], [0x0425, 'et-EE'], [0x0426, 'lv-LV'], [0x0427, 'lt-LT'], [0x042a, 'vi-VN'],
  [0x042d, 'eu-ES'], [0x0439, 'hi-IN'], [0x043e, 'ms-MY'], [0x0456, 'gl-ES'], [0x0804, 'zh-CN'], [0x0807, 'de-CH'],
  [0x0809, 'en-GB'], [0x080a, 'es-MX'], [0x080c, 'fr-BE'], [0x0810, 'it-CH'], [0x0813, 'nl-BE'], [0x0814, 'nn-NO'],
  [0x0816, 'pt-PT'], [0x081a, 'sr-Latn-RS'], [0x081d, 'sv-FI'], [0x0c04, 'zh-HK'], [0x0c07, 'de-AT'],
  [0x0c09, 'en-AU'], [0x0c0a, 'es-ES'], [0x0c0c, 'fr-CA'], [0x0c1a, 'sr-Cyrl-RS'], [0x1004, 'zh-SG'],
  [0x1009, 'en-CA'], [0x100c, 'fr-CH'], [0x1404, 'zh-MO'], [0x1409, 'en-NZ'], [0x1809, 'en-IE'],
]);

/** The supported LCID closest to `lcid`: itself, else the same primary language, else NSPI_DEFAULT_LOCALE. */
export function closestLcid(lcid: number): number {
  if (LCID_TAGS.has(lcid)) return lcid;
  const primary = lcid & 0x3ff;
  for (const k of LCID_TAGS.keys()) if ((k & 0x3ff) === primary) return k;
  return NSPI_DEFAULT_LOCALE;
}

export function lcidTag(lcid: number): string {
  return LCID_TAGS.get(closestLcid(lcid)) ?? 'en-US';
}

export interface StringOrder {
  /** The LCID actually used. */
  readonly lcid: number;
  /** Collation with the NSPI compare flags: equal for strings differing only in case, accents, width. */
  compare(a: string, b: string): number;
}

const orders = new Map<number, StringOrder>();

export function stringOrder(sortLocale: number): StringOrder {
  const lcid = closestLcid(sortLocale >>> 0);
  let o = orders.get(lcid);
  if (!o) {
    const c = new Intl.Collator(lcidTag(lcid), {
      usage: 'sort',
      sensitivity: 'base',
      ignorePunctuation: lcid !== NSPI_DEFAULT_LOCALE,
    });
    o = { lcid, compare: c.compare };
    orders.set(lcid, o);
  }
  return o;
}

const MARKS = /\p{M}+/gu;

/** Case-, accent- and width-insensitive form of a string for matching (ANR, FL_IGNORECASE | FL_IGNORENONSPACE). */
export function fold(s: string): string {
  return stripMarks(s).toLowerCase();
}

/** Removes non-spacing marks and width differences (NFKD with the marks dropped; left decomposed). */
export function stripMarks(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return s.normalize('NFKD').replace(MARKS, '');
}
