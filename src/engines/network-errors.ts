/**
 * What a socket-level failure means to a user, whatever the driver: the same words for PostgreSQL,
 * MySQL and the datastores. Undefined when the code is not a network one (the driver's own message
 * is better then).
 */
export function describeNetworkError(code: string | undefined): string | undefined {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the server running?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'ETIMEDOUT':
      return 'timed out';
    default:
      return undefined;
  }
}
