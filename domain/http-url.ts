/**
 * The URLs we accept (webhook endpoints, rewards' media): http(s), a host name (its last label not numeric, no `--`, so
 * no punycode that might not decode) or a dotted IPv4 address, a port, then any visible ASCII. Every URL it matches is
 * one fetch accepts, and the rule is a pattern the OpenAPI document carries as it is: such a URL is text the server
 * took, not necessarily an RFC 3986 URI, so the document never calls it `format: uri`.
 */
import { z } from 'zod';

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const LABEL = '[A-Za-z0-9](?:-?[A-Za-z0-9])*';
const HOST = `(?:(?:${LABEL}\\.)*[A-Za-z](?:-?[A-Za-z0-9])*|${OCTET}(?:\\.${OCTET}){3})`;
const PORT = '(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?';

export const HTTP_URL = new RegExp(`^https?://${HOST}${PORT}(?:[/?][\\x21-\\x7e]*)?$`);

export function httpUrl() {
  return z
    .string()
    .max(2000)
    .regex(HTTP_URL, 'must be an http(s) URL with a host name or IPv4 address, e.g. https://merchant.example/hooks');
}
