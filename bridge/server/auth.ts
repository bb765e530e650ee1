// Token and Origin checks for HTTP requests and WebSocket upgrades.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time comparison (hashing first removes the length leak). */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token from `Authorization: Bearer …`, or `?token=` (browsers cannot set headers on WebSockets). */
export function tokenOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  const url = new URL(req.url ?? '/', 'http://x');
  return url.searchParams.get('token') ?? undefined;
}

export function authorized(req: IncomingMessage, token: string | undefined): boolean {
  return token === undefined || tokenMatches(tokenOf(req), token);
}

/**
 * Browsers send Origin on WebSocket upgrades; a page from another site must not drive the
 * bridge with the user's network position. Non-browser clients send no Origin.
 */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
