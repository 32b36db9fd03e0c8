import { integerRange } from './column-types.js';
import type { ColumnInfo } from './transformer.js';

/*
 * The numbers a column holds, and what to do with one it does not: integer types (PostgreSQL's int2..int8,
 * MySQL's tinyint..bigint, signed or UNSIGNED) and numeric(p,s) / decimal(p,s). Values are compared as
 * whole numbers of the scale's units (10^-s) in BigInt, so no float rounding decides whether 9999.995
 * fits a numeric(6,2): PostgreSQL and MySQL round it half away from zero, to 10000.00, which does not.
 */

export interface DecimalType {
  precision: number;
  /** Digits after the point; PostgreSQL 15 allows it negative (numeric(2,-3) rounds to thousands) or above the precision. */
  scale: number;
  /** MySQL's DECIMAL UNSIGNED: no negative values. */
  unsigned?: boolean;
}

export interface NumberRange {
  /** Values are counted in units of 10^-scale (scale 0 for integers). */
  scale: number;
  min: bigint;
  max: bigint;
  integer: boolean;
}

const DECIMAL_TYPE = /\b(?:numeric|decimal|dec|fixed)\s*\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\)(\s+unsigned)?/i;

/** The precision and scale of a numeric(p,s) column: the catalog's, or read from the type as written. */
export function decimalOf(column: ColumnInfo): DecimalType | undefined {
  if (column.baseType !== 'numeric') return undefined;
  if (column.decimal) return column.decimal;
  const match = DECIMAL_TYPE.exec(column.type);
  if (!match) return undefined;
  return { precision: Number(match[1]), scale: Number(match[2] ?? 0), ...(match[3] && { unsigned: true }) };
}

/** The range of an integer or numeric(p,s) column; undefined for other columns and unbounded numeric. */
export function numberRangeOf(column: ColumnInfo): NumberRange | undefined {
  const integers = integerRange(column);
  if (integers) return { scale: 0, min: integers[0], max: integers[1], integer: true };
  const decimal = decimalOf(column);
  if (!decimal) return undefined;
  const max = 10n ** BigInt(decimal.precision) - 1n;
  return { scale: decimal.scale, min: decimal.unsigned ? 0n : -max, max, integer: false };
}

const NUMBER = /^\s*([-+])?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?\s*$/;

/**
 * A number's text as a whole number of units of 10^-scale, rounded half away from zero (as both engines
 * round a value with more decimals than the scale); undefined when it is not a number. A value whose
 * digits reach past `cap` digits comes back as ±10^cap (it is out of any range that concerns us), so a
 * `1e999999` does not build a million-digit BigInt.
 */
export function unitsOf(text: string, scale: number, cap = 80): bigint | undefined {
  const match = NUMBER.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return undefined;
  const negative = match[1] === '-';
  const fraction = match[3] ?? '';
  const digits = `${match[2]}${fraction}`.replace(/^0+/, '');
  if (digits === '') return 0n;
  const shift = Number(match[4] ?? 0) - fraction.length + scale;
  let units: bigint;
  if (digits.length + shift > cap) units = 10n ** BigInt(cap);
  else if (shift >= 0) units = BigInt(digits) * 10n ** BigInt(shift);
  else if (-shift > digits.length) units = 0n; // under a tenth of a unit
  else {
    const divisor = 10n ** BigInt(-shift);
    const whole = BigInt(digits);
    units = whole / divisor + ((whole % divisor) * 2n >= divisor ? 1n : 0n);
  }
  return negative ? -units : units;
}

/** Units of 10^-scale as the number's text (`-999999`, scale 2 → `-9999.99`; scale -3 → `-999999000`). */
export function formatUnits(units: bigint, scale: number): string {
  if (scale <= 0) return (units * 10n ** BigInt(-scale)).toString();
  const sign = units < 0n ? '-' : '';
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/**
 * The value clamped into the range: a number beyond it (once rounded to the scale, as the server would)
 * becomes the nearest bound; anything else is returned as it is.
 */
export function fitNumber(value: string, range: NumberRange): string {
  const units = unitsOf(value, range.scale);
  if (units === undefined) return value;
  if (units > range.max) return formatUnits(range.max, range.scale);
  if (units < range.min) return formatUnits(range.min, range.scale);
  return value;
}

/** Why the column would refuse the value (its text, then its range), or undefined when it takes it. */
export function numberProblem(value: string, range: NumberRange, type: string): string | undefined {
  if (range.integer && !/^\s*[-+]?\d+\s*$/.test(value)) return `"${value}", which is not an integer`;
  const units = unitsOf(value, range.scale);
  if (units === undefined) return /^\s*[-+]?(nan|infinity|inf)\s*$/i.test(value) ? undefined : `"${value}", which is not a number`;
  if (units < range.min || units > range.max) {
    return `${value}, outside ${type} (${formatUnits(range.min, range.scale)} .. ${formatUnits(range.max, range.scale)})`;
  }
  return undefined;
}

/**
 * numberProblem for every value of a column, with the common case decided by counting characters: a
 * plain number (`-?digits[.digits]`) whose whole part has fewer digits than the range's largest value is
 * inside it whatever its decimals round to (numeric(6,2) takes any 3-digit whole part; int4 any 9 digits).
 */
export function numberCheck(range: NumberRange, type: string): (value: string) => string | undefined {
  // Whole digits that can never reach a bound: 4 for int2 (9999 < 32767), p - s - 1 for numeric(p,s).
  const safeDigits = range.integer ? range.max.toString().length - 1 : range.max.toString().length - range.scale - 1;
  const negatives = range.min < 0n;
  return (value) => {
    const whole = plainWholeDigits(value, range.integer);
    if (whole >= 0 && whole <= safeDigits && (negatives || value.charCodeAt(0) !== 45)) return undefined;
    return numberProblem(value, range, type);
  };
}

/**
 * The digits of a plain number's whole part, leading zeros left out (`-007.50` → 1), or -1 when the text
 * is not `-?digits` (`-?digits[.digits]` unless `integer`). By character codes: the row guard's hot path.
 */
function plainWholeDigits(value: string, integer: boolean): number {
  let i = value.charCodeAt(0) === 45 ? 1 : 0;
  const start = i;
  let significant = -1;
  for (; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code === 46) break;
    if (code < 48 || code > 57) return -1;
    if (significant === -1 && code !== 48) significant = i;
  }
  if (i === start) return -1;
  const digits = significant === -1 ? 0 : i - significant;
  if (i === value.length) return digits;
  if (integer || i === value.length - 1) return -1;
  for (i += 1; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return -1;
  }
  return digits;
}
