/** Calendar period of a quota, in UTC. */
export type QuotaPeriod = 'day' | 'month';

/** One concrete period: its id (used in store keys) and its bounds in epoch ms. */
export interface PeriodWindow {
  id: string;
  start: number;
  end: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The UTC calendar day or month that contains `at` (epoch ms). */
export function periodAt(period: QuotaPeriod, at: number): PeriodWindow {
  const date = new Date(at);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === 'day') {
    const day = date.getUTCDate();
    const start = Date.UTC(year, month, day);
    return {
      id: `${year}-${pad(month + 1)}-${pad(day)}`,
      start,
      end: Date.UTC(year, month, day + 1),
    };
  }
  return {
    id: `${year}-${pad(month + 1)}`,
    start: Date.UTC(year, month, 1),
    end: Date.UTC(year, month + 1, 1),
  };
}
