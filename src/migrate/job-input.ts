/**
 * Reading the old service's jobs: the body of its `GET /jobs` (`{"jobs": [...], "prev": ..., "next": ...}`),
 * a JSON list of jobs, one job, or JSON Lines with one job (or one page body) per line. A line
 * that is not JSON is an entry of its own, so it is reported without losing the lines around it.
 */

export type JobEntry =
  { readonly job: unknown; readonly label: string } | { readonly error: string; readonly label: string };

/** The input as a whole cannot be read; nothing in it can be trusted to be a job. */
export class JobInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobInputError';
  }
}

/** Paging links the old service put next to `jobs`. */
const PAGE_FIELDS = new Set(['jobs', 'prev', 'next']);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseJobInput(text: string): JobEntry[] {
  if (text.trim() === '') throw new JobInputError('the input is empty');
  let documentError: unknown;
  try {
    return fromDocument(JSON.parse(text));
  } catch (error) {
    if (error instanceof JobInputError) throw error;
    documentError = error;
  }
  const lines = text.split(/\r?\n/);
  const firstLine = lines.findIndex((line) => line.trim() !== '');
  try {
    JSON.parse(lines[firstLine] ?? '');
  } catch {
    // Not JSON Lines either: report the document's own syntax error, with its position.
    throw new JobInputError(`not valid JSON: ${describeSyntaxError(documentError, text)}`);
  }
  const entries: JobEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const label = `line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      entries.push({ error: lineSyntaxError(error), label });
      return;
    }
    if (isObject(value) && Array.isArray(value.jobs) && value.taskDefinition === undefined) {
      value.jobs.forEach((job: unknown, j) => entries.push({ job, label: `${label} job #${j + 1}` }));
    } else if (isObject(value)) {
      entries.push({ job: value, label });
    } else {
      entries.push({ error: 'not a JSON object (expected one job per line)', label });
    }
  });
  return entries;
}

function fromDocument(doc: unknown): JobEntry[] {
  if (Array.isArray(doc)) return doc.map((job: unknown, i) => ({ job, label: `job #${i + 1}` }));
  if (!isObject(doc))
    throw new JobInputError('expected the body of GET /jobs ({"jobs": [...]}), a list of jobs, or one job');
  if (doc.jobs === undefined) return [{ job: doc, label: 'job #1' }];
  if (!Array.isArray(doc.jobs)) throw new JobInputError('"jobs" must be a list');
  const extra = Object.keys(doc).filter((key) => !PAGE_FIELDS.has(key));
  if (extra.length > 0) {
    throw new JobInputError(
      `unexpected top-level field(s) ${extra.map((k) => `"${k}"`).join(', ')} next to "jobs" (expected the body of GET /jobs)`,
    );
  }
  return doc.jobs.map((job: unknown, i) => ({ job, label: `job #${i + 1}` }));
}

/** V8 reports "at position N"; people read line and column. */
function describeSyntaxError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/\(line \d+ column \d+\)/.test(message)) return message;
  const position = /at position (\d+)/.exec(message);
  if (!position) return message;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message} (line ${line} column ${column})`;
}

/** Within one line, V8's "position N (line 1 column N+1)" is just the column. */
function lineSyntaxError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/ \(line 1 column \d+\)/, '')
    .replace(/at position (\d+)/, (_, position: string) => `at column ${Number(position) + 1}`);
}

export interface FetchJobsOptions {
  /** Jobs per request (the old API's `count`; its own default was 10). */
  readonly pageSize: number;
  readonly fetch: typeof fetch;
  /** Per request. */
  readonly timeoutMs?: number;
}

// A service that ignores `skip` would page forever; no real old deployment had a million jobs.
const MAX_PAGES = 10_000;

/**
 * Every job of a running old service: `GET {base}/jobs?skip=N&count=M` until a page has no
 * `next` link (the old API left it out on the last page) or comes back empty.
 */
export async function fetchAllJobs(base: string, options: FetchJobsOptions): Promise<JobEntry[]> {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new JobInputError(`"${base}" is not a URL`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/jobs') ? path : `${path}/jobs`;
  const entries: JobEntry[] = [];
  let skip = 0;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const pageUrl = new URL(url);
    pageUrl.searchParams.set('skip', String(skip));
    pageUrl.searchParams.set('count', String(options.pageSize));
    const where = `GET ${pageUrl.href}`;
    let body: unknown;
    try {
      const response = await options.fetch(pageUrl, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      const text = await response.text();
      if (!response.ok)
        throw new JobInputError(`${where}: HTTP ${response.status} ${text.slice(0, 200).trim()}`);
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new JobInputError(`${where}: the response is not JSON: ${(error as Error).message}`);
      }
    } catch (error) {
      if (error instanceof JobInputError) throw error;
      const cause = (error as Error & { cause?: Error }).cause;
      throw new JobInputError(`${where}: ${(error as Error).message}${cause ? ` (${cause.message})` : ''}`);
    }
    if (!isObject(body) || !Array.isArray(body.jobs))
      throw new JobInputError(`${where}: the response has no "jobs" list`);
    const jobs: unknown[] = body.jobs;
    jobs.forEach((job, i) => entries.push({ job, label: `job #${skip + i + 1}` }));
    if (jobs.length === 0 || body.next === undefined || body.next === null) return entries;
    skip += jobs.length;
  }
  throw new JobInputError(`${url.href}: still more pages after ${MAX_PAGES}; is "skip" being ignored?`);
}
