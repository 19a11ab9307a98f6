/** "1 follow-up", "2 follow-ups", "0 entries": every count the CLI prints goes through here. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "last day" for a window of one day, else "last 7 days". */
export function lastDays(days: number): string {
  return days === 1 ? "last day" : `last ${days} days`;
}
