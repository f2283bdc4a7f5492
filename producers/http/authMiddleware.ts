// Route guards: a shopper (a token issued for the storefront's audience) or an operator (a
// token issued for the operators' audience). A token that is valid but for the other
// audience gets 403; anything else 401. The verified principal is left in
// res.locals.principal for the handlers.
import type { RequestHandler, Response } from 'express';
import type { Principal, TokenVerifier } from './auth.js';
import { forbidden, unauthorized } from './errors.js';

function requireAudience(verify: TokenVerifier, audience: 'shopper' | 'operator', refusal: string): RequestHandler {
  return async (req, res, next) => {
    let principal: Principal | undefined;
    try {
      principal = await verify(req.get('authorization'));
    } catch (err) {
      // The identity provider's keys out of reach: a 503 for the error handler.
      return next(err);
    }
    if (!principal) return next(unauthorized());
    if (!principal[audience]) return next(forbidden(refusal));
    res.locals.principal = principal;
    next();
  };
}

export function requireUser(verify: TokenVerifier): RequestHandler {
  return requireAudience(verify, 'shopper', 'a storefront token required (AUTH_AUDIENCE)');
}

export function requireOperator(verify: TokenVerifier): RequestHandler {
  return requireAudience(verify, 'operator', 'an operator token required (AUTH_OPERATOR_AUDIENCE)');
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
