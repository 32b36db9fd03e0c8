/**
 * The session every MySQL restore runs in, the one mysqldump's header sets: utf8mb4, UTC for TIMESTAMP
 * values, no foreign-key or unique checks while tables load in any order, and an sql_mode that accepts
 * zero dates and explicit 0 in AUTO_INCREMENT columns. STRICT_ALL_TABLES is added (mysqldump does not):
 * a transformed value that does not fit its column is an error, not a silent truncation.
 */
export const RESTORE_SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO,STRICT_ALL_TABLES';

export const SESSION_START = [
  'SET NAMES utf8mb4',
  "SET TIME_ZONE = '+00:00'",
  'SET FOREIGN_KEY_CHECKS = 0',
  'SET UNIQUE_CHECKS = 0',
  `SET SQL_MODE = '${RESTORE_SQL_MODE}'`,
  'SET SQL_NOTES = 0',
];

export const SESSION_END = ['SET FOREIGN_KEY_CHECKS = 1', 'SET UNIQUE_CHECKS = 1', 'SET SQL_NOTES = 1'];

/** The delimiter routine, trigger and event bodies are written with (as mysqldump does). */
export const ROUTINE_DELIMITER = ';;';
