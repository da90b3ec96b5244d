/** Day and month window boundaries in the county's local time. Pure. */

const DAY = 86_400_000;

export function dayStart(t: number, tzOffsetMinutes: number): number {
  const off = tzOffsetMinutes * 60_000;
  return Math.floor((t + off) / DAY) * DAY - off;
}

export function monthStart(t: number, tzOffsetMinutes: number): number {
  const off = tzOffsetMinutes * 60_000;
  const d = new Date(t + off);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - off;
}

export function nextDayStart(t: number, tz: number): number {
  return dayStart(t, tz) + DAY;
}

export function nextMonthStart(t: number, tz: number): number {
  const off = tz * 60_000;
  const d = new Date(t + off);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - off;
}

/** The local date of `t`, 'YYYY-MM-DD'. */
export function localDay(t: number, tz: number): string {
  return new Date(t + tz * 60_000).toISOString().slice(0, 10);
}

/** Start of the local day 'YYYY-MM-DD' (null when it is no date). */
export function parseLocalDay(day: string, tz: number): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return localDay(t, 0) === day ? t - tz * 60_000 : null;
}

/** Start of the local month 'YYYY-MM' (null when it is no month). */
export function parseLocalMonth(month: string, tz: number): number | null {
  return /^\d{4}-\d{2}$/.test(month) ? parseLocalDay(`${month}-01`, tz) : null;
}
