import { describe, expect, it } from 'vitest';
import { exactNumber } from './query';

describe('exactNumber', () => {
  it('keeps ordinary numbers as numbers', () => {
    expect(exactNumber(836075, '836075')).toBe(836075);
    expect(exactNumber(1.5, '1.50')).toBe(1.5);
    expect(exactNumber(-0.000123, '-0.000123')).toBe(-0.000123);
    expect(exactNumber(123456789012345, '123456789012345')).toBe(123456789012345);
  });

  it('keeps the source text of numbers a double cannot hold exactly', () => {
    expect(exactNumber(12345678901234568, '12345678901234567')).toBe('12345678901234567');
    expect(exactNumber(-9223372036854776000, '-9223372036854775808')).toBe('-9223372036854775808');
    expect(exactNumber(12345678901234.57, '12345678901234.5678')).toBe('12345678901234.5678');
  });

  it('ignores leading zeros and the exponent when counting digits', () => {
    expect(exactNumber(0.1, '0.1')).toBe(0.1);
    expect(exactNumber(1e300, '1e300')).toBe(1e300);
  });

  it('returns the number when the browser gives no source text', () => {
    expect(exactNumber(12345678901234568, undefined)).toBe(12345678901234568);
  });
});
