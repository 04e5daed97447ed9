import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainQuote, plainText, showInvisible } from '../../../functions/core/text/plain.js';
import { FAKE_LINK, HOSTILE_STRINGS, LINK_LOOKING, RAW_INVISIBLE } from './hostile-corpus.js';

/** Strings built from hostile fragments and arbitrary UTF-16 code units (lone surrogates included). */
const hostileText = fc
  .array(
    fc.oneof(
      fc.constantFrom(...HOSTILE_STRINGS.map((s) => s.slice(0, 80)), FAKE_LINK, '://', 'http', 's:', 'www.', '/decide?token=', '\n', '\u202e', '.', '?', '[', ']', '\\', "'"),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 6 }),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

/** The text between the quotes of a plainQuote result with its escapes (\x) removed. */
function unescapedInner(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\[\s\S]/g, '');
}

describe('Function: plainText', () => {
  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s).slice(0, 60), s]))('writes %s as one visible, link-free, bounded line', (_label, hostile) => {
    // Act
    const text = plainText(hostile, 64);

    // Assess
    expect(text).not.toMatch(RAW_INVISIBLE);
    expect(text).not.toMatch(LINK_LOOKING);
    expect(text.length).toBeLessThanOrEqual(64);
  });

  it('shows each invisible character as a \\u{…} escape and defangs links the way security notices do', () => {
    // Assess
    expect(plainText('a\u202eb\nc\u0000')).toBe('a\\u{202e}b\\u{a}c\\u{0}');
    expect(plainText(FAKE_LINK)).toBe('Approve retraining: hxxps[:]//evil[.]example/decide[?]token=x');
    expect(plainText('www.evil.example')).toBe('www[.]evil[.]example');
    expect(plainText('lone \ud800')).toBe('lone \\u{d800}');
  });

  it('leaves ordinary names, paths and numbers as they are', () => {
    // Assess
    for (const ordinary of ['delay', 'température_capteur_07', 'N/A', 'America/New_York', 'user.name', '3.14', 'Timestamp<NANOSECOND, UTC>', 'why?', '😀 ❤️']) {
      expect(plainText(ordinary)).toBe(ordinary);
    }
  });

  it('cuts at the limit with "…", never inside an escape or a surrogate pair', () => {
    // Act
    const cut = plainText(`abc${'\u202e'.repeat(10)}`, 12);
    const astral = plainText('😀😀😀😀', 6);

    // Assess
    expect(cut).toBe('abc\\u{202e}…');
    expect(astral).toBe('😀😀…');
  });

  it('holds for any string: one line, nothing invisible, no link, bounded, idempotent', () => {
    fc.assert(
      fc.property(hostileText, fc.integer({ min: 1, max: 120 }), (raw, max) => {
        const text = plainText(raw, max);
        expect(text).not.toMatch(RAW_INVISIBLE);
        expect(text).not.toMatch(LINK_LOOKING);
        expect(text.length).toBeLessThanOrEqual(max);
        expect(plainText(text, max)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('Function: plainQuote', () => {
  it('quotes a value so that it cannot close its quote', () => {
    // Assess
    expect(plainQuote('delay')).toBe("'delay'");
    expect(plainQuote("it's")).toBe("'it\\'s'");
    expect(plainQuote('a\\b')).toBe("'a\\\\b'");
    expect(plainQuote('\u202etcejer')).toBe("'\\u{202e}tcejer'");
  });

  it('holds for any string: one quoted line, no stray quote, nothing invisible, no link, bounded', () => {
    fc.assert(
      fc.property(hostileText, fc.integer({ min: 1, max: 120 }), (raw, max) => {
        const quoted = plainQuote(raw, max);
        expect(quoted.startsWith("'") && quoted.endsWith("'")).toBe(true);
        expect(unescapedInner(quoted)).not.toContain("'");
        expect(quoted).not.toMatch(RAW_INVISIBLE);
        expect(quoted).not.toMatch(LINK_LOOKING);
        expect(quoted.length).toBeLessThanOrEqual(max + 2);
        // A quoted value inside a stored sentence passes the bare rule unchanged (no double escaping).
        expect(plainText(`x ${quoted} y`, 1000)).toBe(`x ${quoted} y`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('Function: showInvisible', () => {
  it('escapes only what hides or reorders text, keeping URLs (for the CLI’s own messages)', () => {
    // Assess
    expect(showInvisible('s3://bucket/key\u001b[2J')).toBe('s3://bucket/key\\u{1b}[2J');
    expect(showInvisible('ok')).toBe('ok');
  });
});
