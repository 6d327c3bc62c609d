// Specs for IsHttpUrl: absolute http(s) URLs with a host pass; other protocols, relative URLs and credentials fail.
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import { IsHttpUrl } from './is-http-url';

class Probe {
  @IsHttpUrl()
  url!: string;
}

async function reasonsFor(url: unknown): Promise<string[]> {
  return reasonsAt((await validateLikeLibrary(Probe, { url })).issues, 'url');
}

describe('IsHttpUrl', () => {
  it.each([
    ['an https URL with a path', 'https://example.com/hook'],
    ['a bare http URL', 'http://example.com'],
    ['a port, query and fragment', 'https://example.com:8443/a?b=c#d'],
    ['a cluster-internal host without TLD', 'http://notifier:8080/callback'],
    ['an IP address', 'http://10.0.0.5/callback'],
  ])('accepts %s', async (_case, url) => {
    expect(await reasonsFor(url)).toEqual([]);
  });

  it.each([
    ['another protocol', 'ftp://example.com/file'],
    ['a URL without protocol', 'example.com/hook'],
    ['a protocol-relative URL', '//example.com/hook'],
    ['a URL without host', 'https://'],
    ['credentials in the URL', 'https://user:secret@example.com/hook'],
    ['a mailto link', 'mailto:someone@example.com'],
    ['a javascript link', 'javascript:alert(1)'],
    ['an empty string', ''],
    ['a number', 42],
  ])('rejects %s with a reason naming the field', async (_case, url) => {
    expect(await reasonsFor(url)).toEqual([expect.stringMatching(/^url must be an absolute http\(s\) URL with a host/)]);
  });
});
