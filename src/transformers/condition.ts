import jsep from 'jsep';
import { ReplibyteError } from '../errors.js';
import type { RowView } from './row-transform.js';

/*
 * `when:` conditions on a column's transformer: a small expression over the row's columns, parsed by jsep
 * (an expression parser that builds a tree and never evaluates code) with SQL-like operators, then
 * compiled into closures once per column. The grammar and its semantics are written down in
 * docs/transformers.md ("Conditions").
 */

/** How a column's text is read in a condition. `any`: a document's field, typed by what it is compared with. */
export type ValueKind = 'number' | 'text' | 'date' | 'boolean' | 'any';

/** Tells the kind of a column the condition reads, or undefined when the table has no such column. */
export type KindOf = (column: string) => ValueKind | undefined;

export type Condition = (value: string | null, row: RowView) => boolean;

const WORD_BINARY: Array<[string, number]> = [
  ['or', 1],
  ['and', 2],
  ['in', 7],
  ['not in', 7],
  ['like', 7],
  ['not like', 7],
  ['ilike', 7],
  ['not ilike', 7],
  ['is', 7],
];
const SYMBOL_BINARY: Array<[string, number]> = [
  ['=', 6],
  ['!=', 6],
  ['<>', 6],
  ['<', 7],
  ['>', 7],
  ['<=', 7],
  ['>=', 7],
  ['~', 7],
  ['~*', 7],
  ['!~', 7],
  ['!~*', 7],
];

let configured = false;

/** jsep is configured globally: only our operators, in lower and upper case (`and`, `AND`). */
function parser(): typeof jsep {
  if (configured) return jsep;
  jsep.removeAllBinaryOps();
  jsep.removeAllUnaryOps();
  for (const [op, precedence] of WORD_BINARY) {
    jsep.addBinaryOp(op, precedence);
    jsep.addBinaryOp(op.toUpperCase(), precedence);
  }
  for (const [op, precedence] of SYMBOL_BINARY) jsep.addBinaryOp(op, precedence);
  for (const op of ['not', 'NOT', '-']) jsep.addUnaryOp(op);
  for (const [name, value] of [['NULL', null], ['TRUE', true], ['FALSE', false]] as const) jsep.addLiteral(name, value);
  configured = true;
  return jsep;
}

type Node = jsep.Expression;

/** Parses a condition; throws a ReplibyteError naming the problem and where it is. */
export function parseCondition(text: string): Node {
  let tree: Node;
  try {
    tree = parser()(text);
  } catch (error) {
    throw new ReplibyteError(`cannot parse the condition: ${(error as Error).message}`);
  }
  // jsep reads `a = 1 and` as two expressions side by side (`a = 1`, then a column `and`).
  if (tree.type === 'Compound') throw new ReplibyteError(`cannot parse the condition: one expression expected, found ${(tree as jsep.Compound).body.length} side by side (a missing operator or operand?)`);
  return tree;
}

/** The columns (or document field paths) a condition reads, in order of appearance. */
export function conditionColumns(text: string): string[] {
  const found: string[] = [];
  const visit = (node: Node | null | undefined): void => {
    if (!node) return;
    const name = columnName(node);
    if (name !== undefined) {
      if (!found.includes(name)) found.push(name);
      return;
    }
    for (const child of Object.values(node)) {
      if (Array.isArray(child)) child.forEach((c) => visit(c as Node));
      else if (child && typeof child === 'object' && 'type' in child) visit(child as Node);
    }
  };
  visit(parseCondition(text));
  return found;
}

/** `name`, `"odd name"`, `address.city` (a document's field path). */
function columnName(node: Node): string | undefined {
  if (node.type === 'Identifier') return (node as jsep.Identifier).name;
  if (node.type === 'Literal' && typeof (node as jsep.Literal).value === 'string' && (node as jsep.Literal).raw.startsWith('"')) return (node as jsep.Literal).value as string;
  if (node.type === 'MemberExpression') {
    const member = node as jsep.MemberExpression;
    const object = columnName(member.object);
    const property = member.computed ? undefined : columnName(member.property);
    return object !== undefined && property !== undefined ? `${object}.${property}` : undefined;
  }
  return undefined;
}

/**
 * Compiles a condition for the column `own` (whose value is the transformer's input: reading it costs
 * nothing). Unknown columns, operators and ill-typed comparisons are ReplibyteErrors.
 */
export function compileCondition(text: string, own: string, kindOf: KindOf): Condition {
  const tree = parseCondition(text);
  return new Compiler(own, kindOf).predicate(tree);
}

type Typed = number | string | boolean;
type Reader = (value: string | null, row: RowView) => Typed | null;
interface Operand {
  kind: ValueKind;
  /** The value read as `kind` (null: NULL, or text that is not of that kind). */
  as(kind: ValueKind): Reader;
  literal?: Typed | null;
}

class Compiler {
  constructor(
    private readonly own: string,
    private readonly kindOf: KindOf,
  ) {}

  predicate(node: Node): Condition {
    if (node.type === 'BinaryExpression') return this.binary(node as jsep.BinaryExpression);
    if (node.type === 'UnaryExpression' && (node as jsep.UnaryExpression).operator.toLowerCase() === 'not') {
      const inner = this.predicate((node as jsep.UnaryExpression).argument);
      return (value, row) => !inner(value, row);
    }
    // A boolean column alone: `is_staff`, `not is_staff`.
    const operand = this.operand(node);
    if (operand.kind === 'boolean' || operand.kind === 'any') {
      const read = operand.as('boolean');
      return (value, row) => read(value, row) === true;
    }
    throw new ReplibyteError(`${describe(node)} is not a condition (a ${operand.kind}); compare it: \`${describe(node)} = …\`${node.type === 'UnaryExpression' ? ', or put the comparison in parentheses: `not (a = 1)`' : ''}`);
  }

  private binary(node: jsep.BinaryExpression): Condition {
    const op = node.operator.toLowerCase();
    if (op === 'and' || op === 'or') {
      const left = this.predicate(node.left);
      const right = this.predicate(node.right);
      return op === 'and' ? (v, r) => left(v, r) && right(v, r) : (v, r) => left(v, r) || right(v, r);
    }
    if (node.left.type === 'UnaryExpression' && (node.left as jsep.UnaryExpression).operator.toLowerCase() === 'not') {
      throw new ReplibyteError(`\`not\` binds to the operand next to it: write \`not (${describe((node.left as jsep.UnaryExpression).argument)} ${node.operator} …)\``);
    }
    if (op === 'is') return this.isNull(node);
    if (op === 'in' || op === 'not in') return negate(op !== 'in', this.membership(node));
    if (['like', 'not like', 'ilike', 'not ilike', '~', '~*', '!~', '!~*'].includes(op)) return negate(op.startsWith('not') || op.startsWith('!'), this.match(node, op));
    return this.comparison(node, op);
  }

  private isNull(node: jsep.BinaryExpression): Condition {
    let right = node.right;
    let negated = false;
    if (right.type === 'UnaryExpression' && (right as jsep.UnaryExpression).operator.toLowerCase() === 'not') {
      negated = true;
      right = (right as jsep.UnaryExpression).argument;
    }
    if (right.type !== 'Literal' || (right as jsep.Literal).value !== null) throw new ReplibyteError(`\`is\` takes \`null\` or \`not null\`, not ${describe(right)}`);
    const read = this.operand(node.left).as('text');
    return negated ? (v, r) => read(v, r) !== null : (v, r) => read(v, r) === null;
  }

  private membership(node: jsep.BinaryExpression): Condition {
    const items = node.right.type === 'SequenceExpression' ? (node.right as jsep.SequenceExpression).expressions : node.right.type === 'ArrayExpression' ? ((node.right as jsep.ArrayExpression).elements.filter(Boolean) as Node[]) : [node.right];
    const left = this.operand(node.left);
    const literals = items.map((item) => this.operand(item));
    const bad = items.find((_, i) => !('literal' in literals[i]!));
    if (bad) throw new ReplibyteError(`\`in\` takes a list of values, and ${describe(bad)} is not one`);
    const kind = left.kind !== 'any' ? left.kind : (literals.find((l) => l.literal !== null)?.kind ?? 'text');
    const set = new Set(literals.map((l) => l.as(kind)(null, NO_ROW)).filter((v) => v !== null));
    const read = left.as(kind);
    return (v, r) => {
      const x = read(v, r);
      return x !== null && set.has(x);
    };
  }

  private match(node: jsep.BinaryExpression, op: string): Condition {
    const pattern = this.operand(node.right).literal;
    if (typeof pattern !== 'string') throw new ReplibyteError(`\`${node.operator}\` takes a pattern in single quotes, not ${describe(node.right)}`);
    const insensitive = op.includes('ilike') || op.endsWith('*');
    let regex: RegExp;
    try {
      regex = op.includes('like') ? likeRegex(pattern, insensitive) : new RegExp(pattern, insensitive ? 'iu' : 'u');
    } catch (error) {
      throw new ReplibyteError(`invalid regular expression '${pattern}': ${(error as Error).message}`);
    }
    const read = this.operand(node.left).as('text');
    // `'abc%'`, the usual LIKE: a prefix test, without the regular expression.
    const prefix = op.includes('like') && !insensitive && /^[^%_\\]*%$/.test(pattern) ? pattern.slice(0, -1) : undefined;
    if (prefix !== undefined) {
      return (v, r) => {
        const x = read(v, r);
        return x !== null && (x as string).startsWith(prefix);
      };
    }
    return (v, r) => {
      const x = read(v, r);
      return x !== null && regex.test(x as string);
    };
  }

  private comparison(node: jsep.BinaryExpression, op: string): Condition {
    const test = COMPARISONS[op];
    if (!test) throw new ReplibyteError(`unknown operator ${node.operator}`);
    const left = this.operand(node.left);
    const right = this.operand(node.right);
    if (left.literal === null || right.literal === null) throw new ReplibyteError(`compare with NULL by \`is null\` or \`is not null\`, not \`${node.operator} null\``);
    const kind = commonKind(left, right);
    const readLeft = left.as(kind);
    const readRight = right.as(kind);
    const negative = op === '!=' || op === '<>';
    return (v, r) => {
      const a = readLeft(v, r);
      const b = readRight(v, r);
      // NULL equals nothing, so it differs from everything: `<>` is exactly the opposite of `=`.
      if (a === null || b === null) return negative;
      return test(a, b);
    };
  }

  private operand(node: Node): Operand {
    const name = columnName(node);
    if (name !== undefined) return this.column(name);
    if (node.type === 'Literal') return literalOperand((node as jsep.Literal).value as Typed | null, describe(node));
    if (node.type === 'UnaryExpression' && (node as jsep.UnaryExpression).operator === '-') {
      const inner = (node as jsep.UnaryExpression).argument;
      if (inner.type === 'Literal' && typeof (inner as jsep.Literal).value === 'number') return literalOperand(-((inner as jsep.Literal).value as number), describe(node));
    }
    if (node.type === 'CallExpression') return this.call(node as jsep.CallExpression);
    throw new ReplibyteError(`${describe(node)} is not a column, a value or a function of the condition language`);
  }

  private column(name: string): Operand {
    const kind = this.kindOf(name);
    if (kind === undefined) throw new ReplibyteError(`unknown column ${name}`);
    const raw: (value: string | null, row: RowView) => string | null = name === this.own ? (value) => value : (_value, row) => row.get(name);
    return {
      kind,
      as: (target) => {
        const convert = CONVERT[target === 'any' ? 'text' : target];
        return (value, row) => {
          const text = raw(value, row);
          return text === null ? null : convert(text);
        };
      },
    };
  }

  private call(node: jsep.CallExpression): Operand {
    const name = node.callee.type === 'Identifier' ? (node.callee as jsep.Identifier).name.toLowerCase() : '';
    const fn = FUNCTIONS[name];
    if (!fn || node.arguments.length !== 1) throw new ReplibyteError(`unknown function ${describe(node.callee)} (the condition language has ${Object.keys(FUNCTIONS).join('(x), ')}(x))`);
    const read = this.operand(node.arguments[0]!).as('text');
    const kind: ValueKind = name === 'length' ? 'number' : 'text';
    return {
      kind,
      as: (target) => {
        const convert = CONVERT[target === 'any' ? 'text' : target];
        return (value, row) => {
          const x = read(value, row);
          return x === null ? null : convert(String(fn(x as string)));
        };
      },
    };
  }
}

const FUNCTIONS: Record<string, (text: string) => string | number> = {
  lower: (text) => text.toLowerCase(),
  upper: (text) => text.toUpperCase(),
  length: (text) => [...text].length,
  trim: (text) => text.trim(),
};

const NO_ROW: RowView = { get: () => null };

function negate(negated: boolean, condition: Condition): Condition {
  return negated ? (v, r) => !condition(v, r) : condition;
}

function literalOperand(value: Typed | null, where: string): Operand {
  const kind: ValueKind = value === null ? 'any' : typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'text';
  return {
    kind,
    literal: value,
    as: (target) => {
      if (value === null) return () => null;
      const converted = target === kind || target === 'any' ? value : CONVERT[target](String(value === true ? 't' : value === false ? 'f' : value));
      if (converted === null) throw new ReplibyteError(`${where} is not a ${target === 'date' ? 'date (YYYY-MM-DD or YYYY-MM-DD hh:mm:ss)' : target}`);
      return () => converted;
    },
  };
}

/** What two operands are compared as: the column's type decides a literal's. */
function commonKind(left: Operand, right: Operand): ValueKind {
  if (left.kind === right.kind) return left.kind === 'any' ? 'text' : left.kind;
  if (left.kind === 'any') return right.kind;
  if (right.kind === 'any') return left.kind;
  if ('literal' in right) return left.kind;
  if ('literal' in left) return right.kind;
  return 'text';
}

const TRUE_TEXT = new Set(['t', 'true', '1', 'y', 'yes', 'on']);
const FALSE_TEXT = new Set(['f', 'false', '0', 'n', 'no', 'off']);

const CONVERT: Record<Exclude<ValueKind, 'any'>, (text: string) => Typed | null> = {
  text: (text) => text,
  number: (text) => {
    const n = text.trim() === '' ? NaN : Number(text);
    return Number.isNaN(n) ? null : n;
  },
  boolean: (text) => {
    const lower = text.toLowerCase();
    return TRUE_TEXT.has(lower) ? true : FALSE_TEXT.has(lower) ? false : null;
  },
  date: (text) => instantOf(text),
};

const INSTANT = /^(\d{4,})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(?:Z|([+-])(\d{2})(?::?(\d{2}))?(?::?\d{2})?)?( BC)?$/;

/**
 * Milliseconds since the epoch; a value without an offset is read as UTC. Plain arithmetic (no Date
 * object): a condition on a date column reads one per row.
 */
function instantOf(text: string): number | null {
  const m = INSTANT.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, fraction, sign, oh, om, bc] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  // PostgreSQL writes year 1 BC as `0001 BC`: astronomical year 0.
  const year = bc ? 1 - Number(y) : Number(y);
  const seconds = Number(h ?? 0) * 3600 + Number(mi ?? 0) * 60 + Number(sec ?? 0) + (fraction ? Number(fraction) : 0);
  const offset = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om ?? 0) * 60) : 0;
  return (daysFromCivil(year, month, day) * 86_400 + seconds - offset) * 1000;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}

const COMPARISONS: Record<string, (a: Typed, b: Typed) => boolean> = {
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<>': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '>': (a, b) => a > b,
  '<=': (a, b) => a <= b,
  '>=': (a, b) => a >= b,
};

/** SQL LIKE: `%` any run, `_` one character, `\` escapes the next one. */
function likeRegex(pattern: string, insensitive: boolean): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) source += escapeRegex(pattern[++i]!);
    else if (c === '%') source += '[\\s\\S]*';
    else if (c === '_') source += '[\\s\\S]';
    else source += escapeRegex(c);
  }
  return new RegExp(`^${source}$`, insensitive ? 'iu' : 'u');
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function describe(node: Node): string {
  const name = columnName(node);
  if (name !== undefined) return name;
  if (node.type === 'Literal') return (node as jsep.Literal).raw;
  if (node.type === 'UnaryExpression') return `${(node as jsep.UnaryExpression).operator} ${describe((node as jsep.UnaryExpression).argument)}`;
  if (node.type === 'BinaryExpression') return `${describe((node as jsep.BinaryExpression).left)} ${(node as jsep.BinaryExpression).operator} ${describe((node as jsep.BinaryExpression).right)}`;
  if (node.type === 'CallExpression') return `${describe((node as jsep.CallExpression).callee)}(…)`;
  return node.type;
}

/** The kind a column of this base type is read as in a condition. */
export function kindOfType(baseType: string): ValueKind {
  if (/^u?int\d$|^(numeric|decimal|float4|float8|money|oid)$/.test(baseType)) return 'number';
  if (/^(date|timestamp|timestamptz|datetime)$/.test(baseType)) return 'date';
  if (baseType === 'bool' || baseType === 'boolean') return 'boolean';
  return 'text';
}
