// Reading environment variables at start, shared by the libraries, the apps and the command line: each helper reads
// one variable, counts an empty value as unset (undefined), and throws EnvConfigError naming the variable, what is
// wrong with its value and the form it accepts. Defaults stay with the caller: `options.x ?? envInteger(...) ?? 20`.
import { EnvConfigError } from '../errors/config-errors';
import { redactUrl, redactUrlList } from './redact-url';

/** The environment to read: process.env, or a plain object in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface IntegerRange {
  min: number;
  /** Default: no upper bound (Number.MAX_SAFE_INTEGER). */
  max?: number;
}

export const PORT_RANGE: IntegerRange = { min: 1, max: 65_535 };

/** Longest value an error message repeats; a longer one is cut. */
const SHOWN_CHARS = 80;

/** The variable's value, or undefined when it is unset or empty. */
export function envString(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

/** A whole number in `range`, written in decimal digits ("12"; not "12.0", "1e3", "0x10" or " 12"). */
export function envInteger(env: Env, name: string, range: IntegerRange): number | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value) || value < range.min || value > max) throw envError(name, raw, `must be ${integerForm(range)}`);
  return value;
}

/** A TCP port to listen on or connect to: 1 to 65535 (0, "any free port", is refused: a service needs a known port). */
export function envPort(env: Env, name: string): number | undefined {
  return envInteger(env, name, PORT_RANGE);
}

/** One of `allowed`, spelled exactly (case matters). */
export function envOneOf<const T extends string>(env: Env, name: string, allowed: readonly T[]): T | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw envError(name, raw, `must be one of ${quotedList(allowed)}`);
  return raw as T;
}

/** A value matching `pattern`; `form` says in words what it accepts ("letters, digits, ...") for the error. */
export function envMatching(env: Env, name: string, pattern: RegExp, form: string): string | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  if (!pattern.test(raw)) throw envError(name, raw, `must be ${form}`);
  return raw;
}

export interface UrlForm {
  /** Accepted schemes, with their colon: ['amqp:', 'amqps:']. */
  schemes: readonly string[];
  /** A valid value, shown in the error. */
  example: string;
}

/** A URL with one of the form's schemes. Its password never appears in an error. */
export function envUrl(env: Env, name: string, form: UrlForm): string | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const problem = urlProblem(raw, form);
  if (problem) throw new EnvConfigError(name, shown(redactUrl(raw)), problem);
  return raw;
}

/** What is wrong with `url` for `form` ("must be a URL starting with amqp:// or amqps://, ..."), or undefined. */
export function urlProblem(url: string, form: UrlForm): string | undefined {
  const reason = urlFault(url, form);
  return reason === undefined ? undefined : `${urlForm(form)} (${reason})`;
}

/**
 * One URL of the form or several separated by commas (the nodes of a cluster: "amqp://a:5672,amqp://b:5672"), each
 * checked as envUrl checks one; spaces around the commas are dropped. A comma inside a URL (a password) is written %2C.
 * No password appears in an error.
 */
export function envUrlList(env: Env, name: string, form: UrlForm): string[] | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const urls = splitUrlList(raw);
  const problem = urlListProblem(urls, form);
  if (problem) throw new EnvConfigError(name, shown(redactUrlList(urls.join(','))), problem);
  return urls;
}

/** The URLs of a comma-separated list, trimmed (an empty entry stays, for urlListProblem to name). */
export function splitUrlList(value: string): string[] {
  return value.split(',').map((url) => url.trim());
}

/**
 * What is wrong with a list of URLs for `form`, or undefined. For a list of one the words are urlProblem's; for a
 * longer one they say which entry is wrong ("the 2nd of 3: its scheme is http:").
 */
export function urlListProblem(urls: readonly string[], form: UrlForm): string | undefined {
  if (urls.length === 0) return `${urlForm(form)} (there is none)`;
  if (urls.length === 1) return urls[0] === '' ? `${urlForm(form)} (it is empty)` : urlProblem(urls[0], form);
  for (const [index, url] of urls.entries()) {
    const reason = url === '' ? 'it is empty' : urlFault(url, form);
    if (reason !== undefined) {
      return `${urlForm(form)}, or several separated by commas (the ${ordinal(index + 1)} of ${urls.length}: ${reason})`;
    }
  }
  return undefined;
}

/** Why `url` is not of the form ("its scheme is http:"), or undefined. */
function urlFault(url: string, form: UrlForm): string | undefined {
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    return 'it is not a URL';
  }
  return form.schemes.includes(scheme) ? undefined : `its scheme is ${scheme}`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function urlForm(form: UrlForm): string {
  const schemes = form.schemes.map((scheme) => `${scheme}//`);
  const list = schemes.length === 1 ? schemes[0] : `${schemes.slice(0, -1).join(', ')} or ${schemes[schemes.length - 1]}`;
  return `must be a URL starting with ${list}, e.g. ${form.example}`;
}

function integerForm({ min, max }: IntegerRange): string {
  return max === undefined || max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
}

function quotedList(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(', ');
}

function envError(name: string, raw: string, problem: string): EnvConfigError {
  return new EnvConfigError(name, shown(raw), problem);
}

function shown(value: string): string {
  return value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}...` : value;
}
