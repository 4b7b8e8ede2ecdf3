/** True when PostgreSQL refused a row for breaking a unique constraint. */
export function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';
}

/** True when PostgreSQL refused a row for breaking a CHECK constraint. */
export function isCheckViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23514';
}
