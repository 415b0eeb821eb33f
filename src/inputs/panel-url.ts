import { shown, ValueError } from './values.js';

/**
 * The panel's base URL: http(s), no credentials, query or fragment; a trailing slash is dropped
 * and a path prefix (a panel served under /panel) is kept.
 */
export function parsePanelUrl(raw: string, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValueError(`${shown(raw)} is not a URL; expected the panel's address, e.g. https://panel.example.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValueError(`uses ${url.protocol.replace(/:$/, '')}; expected an https:// URL such as https://panel.example.com`);
  }
  if (url.protocol === 'http:' && !allowInsecureHttp) {
    throw new ValueError(
      'is http://, which would send the API key in clear text; use https://, or set allow-insecure-http: true ' +
        'if the panel is only reachable over plain HTTP (e.g. on a private network)',
    );
  }
  if (url.username || url.password) {
    throw new ValueError('must not contain credentials (user:password@); pass extra authentication through headers');
  }
  if (url.search || url.hash) {
    throw new ValueError('must not contain a query (?...) or fragment (#...); expected the panel\'s base address');
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}
