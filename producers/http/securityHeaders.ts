// Security headers on every answer, refusals included: helmet's defaults (nosniff, a
// restrictive Content-Security-Policy, frame denial, HSTS, no referrer, ...). The API serves
// JSON; nothing here needs a looser policy (the docs and the dashboard set their own CSP).
//
// helmet's middleware runs a dozen middlewares of its own per request, each building its
// header again; its defaults depend on nothing in the request, so they are asked of it once,
// at start, and then set as they are.
import type { RequestHandler, Response } from 'express';
import helmet from 'helmet';

type HeaderStep = { set: string; value: string } | { remove: string };

/** What helmet's default middleware does to an answer's headers, in its order. */
function helmetSteps(): HeaderStep[] {
  const steps: HeaderStep[] = [];
  const recorder = {
    setHeader: (set: string, value: unknown) => void steps.push({ set, value: String(value) }),
    removeHeader: (remove: string) => void steps.push({ remove }),
  };
  let called = false;
  helmet()({} as never, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error('helmet refused to set its headers');
    called = true;
  });
  // helmet's defaults answer at once; one that waited on something would be no set of constant headers.
  if (!called) throw new Error('helmet did not finish synchronously: its headers cannot be computed once');
  return steps;
}

export function securityHeaders(): RequestHandler {
  const steps = helmetSteps();
  return (_req, res, next) => {
    for (const step of steps) {
      if ('set' in step) res.setHeader(step.set, step.value);
      else res.removeHeader(step.remove);
    }
    next();
  };
}
