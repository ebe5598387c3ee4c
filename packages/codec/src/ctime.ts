import { InvalidFieldError, previewText } from './errors.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const CTIME =
  /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ 1-3][0-9]) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([1-9][0-9]{3})$/;
const EXAMPLE = 'a ctime timestamp like "Mon Nov  3 09:05:03 2026"';

function two(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/**
 * `date` in local time exactly as Python's time.ctime() prints it:
 * `Mon Nov  3 09:05:03 2026` (day of month padded with a space, 24-hour
 * clock, fractions of a second dropped). Years are printed in full, as
 * Python does; parseCtime accepts the 4-digit ones.
 */
export function formatCtime(date: Date, field = 'timestamp'): string {
  const year = date.getFullYear();
  if (Number.isNaN(year) || year < 1) {
    throw new InvalidFieldError({ field, expected: 'a valid Date in year 1 or later', got: String(date) });
  }
  const day = date.getDate();
  return (
    `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day < 10 ? ` ${day}` : day} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${year}`
  );
}

/**
 * Parses what formatCtime prints, strictly: the exact layout, a weekday that
 * matches the date, and a local time that exists (not Feb 30, not a time
 * skipped by a daylight-saving change). In a repeated hour (clocks going
 * back) the earlier instant is returned, as the text does not say which.
 * Anything else is InvalidFieldError naming `field`.
 */
export function parseCtime(text: string, field: string): Date {
  const m = CTIME.exec(text);
  if (m === null) throw new InvalidFieldError({ field, expected: EXAMPLE, got: previewText(text) });
  const weekday = DAYS.indexOf(m[1] as (typeof DAYS)[number]);
  const month = MONTHS.indexOf(m[2] as (typeof MONTHS)[number]);
  const day = Number(m[3]);
  const hours = Number(m[4]);
  const minutes = Number(m[5]);
  const seconds = Number(m[6]);
  const year = Number(m[7]);
  // setFullYear, not the Date constructor: it maps years 0-99 to 19xx.
  const date = new Date(2000, 0, 1);
  date.setFullYear(year, month, day);
  date.setHours(hours, minutes, seconds, 0);
  // Out-of-range parts roll over (Feb 30 -> Mar 2, 24:00 -> next day), and a
  // skipped local time moves by the DST shift, so reading back the parts
  // catches all of them.
  if (
    date.getFullYear() !== year ||
    date.getMonth() !== month ||
    date.getDate() !== day ||
    date.getHours() !== hours ||
    date.getMinutes() !== minutes ||
    date.getSeconds() !== seconds
  ) {
    throw new InvalidFieldError({
      field,
      expected: `${EXAMPLE}, naming a local time that exists`,
      got: previewText(text),
    });
  }
  if (date.getDay() !== weekday) {
    throw new InvalidFieldError({
      field,
      expected: `weekday ${DAYS[date.getDay()]} for ${m[2]} ${day} ${year}`,
      got: previewText(text),
    });
  }
  return date;
}
