// The security headers every answer carries are helmet's defaults, set from a copy made at start.
import http from 'node:http';
import net from 'node:net';
import type { Request, Response } from 'express';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { securityHeaders } from '../../../producers/http/securityHeaders.js';

function answer(): http.ServerResponse {
  const res = new http.ServerResponse(new http.IncomingMessage(new net.Socket()));
  res.setHeader('X-Powered-By', 'Express');
  return res;
}

describe('security headers', () => {
  it("sets what helmet's default middleware sets, and removes what it removes", () => {
    const byHelmet = answer();
    helmet()({} as Request, byHelmet, () => undefined);
    const byCopy = answer();
    let passedOn = false;
    securityHeaders()({} as Request, byCopy as unknown as Response, () => void (passedOn = true));
    expect(passedOn).toBe(true);
    expect(byCopy.getHeaders()).toEqual(byHelmet.getHeaders());
    expect(byCopy.getHeader('x-powered-by')).toBeUndefined();
    expect(byCopy.getHeader('x-content-type-options')).toBe('nosniff');
    expect(String(byCopy.getHeader('content-security-policy'))).toContain("default-src 'self'");
  });
});
