/**
 * The one error type the CLI turns into a clean one-line message and exit code 1. Anything else that
 * escapes is a bug and is printed with its stack.
 */
export class ReplibyteError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ReplibyteError';
  }
}

/**
 * The datastore itself cannot be used (not writable, full): a fault of the store, named by its config
 * key, whatever was being written. Context (the table being dumped) is not added to it.
 */
export class DatastoreError extends ReplibyteError {}

/** Wraps an unknown thrown value with context ("while reading chunk 3: …"), keeping ReplibyteError hints. */
export function withContext(context: string, error: unknown): ReplibyteError {
  if (error instanceof DatastoreError) return error;
  if (error instanceof ReplibyteError) return new ReplibyteError(`${context}: ${error.message}`, error.hint);
  const message = error instanceof Error ? error.message : String(error);
  return new ReplibyteError(`${context}: ${message}`);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
