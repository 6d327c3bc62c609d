// @Sensitive marks personal data on message classes; maskSensitive keeps it out of logs and error texts.
// Field names marked anywhere are masked wherever they appear, and e-mail addresses are masked in any text.

const sensitiveFields = new Set<string>();

/** Marks a property as personal data: its value is masked in every log line and error message. */
export function Sensitive(): PropertyDecorator {
  return (_target, key) => {
    sensitiveFields.add(String(key));
  };
}

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*([A-Za-z0-9._%+-])@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

/** "alice@example.com" -> "a***e@example.com", anywhere in a text. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL, '$1***$2@$3');
}

export interface MaskOptions {
  /** Objects to leave as they are (a logger leaves HTTP requests to its own serializers). */
  keepWhole?: (value: object) => boolean;
}

/** True if `name` was marked @Sensitive on some message class. */
export function isSensitiveField(name: string): boolean {
  return sensitiveFields.has(name);
}

/** A value with personal data masked: sensitive fields replaced, e-mail addresses in texts masked. */
export function maskSensitive(value: unknown, options: MaskOptions = {}, depth = 0): unknown {
  if (typeof value === 'string') return maskEmails(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => maskSensitive(item, options, depth + 1));
  if (value instanceof Error || value instanceof Date || ArrayBuffer.isView(value)) return value;
  if (options.keepWhole?.(value)) return value;
  const masked: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    masked[key] =
      sensitiveFields.has(key) && item !== undefined && item !== null ? maskValue(item) : maskSensitive(item, options, depth + 1);
  }
  return masked;
}

function maskValue(value: unknown): string {
  if (typeof value !== 'string') return '***';
  return value.includes('@') ? maskEmails(value).replace(/^[^@]*@/, (local) => (local.includes('***') ? local : '***@')) : '***';
}
