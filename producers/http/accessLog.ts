// Access logs, one line per answer, and the request id that follows a request: taken from
// the caller's X-Request-Id when it is short and safe (a proxy's or a client's), else a fresh
// UUID; echoed in the answer's X-Request-Id, and kept in res.locals (requestIdOf) for the
// routes to put into the Kafka records they publish (the publisher's `requestId`). No
// headers, bodies or tokens are logged.
//
// The line is the one pino-http wrote ({req: {id, method, url, remoteAddress}, res:
// {statusCode}, responseTime}, "<method> <url> <status>", at error for a 5xx or a failed
// answer, else info), written by hand: pino-http made a child logger per request, serialized
// the whole request into it (its query parsed and all) and built the message even at a level
// that never writes it: a tenth of the api's CPU per claim in the bench's profile.
import crypto from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../../platform/log.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** At most 64 letters, digits and `.`, `_`, `:`, `-`: safe in a log line and a Kafka header, whoever sent it. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

/** The id of the request an answer is for (set by the access log, which every request passes first). */
export function requestIdOf(res: Response): string | undefined {
  return res.locals.requestId as string | undefined;
}

/** The request as its log line names it, taken as it arrives (the url before any router trims it). */
type LoggedRequest = { id: string; method: string; url: string; remoteAddress: string | undefined };

export function accessLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestIdFrom(req.headers['x-request-id']);
    res.setHeader(REQUEST_ID_HEADER, id);
    res.locals.requestId = id;
    // Nothing to write below error level (LOG_LEVEL fatal or silent): no line to prepare.
    if (log.isLevelEnabled('error')) {
      const startedAt = Date.now();
      const logged: LoggedRequest = { id, method: req.method, url: req.originalUrl, remoteAddress: req.socket.remoteAddress };
      // Whichever comes first: the answer sent, the connection closed before it was, or an error.
      const ended = (err?: Error) => {
        res.removeListener('close', ended);
        res.removeListener('finish', ended);
        res.removeListener('error', ended);
        const failed = err !== undefined || res.statusCode >= 500;
        if (!log.isLevelEnabled(failed ? 'error' : 'info')) return;
        const message = `${req.method} ${req.url} ${res.statusCode}`;
        // No status was sent on a connection closed first: null, as pino's serializer had it.
        const answer = { statusCode: res.headersSent ? res.statusCode : null };
        const responseTime = Date.now() - startedAt;
        if (failed)
          log.error(
            { req: logged, res: answer, err: err ?? new Error(`failed with status code ${res.statusCode}`), responseTime },
            message,
          );
        else log.info({ req: logged, res: answer, responseTime }, message);
      };
      res.on('close', ended);
      res.on('finish', ended);
      res.on('error', ended);
    }
    next();
  };
}
