// Structured logging. Every line about a resource carries `resource: namespace/name`: callers get
// a child logger bound to it rather than formatting the key into messages.
//
// Two renderings of the same fields: JSON, one object per line, for log pipelines; and text for a
// person at a terminal. config.ts picks text when stderr is a TTY. Errors keep their cause chain
// in both (see error-fields.ts).
//
// Not pino: our lines are few (a handful per run), and pino's text output needs pino-pretty, a
// second dependency with its own formatting. Lines to stderr go out in one write per event-loop
// turn (line-buffer.ts: at thousands of runs a minute a write per line was a syscall per line),
// and what is left at process exit is written synchronously then, so the last lines before a
// crash exit are never lost, as with a write per line. What pino would add, speed at thousands of
// lines a second, we do not need; the port below keeps the option open.
import { describeErrorChain, errorFields } from './error-fields.js';
import { flushOnExit, LineBuffer, writeAllSync } from './line-buffer.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  /** Lines below it are dropped. Default "info". */
  readonly level?: LogLevel;
  /** Default "json"; `ecs-scheduler run` passes config.logFormat (text on a terminal). */
  readonly format?: LogFormat;
  /**
   * Where lines go, one call per line without its newline. Default: stderr (so stdout stays clean
   * for command output), batched per event-loop turn and flushed at process exit.
   */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

function jsonValue(value: unknown): unknown {
  if (value instanceof Error) return errorFields(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

// Characters that can end a line or drive a terminal: C0 and C1 controls, DEL, and the Unicode
// line and paragraph separators. Values come from users and AWS (a cluster name, an error
// message); one of them with a newline or an ANSI escape could otherwise forge a log line.
// eslint-disable-next-line no-control-regex -- matching controls is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// What JSON.stringify leaves raw of those: it escapes C0 only.
const CONTROL_AFTER_JSON = /[\u007f-\u009f\u2028\u2029]/g;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const escapeChar = (c: string) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` on one line whatever it holds: control characters become their escapes. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escapeChar);
}

/** JSON.stringify, with the controls it leaves raw escaped too (still valid JSON). */
function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(CONTROL_AFTER_JSON, escapeChar);
}

// Bare when it cannot be misread (no spaces, quotes, `=` or controls), JSON-quoted otherwise.
function textValue(value: unknown): string {
  if (value instanceof Error) return safeJson(describeErrorChain(errorFields(value)));
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') {
    // eslint-disable-next-line no-control-regex -- controls must not be printed bare
    return /^[^\s"=\u0000-\u001f\u007f-\u009f]+$/.test(value) ? value : safeJson(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  try {
    return safeJson(value);
  } catch {
    return escapeControl(String(value));
  }
}

function renderJson(ts: Date, level: LogLevel, message: string, fields: LogFields): string {
  const entry: LogFields = { ts: ts.toISOString(), level, msg: message };
  for (const [k, v] of Object.entries(fields)) entry[k] = jsonValue(v);
  try {
    return safeJson(entry);
  } catch {
    // A cyclic field must not lose the line.
    return safeJson({ ts: entry.ts, level, msg: message, fields: textValue(fields) });
  }
}

// `2026-03-01T10:00:05.000Z WARN  launch failed resource=data/nightly error="..."`: the resource
// right after the message, where the eye looks for it.
function renderText(ts: Date, level: LogLevel, message: string, fields: LogFields): string {
  const { resource, ...rest } = fields;
  const pairs = [
    ...(resource === undefined ? [] : [`resource=${textValue(resource)}`]),
    ...Object.entries(rest).map(([k, v]) => `${escapeControl(k)}=${textValue(v)}`),
  ];
  return `${ts.toISOString()} ${level.toUpperCase().padEnd(5)} ${escapeControl(message)}${pairs.length ? ` ${pairs.join(' ')}` : ''}`;
}

let stderrBuffer: LineBuffer | undefined;

/** The process's stderr as a line writer, shared by every logger that names no writer. */
function stderrLines(): (line: string) => void {
  if (!stderrBuffer) {
    stderrBuffer = new LineBuffer({
      write: (text) => process.stderr.write(text),
      writeAtExit: (text) => writeAllSync(2, text),
    });
    flushOnExit(stderrBuffer);
  }
  return stderrBuffer.line;
}

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const threshold = ORDER[options.level ?? 'info'];
  const render = (options.format ?? 'json') === 'json' ? renderJson : renderText;
  const write = options.write ?? stderrLines();
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (ORDER[level] < threshold) return;
    write(render(now(), level, message, { ...bound, ...fields }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

export const silentLogger: Logger = createLogger({ write: () => undefined });
