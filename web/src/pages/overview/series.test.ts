import { describe, expect, it } from 'vitest';
import { dailySeries, overallConversion, stepLabel, sumFields, windowDates } from './series';

describe('windowDates', () => {
  it('lists every date of an exclusive-end window', () => {
    expect(windowDates('2026-11-27T00:00:00Z', '2026-12-04T00:00:00Z')).toEqual([
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
    ]);
  });
  it('keeps the end date when the window ends within it', () => {
    expect(windowDates('2026-12-01T00:00:00Z', '2026-12-02T13:00:00Z')).toEqual(['2026-12-01', '2026-12-02']);
  });
  it('gives nothing for a missing or reversed window', () => {
    expect(windowDates(null, '2026-12-04T00:00:00Z')).toEqual([]);
    expect(windowDates('2026-12-04T00:00:00Z', '2026-12-01T00:00:00Z')).toEqual([]);
  });
});

describe('dailySeries', () => {
  const window = { from: '2026-11-29T00:00:00Z', to: '2026-12-02T00:00:00Z' };
  it('fills the days without rows with zeros, in date order', () => {
    const rows = [
      { date: '2026-12-01', users: 5, events: 50 },
      { date: '2026-11-29', users: 2, events: 20 },
    ];
    expect(dailySeries(rows, ['users', 'events'], window)).toEqual({
      dates: ['2026-11-29', '2026-11-30', '2026-12-01'],
      values: { users: [2, 0, 5], events: [20, 0, 50] },
    });
  });
  it('keeps rows outside the window instead of dropping them', () => {
    const rows = [{ date: '2026-12-05', users: 1 }];
    const s = dailySeries(rows, ['users'], window);
    expect(s.dates).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-05']);
    expect(s.values.users).toEqual([0, 0, 0, 1]);
  });
  it('works without a window', () => {
    expect(dailySeries([{ date: '2026-12-01', users: 3 }], ['users'], { from: null, to: null })).toEqual({
      dates: ['2026-12-01'],
      values: { users: [3] },
    });
  });
});

describe('sumFields', () => {
  it('sums numbers and ignores missing ones', () => {
    const rows = [
      { sessions: 2, revenue: 1.5 },
      { sessions: 3, revenue: null as unknown as number },
    ];
    expect(sumFields(rows, ['sessions', 'revenue'])).toEqual({ sessions: 5, revenue: 1.5 });
    expect(sumFields([] as { a: number }[], ['a'])).toEqual({ a: 0 });
  });
});

describe('funnel helpers', () => {
  it('labels steps readably', () => {
    expect(stepLabel('add_to_cart')).toBe('Add to cart');
    expect(stepLabel('purchase')).toBe('Purchase');
  });
  it('computes the overall conversion from the first to the last step', () => {
    const steps = [
      { step: 'page_view', users: 200, conversionRate: 100, dropOff: 0 },
      { step: 'purchase', users: 5, conversionRate: 2.5, dropOff: 195 },
    ];
    expect(overallConversion(steps)).toBe(2.5);
    expect(overallConversion([])).toBeNull();
    expect(overallConversion([{ step: 'a', users: 0, conversionRate: 100, dropOff: 0 }])).toBeNull();
  });
});
