// Route guards: a storefront user (any valid token) or an operator (`role: "operator"`).
// The verified principal is left in res.locals.principal for the handlers.
import type { RequestHandler, Response } from 'express';
import type { Principal, TokenVerifier } from './auth.js';
import { forbidden, unauthorized } from './errors.js';

export function requireUser(verify: TokenVerifier): RequestHandler {
  return async (req, res, next) => {
    const principal = await verify(req.get('authorization'));
    if (!principal) return next(unauthorized());
    res.locals.principal = principal;
    next();
  };
}

export function requireOperator(verify: TokenVerifier): RequestHandler {
  return async (req, res, next) => {
    const principal = await verify(req.get('authorization'));
    if (!principal) return next(unauthorized());
    if (!principal.operator) return next(forbidden('operator role required'));
    res.locals.principal = principal;
    next();
  };
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
