/**
 * A figure's period (统计周期): a local day 'YYYY-MM-DD', a local month 'YYYY-MM', or a range of
 * days 'YYYY-MM-DD..YYYY-MM-DD' (inclusive), in the county's time zone. Pure.
 */
import { localDay, nextDayStart, nextMonthStart, parseLocalDay, parseLocalMonth } from './time-windows.ts';

export interface Period {
  /** as asked, normalised */
  id: string;
  kind: 'day' | 'month' | 'range';
  /** start of its first day */
  from: number;
  /** start of the day after its last */
  to: number;
  /** its days, 'YYYY-MM-DD', in order */
  days: string[];
}

/** The longest range a request may name (a year and a day). */
export const MAX_PERIOD_DAYS = 366;

/** The period `text` names, or a sentence saying why it names none. */
export function parsePeriod(text: string, tz: number): Period | string {
  let kind: Period['kind'];
  let from: number | null;
  let to: number | null;
  if (/^\d{4}-\d{2}$/.test(text)) {
    kind = 'month';
    from = parseLocalMonth(text, tz);
    to = from === null ? null : nextMonthStart(from, tz);
  } else if (text.includes('..')) {
    kind = 'range';
    const [a = '', b = ''] = text.split('..');
    from = parseLocalDay(a, tz);
    const last = parseLocalDay(b, tz);
    to = last === null ? null : nextDayStart(last, tz);
  } else {
    kind = 'day';
    from = parseLocalDay(text, tz);
    to = from === null ? null : nextDayStart(from, tz);
  }
  if (from === null || to === null) return `period ${JSON.stringify(text)} is no day (YYYY-MM-DD), month (YYYY-MM) or range (YYYY-MM-DD..YYYY-MM-DD)`;
  if (to <= from) return `period ${text}: the range ends before it starts`;
  const days: string[] = [];
  for (let d = from; d < to; d = nextDayStart(d, tz)) days.push(localDay(d, tz));
  if (days.length > MAX_PERIOD_DAYS) return `period ${text}: at most ${MAX_PERIOD_DAYS} days`;
  return { id: kind === 'range' ? `${days[0]}..${days[days.length - 1]}` : text, kind, from, to, days };
}
