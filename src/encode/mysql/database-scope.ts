/**
 * What in a MySQL statement reaches outside the one database a restore writes into. A dump script is
 * untrusted input: `mariadb-dump --databases --add-drop-database app` holds
 * `/*!40000 DROP DATABASE IF EXISTS app*\/`, which, restored into `app_dev`, would drop `app`.
 *
 * Executable comments (`/*!50001 … *\/`, `/*M!100000 … *\/`) are read as the server reads them: as code.
 * Names are found by their place (after FROM, JOIN, INTO, TABLE, VIEW, PROCEDURE, TRIGGER, CALL,
 * REFERENCES, …): `t.col` in an expression is a column, `db.t` after FROM is another database's table.
 * Dynamic SQL (PREPARE … FROM 'text') is not read.
 */
export interface ScopeFinding {
  /** `drop`: the statement is left out (a warning says so); `refuse`: the script is refused. */
  action: 'drop' | 'refuse';
  /** What the statement does, for messages: `drops the database app`. */
  what: string;
  /** The database a USE or CREATE DATABASE selects (the script's own, unless it switches). */
  selects?: string;
  /** The database a DROP/ALTER DATABASE names. */
  database?: string;
}

type TokenType = 'word' | 'name' | 'string' | 'number' | 'variable' | 'punctuation' | 'client-command';

interface Token {
  type: TokenType;
  /** Words upper-cased; names unquoted; punctuation as is. */
  text: string;
  /** A word as written. */
  original?: string;
}

/** Schemas nobody can write into: reading them from a view or routine reaches nothing. */
const READ_ONLY_SCHEMAS = new Set(['information_schema', 'performance_schema']);

/** A table (or routine, view, trigger, event) name follows these words, possibly as a list. */
const TABLE_WORDS = new Set(['FROM', 'JOIN', 'STRAIGHT_JOIN', 'INTO', 'UPDATE', 'TABLE', 'TABLES', 'VIEW', 'PROCEDURE', 'FUNCTION', 'TRIGGER', 'EVENT', 'CALL', 'REFERENCES', 'USING', 'HANDLER']);
/** …until one of these. */
const LIST_ENDS = new Set([
  'WHERE', 'ON', 'SET', 'SELECT', 'VALUES', 'VALUE', 'GROUP', 'ORDER', 'LIMIT', 'HAVING', 'UNION', 'EXCEPT', 'INTERSECT', 'WINDOW',
  'FOR', 'PARTITION', 'DO', 'BEGIN', 'RETURNS', 'RETURN', 'COMMENT', 'LANGUAGE', 'DETERMINISTIC', 'SQL', 'READS', 'MODIFIES', 'CONTAINS',
  'WITH', 'ENGINE', 'DEFAULT', 'CHARACTER', 'CHARSET', 'COLLATE', 'ADD', 'MODIFY', 'CHANGE', 'ALTER', 'LOCK', 'INTERVAL', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END',
]);
/** FROM inside these functions' parentheses is not a table's: EXTRACT(YEAR FROM t.d), TRIM(BOTH 'x' FROM t.s). */
const FROM_FUNCTIONS = new Set(['EXTRACT', 'TRIM', 'SUBSTRING', 'SUBSTR', 'MID', 'OVERLAY', 'POSITION']);
/** mysql client commands (run by the client, never by the server: a `-o` script piped into it would run them). */
const CLIENT_COMMANDS = new Set(['SYSTEM', 'SOURCE', 'CONNECT', 'PAGER', 'NOPAGER', 'TEE', 'NOTEE', 'EDIT', 'PROMPT', 'CHARSET', 'EXIT', 'QUIT', 'EGO', 'GO', 'REHASH']);

/** The statement's first line past its leading comments, for messages. */
export function statementExcerpt(sql: string): string {
  const text = sql.replace(/^(?:\s+|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$)|\/\*(?![!M])[\s\S]*?\*\/)*/, '').replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The first thing in the statement that reaches outside the destination database, or undefined. */
export function databaseScope(sql: string): ScopeFinding | undefined {
  const tokens = tokenize(sql);
  return headFinding(tokens) ?? bodyFinding(tokens);
}

function up(token: Token | undefined): string | undefined {
  return token?.type === 'word' ? token.text : undefined;
}

function isNameToken(token: Token | undefined): boolean {
  return token !== undefined && (token.type === 'word' || token.type === 'name');
}

function nameText(token: Token): string {
  return token.type === 'word' ? token.original! : token.text;
}

/** The statement as a whole: USE, CREATE/DROP/ALTER DATABASE, client commands, server-wide statements. */
function headFinding(tokens: Token[]): ScopeFinding | undefined {
  const first = up(tokens[0]);
  const clientCommand = tokens.find((t) => t.type === 'client-command');
  if (clientCommand) return { action: 'refuse', what: `holds the mysql client command \\${clientCommand.text}` };
  if (!first) return undefined;
  if (CLIENT_COMMANDS.has(first)) {
    return { action: 'refuse', what: `is the mysql client command ${tokens[0]!.original}` };
  }
  if (first === 'USE' && isNameToken(tokens[1])) return { action: 'drop', what: `selects the database ${nameText(tokens[1]!)}`, selects: nameText(tokens[1]!) };
  let at = 1;
  if (first === 'CREATE' && up(tokens[1]) === 'OR' && up(tokens[2]) === 'REPLACE') at = 3;
  const object = up(tokens[at]);
  if ((first === 'CREATE' || first === 'DROP' || first === 'ALTER') && (object === 'DATABASE' || object === 'SCHEMA')) {
    let name = at + 1;
    while (['IF', 'NOT', 'EXISTS'].includes(up(tokens[name]) ?? '')) name += 1;
    const target = tokens[name];
    if (first === 'ALTER' && (!isNameToken(target) || (target!.type === 'word' && ['DEFAULT', 'CHARACTER', 'CHARSET', 'COLLATE', 'UPGRADE', 'COMMENT', 'READ'].includes(target!.text)))) {
      return undefined; // ALTER DATABASE without a name: the default database, the destination.
    }
    if (!isNameToken(target)) return { action: 'refuse', what: `${first.toLowerCase()}s a database` };
    const database = nameText(target!);
    if (first === 'CREATE') return { action: 'drop', what: `creates the database ${database}`, selects: database };
    return { action: 'drop', what: `${first === 'DROP' ? 'drops' : 'alters'} the database ${database}`, database };
  }
  const second = up(tokens[1]);
  if (['GRANT', 'REVOKE', 'INSTALL', 'UNINSTALL', 'SHUTDOWN', 'KILL', 'PURGE', 'BINLOG'].includes(first)) return { action: 'refuse', what: `is a server-wide ${first} statement` };
  if ((first === 'CREATE' || first === 'ALTER' || first === 'DROP' || first === 'RENAME') && ['USER', 'ROLE', 'SERVER', 'TABLESPACE', 'LOGFILE'].includes(second ?? '')) {
    return { action: 'refuse', what: `is a server-wide ${first} ${second} statement` };
  }
  if (first === 'CHANGE' || (first === 'RESET' && second !== 'QUERY') || ((first === 'START' || first === 'STOP') && ['SLAVE', 'REPLICA', 'ALL'].includes(second ?? ''))) {
    return { action: 'refuse', what: `is a replication statement (${first} ${second ?? ''})`.replace(' )', ')') };
  }
  if (first === 'LOAD' && (second === 'DATA' || second === 'XML')) return { action: 'refuse', what: 'loads a file of the server (LOAD DATA)' };
  if (first === 'SET') return setFinding(tokens);
  return undefined;
}

/** SET GLOBAL / SET PASSWORD / SET ROLE change the server; mysqldump's GTID lines are dropped, as its --set-gtid-purged=OFF would. */
function setFinding(tokens: Token[]): ScopeFinding | undefined {
  const second = up(tokens[1]);
  if (second === 'PASSWORD' || (second === 'DEFAULT' && up(tokens[2]) === 'ROLE')) return { action: 'refuse', what: `is a server-wide SET ${second} statement` };
  for (let i = 1; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    const variable = token.type === 'variable' ? token.text.toUpperCase() : undefined;
    if (variable === '@@GLOBAL.GTID_PURGED' || variable === '@@SESSION.SQL_LOG_BIN' || variable === '@@SQL_LOG_BIN' || (up(token) === 'SQL_LOG_BIN' && i === 1)) {
      return { action: 'drop', what: `sets ${variable ?? 'SQL_LOG_BIN'} (replication state of the server it came from)` };
    }
    if (up(token) === 'GLOBAL' || up(token) === 'PERSIST' || up(token) === 'PERSIST_ONLY' || variable?.startsWith('@@GLOBAL.') || variable?.startsWith('@@PERSIST')) {
      return { action: 'refuse', what: 'sets a server-wide (GLOBAL) variable' };
    }
  }
  return undefined;
}

/** Names anywhere in the statement: another database's table, routine or column; nested database statements. */
function bodyFinding(tokens: Token[]): ScopeFinding | undefined {
  let listing = false;
  const parens: string[] = [];
  const indexStatement = /^(CREATE|DROP)$/.test(up(tokens[0]) ?? '') && tokens.slice(1, 4).some((t) => up(t) === 'INDEX');
  let firstOn = true;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    const word = up(token);
    const previous = tokens[i - 1];
    if (isNameToken(token) && tokens[i + 1]?.text === '.' && tokens[i + 1]!.type === 'punctuation') {
      const finding = qualifiedFinding(tokens, i, listing);
      if (finding) return finding;
    }
    if (i > 0 && (word === 'CREATE' || word === 'DROP' || word === 'ALTER') && (up(tokens[i + 1]) === 'DATABASE' || up(tokens[i + 1]) === 'SCHEMA') && tokens[i + 2]?.text !== '(') {
      return { action: 'refuse', what: `holds ${word} ${up(tokens[i + 1])} in its body` };
    }
    if (word === 'INTO' && (up(tokens[i + 1]) === 'OUTFILE' || up(tokens[i + 1]) === 'DUMPFILE')) return { action: 'refuse', what: `writes a file on the server (INTO ${up(tokens[i + 1])})` };
    if (word === 'LOAD_FILE' && tokens[i + 1]?.text === '(') return { action: 'refuse', what: 'reads a file of the server (LOAD_FILE)' };
    if (token.type === 'punctuation') {
      if (token.text === '(') {
        parens.push(up(previous) ?? '');
        // CREATE TABLE t (LIKE other.t)
        listing = up(tokens[i + 1]) === 'LIKE';
      } else if (token.text === ')') {
        parens.pop();
        listing = false;
      } else if (token.text !== ',' && token.text !== '.') listing = false;
      continue;
    }
    if (!word) continue;
    if (word === 'ON') {
      const event = up(previous);
      // CREATE TRIGGER … BEFORE INSERT ON t; CREATE INDEX i ON t.
      listing = event === 'INSERT' || event === 'UPDATE' || event === 'DELETE' || (indexStatement && firstOn);
      firstOn = false;
    } else if (TABLE_WORDS.has(word)) {
      if (word === 'FROM' && FROM_FUNCTIONS.has(parens.at(-1) ?? '')) listing = false;
      else if (word === 'UPDATE' && ['KEY', 'ON', 'FOR'].includes(up(previous) ?? '')) listing = false;
      else listing = true;
    } else if (LIST_ENDS.has(word)) listing = false;
  }
  return undefined;
}

/** `a.b` at `at`: three-part names and `db.routine(` anywhere, `db.table` where a table is named. */
function qualifiedFinding(tokens: Token[], at: number, listing: boolean): ScopeFinding | undefined {
  const qualifier = tokens[at]!;
  const second = tokens[at + 2];
  if (!second || (!isNameToken(second) && second.text !== '*')) return undefined;
  if (tokens[at - 1]?.text === '.' && tokens[at - 1]!.type === 'punctuation') return undefined; // the middle of a name already read
  const database = nameText(qualifier);
  if (READ_ONLY_SCHEMAS.has(database.toLowerCase())) return undefined;
  const threePart = tokens[at + 3]?.text === '.' && tokens[at + 3]!.type === 'punctuation';
  const routine = tokens[at + 3]?.text === '(' && tokens[at + 3]!.type === 'punctuation' && isNameToken(second);
  if (!threePart && !routine && !listing) return undefined;
  const name = `${database}.${second.type === 'word' ? second.original! : second.text}`;
  return { action: 'refuse', what: `names ${name}, in the database ${database}`, database };
}

const WORD = /[A-Za-z0-9_$\u0080-\uFFFF]/;

/** MySQL tokens; comments skipped, executable comments read as code. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let executable = false;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f') i += 1;
    else if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= n || sql.charCodeAt(i + 2) <= 0x20))) {
      const newline = sql.indexOf('\n', i);
      i = newline === -1 ? n : newline + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const bang = sql[i + 2] === '!' ? i + 3 : sql[i + 2] === 'M' && sql[i + 3] === '!' ? i + 4 : -1;
      if (bang !== -1 && !executable) {
        executable = true;
        i = bang;
        while (i < n && sql[i]! >= '0' && sql[i]! <= '9') i += 1;
      } else {
        const close = sql.indexOf('*/', i + 2);
        i = close === -1 ? n : close + 2;
      }
    } else if (c === '*' && sql[i + 1] === '/' && executable) {
      executable = false;
      i += 2;
    } else if (c === "'" || c === '"' || c === '`') {
      const end = endOfQuoted(sql, i, c);
      const body = sql.slice(i + 1, end - 1);
      if (c === '`') tokens.push({ type: 'name', text: body.replaceAll('``', '`') });
      // "…" is a string, or a name under ANSI_QUOTES: a name when a dot touches it.
      else if (c === '"' && (sql[end] === '.' || tokens.at(-1)?.text === '.')) tokens.push({ type: 'name', text: body.replaceAll('""', '"') });
      else tokens.push({ type: 'string', text: body });
      i = end;
    } else if (c === '@') {
      let end = i + 1;
      if (sql[end] === '@') end += 1;
      if (sql[end] === '`' || sql[end] === "'" || sql[end] === '"') end = endOfQuoted(sql, end, sql[end]!);
      else while (end < n && (WORD.test(sql[end]!) || sql[end] === '.')) end += 1;
      tokens.push({ type: 'variable', text: sql.slice(i, end) });
      i = end;
    } else if (c === '\\') {
      const next = sql[i + 1] ?? '';
      // `\N` is NULL; `\-` is MariaDB's sandbox marker (/*M!999999\- enable the sandbox mode *\/).
      if (next !== 'N' && next !== '-' && next.trim() !== '') tokens.push({ type: 'client-command', text: next });
      i += 2;
    } else if ((c >= '0' && c <= '9') || (c === '.' && /[0-9]/.test(sql[i + 1] ?? '') && !isNameToken(tokens.at(-1)))) {
      const number = /^(?:\d*\.\d+|\d+\.?\d*)(?:[eE][+-]?\d+)?/.exec(sql.slice(i, i + 64))![0];
      if (!WORD.test(sql[i + number.length] ?? '') || c === '.') {
        tokens.push({ type: 'number', text: number });
        i += number.length;
      } else i = word(sql, i, tokens);
    } else if (WORD.test(c)) i = word(sql, i, tokens);
    else {
      tokens.push({ type: 'punctuation', text: c });
      i += 1;
    }
  }
  return tokens;
}

function word(sql: string, start: number, tokens: Token[]): number {
  let end = start + 1;
  while (end < sql.length && WORD.test(sql[end]!)) end += 1;
  const original = sql.slice(start, end);
  tokens.push({ type: 'word', text: original.toUpperCase(), original });
  return end;
}

/** The index after the closing quote (backslash escapes in strings, doubled quotes everywhere). */
function endOfQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '\\' && quote !== '`') i += 2;
    else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i += 1;
  }
  return sql.length;
}
