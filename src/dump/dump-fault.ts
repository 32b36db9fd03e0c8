import { ReplibyteError } from '../errors.js';

/**
 * Damage found while reading a dump back: which chunk, and where in its stored bytes when that is
 * known (a failed segment, a truncation). `dump verify` reports these fields; restore prints the message.
 */
export class DumpFault extends ReplibyteError {
  constructor(
    message: string,
    readonly chunk: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'DumpFault';
  }
}
