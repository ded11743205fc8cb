import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, csvField, formatCsv, parseCsv } from '../../../src/validation';

const cells = (text: string) => parseCsv(text).map((r) => r.cells);

describe('RFC 4180 CSV', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks', () => {
    expect(cells('a,"b,c","say ""hi""","two\nlines"\r\nx,y,z,w')).toEqual([
      ['a', 'b,c', 'say "hi"', 'two\nlines'],
      ['x', 'y', 'z', 'w'],
    ]);
  });

  it('tells the line each row starts on, skipping blank lines', () => {
    const rows = parseCsv('h1,h2\n\n"a\nb",c\nd,e\n');
    expect(rows.map((r) => r.line)).toEqual([1, 3, 5]);
  });

  it('drops a byte-order mark, accepts CR-only and a missing final newline, keeps empty fields', () => {
    expect(cells('\uFEFFpath,class\r0/a.png,\r1/b.png,x')).toEqual([
      ['path', 'class'],
      ['0/a.png', ''],
      ['1/b.png', 'x'],
    ]);
  });

  it('reads semicolon files from comma-decimal spreadsheets', () => {
    expect(cells('path;modality;class\n"a;b.png";2d;0\n')).toEqual([
      ['path', 'modality', 'class'],
      ['a;b.png', '2d', '0'],
    ]);
  });

  it('refuses an unclosed quote and text after a closing quote, naming the line', () => {
    expect(() => parseCsv('a,b\n"open,c\nd')).toThrow(CsvSyntaxError);
    try {
      parseCsv('a,b\n"open,c\nd');
    } catch (e) {
      expect((e as CsvSyntaxError).line).toBe(2);
      expect((e as CsvSyntaxError).problem).toBe('unclosed-quote');
    }
    expect(() => parseCsv('a,"b"c\n')).toThrow(/text follows a closing quote/);
  });

  it('writes what it reads back', () => {
    const rows = [
      ['plain', 'with,comma', 'with "quote"', 'two\r\nlines', ' edge ', ''],
      ['1', '2', '3', '4', '5', '6'],
    ];
    expect(formatCsv(rows).endsWith('\r\n')).toBe(true);
    expect(cells(formatCsv(rows))).toEqual(rows);
    expect(csvField('a')).toBe('a');
    expect(csvField('a"b')).toBe('"a""b"');
  });
});
