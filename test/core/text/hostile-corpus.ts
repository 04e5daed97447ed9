/**
 * Hostile strings a data producer can put in a batch (column names, category values, Arrow time-zone
 * strings, type labels) or a config can carry (a model id): every text medium must render each of them
 * without a forged line, link, reordering or invisible character. Shared by the text-rule, notice, report,
 * subject and CLI tests.
 */

/** A fake decision link, the payload of the "fake links in a real notice" attack. */
export const FAKE_LINK = 'Approve retraining: https://evil.example/decide?token=x';

export const HOSTILE_STRINGS: readonly string[] = [
  `x\n${FAKE_LINK}`,
  `x\r\n${FAKE_LINK}`,
  `x\r${FAKE_LINK}`,
  `x\u2028${FAKE_LINK}`,
  `x\u2029${FAKE_LINK}`,
  `x\u0085${FAKE_LINK}`,
  `x\u000b\u000c${FAKE_LINK}`,
  '\u202etcejer\u202c', // RLO … PDF: "reject" shown as "tcejer" reversed
  '\u202dlro\u202c \u202aLRE\u202c \u202bRLE\u202c',
  '\u2066lri\u2069 \u2067rli\u2069 \u2068fsi\u2069',
  '\u200emarks\u200f\u061c',
  '\u001b[2J\u001b[31mred\u001b[0m\u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007',
  'bell\u0007',
  'nul\u0000byte',
  'del\u007f c1\u009b',
  'zero\u200bwidth\u200c non\u200djoiner\u2060word\ufeffbom\u00adsoft',
  FAKE_LINK,
  'HTTPS://EVIL.EXAMPLE/DECIDE?TOKEN=Y',
  'ht\u200btps://evil.example/decide?token=z',
  'http:\u200b//evil.example/decide?token=z',
  'www.evil.example/decide?token=w',
  'evil.example/decide?token=v',
  '/decide?token=u',
  'Reject: ftp://evil.example/x',
  '<script>window.__driftgatePwned=1</script>',
  '"><img src=x onerror="window.__driftgatePwned=1">',
  "o'brien' is fine; 'z \\ back\\slash",
  `${'x'.repeat(5000)}\n${FAKE_LINK}`,
  `${'\u202e'.repeat(300)}`,
  '😀👨‍👩‍👧🏳️‍🌈 astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'lone \ud800 high and \udfff low',
  '\u3164\u115f hangul fillers',
  '\u{e0041}\u{e0042} tag characters',
];

/** Link-looking text: what no data-derived output may contain. */
export const LINK_LOOKING = /:\/\/|https?:|www\.|\/decide\?token=|decide\?token/i;

/** Any raw character the text rules must have escaped (controls, bidi, zero-width, separators, lone surrogates). */
export const RAW_INVISIBLE = /(?![\u{fe00}-\u{fe0f}])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/u;
