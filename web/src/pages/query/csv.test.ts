import { describe, expect, it } from 'vitest';
import { csvField, csvFileName, toCsv } from './csv';

describe('csvField', () => {
  it('writes plain values as they are', () => {
    expect(csvField('page_view')).toBe('page_view');
    expect(csvField(836075)).toBe('836075');
    expect(csvField(1.25)).toBe('1.25');
    expect(csvField(true)).toBe('true');
    expect(csvField('12345678901234567')).toBe('12345678901234567');
  });

  it('writes NULL as an empty field', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
  });

  it('quotes commas, quotes and line breaks, doubling the quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line1\nline2')).toBe('"line1\nline2"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField('')).toBe('');
  });

  it('writes JSON values (lists, structs) as JSON text, quoted when needed', () => {
    expect(csvField([1, 2])).toBe('"[1,2]"');
    expect(csvField({ a: 1 })).toBe('"{""a"":1}"');
    expect(csvField([])).toBe('[]');
  });
});

describe('toCsv', () => {
  it('has a header line and one CRLF-terminated line per row', () => {
    const csv = toCsv(
      [{ name: 'event_name' }, { name: 'n' }],
      [
        ['page_view', 836075],
        ['purchase', 2211],
      ],
    );
    expect(csv).toBe('event_name,n\r\npage_view,836075\r\npurchase,2211\r\n');
  });

  it('quotes column names and keeps empty results to the header', () => {
    expect(toCsv([{ name: 'a,b' }, { name: 'c' }], [])).toBe('"a,b",c\r\n');
  });

  it('matches the API CSV form for NULL, quotes and lists', () => {
    // curl -H 'Accept: text/csv' ... SELECT NULL::int a, 'x,"y' s, [1,2] l
    expect(toCsv([{ name: 'a' }, { name: 's' }, { name: 'l' }], [[null, 'x,"y', [1, 2]]])).toBe(
      'a,s,l\r\n,"x,""y","[1,2]"\r\n',
    );
  });
});

describe('csvFileName', () => {
  it('names the source and the UTC time, with characters safe in file names', () => {
    expect(csvFileName('demo', new Date('2026-12-03T14:50:07.123Z'))).toBe('tributary-demo-2026-12-03T14-50-07Z.csv');
    expect(csvFileName('a/b c', new Date('2026-12-03T14:50:07Z'))).toBe('tributary-a_b_c-2026-12-03T14-50-07Z.csv');
  });
});
