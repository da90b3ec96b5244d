/**
 * A hostile or broken camera clock (issue 14, item 3): GetSystemDateAndTime and the HTTP `Date`
 * fallback make a clock offset only from a real date between 1970 and 2099 — no NaN, no year 0
 * taken for 1900, no offset of millennia.
 */
import { describe, expect, it } from 'vitest';
import { interpretTimeResponse } from '../../edge-agent/probes/onvif-time.ts';
import { CAMERA_YEARS, parseSystemDateAndTime, readHttpDate, readSystemDateAndTime } from '../../edge-agent/probes/soap-parse.ts';
import { notAuthorizedFixture, timeFixture } from './fixtures.ts';

type Fields = { Year: string; Month: string; Day: string; Hour: string; Minute: string; Second: string };
const OK: Fields = { Year: '2024', Month: '7', Day: '9', Hour: '19', Minute: '49', Second: '6' };
const answer = (f: Partial<Fields>): string => {
  const v = { ...OK, ...f };
  return (
    '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema"><env:Body><tds:GetSystemDateAndTimeResponse xmlns:tds="x"><tds:SystemDateAndTime>' +
    `<tt:UTCDateTime><tt:Time><tt:Hour>${v.Hour}</tt:Hour><tt:Minute>${v.Minute}</tt:Minute><tt:Second>${v.Second}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${v.Year}</tt:Year><tt:Month>${v.Month}</tt:Month><tt:Day>${v.Day}</tt:Day></tt:Date></tt:UTCDateTime>` +
    '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse></env:Body></env:Envelope>'
  );
};

describe('GetSystemDateAndTime bounds', () => {
  it('a real date is read exactly, the range ends included, and a clock reset to 1970 is a reading', () => {
    expect(parseSystemDateAndTime(answer({}))).toBe(Date.UTC(2024, 6, 9, 19, 49, 6));
    expect(parseSystemDateAndTime(answer({ Year: '1970', Month: '1', Day: '1', Hour: '0', Minute: '0', Second: '0' }))).toBe(0);
    expect(parseSystemDateAndTime(answer({ Year: String(CAMERA_YEARS[1]), Month: '12', Day: '31', Hour: '23', Minute: '59', Second: '60' }))).toBe(Date.UTC(2100, 0, 1));
    expect(parseSystemDateAndTime(answer({ Year: ' 2024 ', Month: '07' }))).toBe(Date.UTC(2024, 6, 9, 19, 49, 6));
  });

  it.each([
    ['year 0 (was taken for 1900)', { Year: '0' }, 'Year 0 out of range 1970..2099'],
    ['year 69 (was 1969)', { Year: '69' }, 'Year 69 out of range'],
    ['year 9999', { Year: '9999' }, 'Year 9999 out of range'],
    ['year 275761 (was NaN)', { Year: '275761' }, 'Year is not a whole number'],
    ['a 400-digit year', { Year: '9'.repeat(400) }, 'Year is not a whole number'],
    ['a negative hour', { Hour: '-1' }, 'Hour is not a whole number'],
    ['a fractional second', { Second: '1.5' }, 'Second is not a whole number'],
    ['an exponent', { Minute: '1e1' }, 'Minute is not a whole number'],
    ['hex', { Day: '0x1' }, 'Day is not a whole number'],
    ['empty', { Month: '' }, 'Month is not a whole number'],
    ['month 13', { Month: '13' }, 'Month 13 out of range'],
    ['hour 24', { Hour: '24' }, 'Hour 24 out of range'],
    ['31 February', { Month: '2', Day: '31' }, 'no day 31 in 2024-2'],
    ['29 February of a common year', { Year: '2023', Month: '2', Day: '29' }, 'no day 29 in 2023-2'],
  ] as const)('%s: no time, the reason named', (_name, f, problem) => {
    const r = readSystemDateAndTime(answer(f));
    expect(r).not.toHaveProperty('utcMs');
    expect((r as { problem: string }).problem).toContain(problem);
    expect(parseSystemDateAndTime(answer(f))).toBeNull();
  });

  it('a missing field, no UTCDateTime, malformed XML', () => {
    expect(readSystemDateAndTime(answer({}).replace(/<tt:Second>.*?<\/tt:Second>/, ''))).toEqual({ problem: 'no Second' });
    expect(readSystemDateAndTime('<a><b/></a>')).toEqual({ problem: undefined });
    expect((readSystemDateAndTime('<a><tt:UTCDateTime></a>') as { problem: string }).problem).toMatch(/^malformed XML/);
  });

  it('a 200 with a hostile date: the rung fails naming why, with no offset at all', () => {
    const r = interpretTimeResponse({ status: 200, headers: {}, body: answer({ Year: '0' }) }, 1000, 1002);
    expect(r).toEqual({ outcome: 'fail', detail: 'bad GetSystemDateAndTime answer: Year 0 out of range 1970..2099' });
    // the real captures still give a finite offset
    for (const v of ['axis', 'hikvision', 'milesight'] as const) {
      const ok = interpretTimeResponse({ status: 200, headers: {}, body: timeFixture(v) }, Date.now(), Date.now());
      expect(Number.isFinite(ok.clockOffsetMs)).toBe(true);
    }
  });
});

describe('the HTTP Date fallback (time needs auth)', () => {
  it('a real date is read', () => {
    expect(readHttpDate('Tue, 27 Feb 2018 18:28:01 GMT')).toBe(Date.UTC(2018, 1, 27, 18, 28, 1));
  });
  it.each([
    ['far future', 'Sat, 13 Sep 275760 00:00:00 GMT'],
    ['year 0', 'Sat, 01 Jan 0000 00:00:00 GMT'],
    ['before 1970', 'Mon, 01 Jan 1900 00:00:00 GMT'],
    ['after 2099', 'Fri, 01 Jan 2100 00:00:00 GMT'],
    ['not a date', 'yesterday-ish'],
    ['over-long', `Tue, 27 Feb 2018 18:28:01 GMT${' '.repeat(100)}`],
    ['repeated', ['Tue, 27 Feb 2018 18:28:01 GMT', 'Tue, 27 Feb 2018 18:28:01 GMT']],
  ] as const)('%s: no date', (_name, v) => {
    expect(readHttpDate(v as string | string[])).toBeNull();
  });
  it('a NotAuthorized time answer with a hostile Date: ok (ONVIF is up), offset null — not NaN, not millennia', () => {
    for (const date of ['Sat, 13 Sep 275760 00:00:00 GMT', 'garbage', 'Sat, 01 Jan 0001 00:00:00 GMT']) {
      const r = interpretTimeResponse({ status: 500, headers: { date }, body: notAuthorizedFixture('axis') }, 1000, 1002);
      expect(r, date).toEqual({ outcome: 'ok', detail: 'time needs auth', clockOffsetMs: null });
    }
  });
});
