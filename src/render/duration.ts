/** `45s`, `12m 3s`, `2h 5m`: how long a run took or will take. */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)}s`
  const minutes = Math.floor(seconds / 60)
  return minutes < 90
    ? `${minutes}m ${Math.round(seconds - minutes * 60)}s`
    : `${Math.floor(minutes / 60)}h ${minutes % 60}m`
}
