// How pages show a moment: to the minute, in UTC (the server cannot know the reader's zone).
export const utcMinute = (seconds: number) => `${new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 16)} UTC`;

/** The UTC day of a moment, or "never" for one that has not happened (a token never used). */
export const utcDay = (seconds: number | null) => (seconds ? new Date(seconds * 1000).toISOString().slice(0, 10) : 'never');

/** "just now", "1 minute ago", "7 minutes ago": beside a time, so nobody has to do the arithmetic. */
export function minutesAgo(seconds: number, now: number): string {
  const minutes = Math.max(0, Math.floor((now - seconds) / 60));
  return minutes === 0 ? 'just now' : `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
}
