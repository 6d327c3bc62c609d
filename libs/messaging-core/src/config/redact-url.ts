// Hides the password of a URL before it goes into a log line or an error message.

/** The URL with its password hidden, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not parseable: hide everything between the user name and the last "@".
    return url.replace(/(\/\/[^:/@]*:).*@/, '$1***@');
  }
}

/** Each URL of a comma-separated list (the nodes of a cluster) with its password hidden. */
export function redactUrlList(urls: string): string {
  return urls
    .split(',')
    .map((url) => redactUrl(url.trim()))
    .join(',');
}
