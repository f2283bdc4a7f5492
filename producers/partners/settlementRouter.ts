// POST /partners/:partnerId/settlements: a partner delivers its settlement file (CSV, the
// contract's columns), signed as its webhooks are. The body streams to a spool file, decoded
// (gzip, deflate, br) and counted as it comes: past SETTLEMENT_MAX_BYTES the request is cut
// with 413; its HMAC and SHA-256 are computed on the way. Only then is the signature judged
// (401, the webhooks' one body) and the file taken in (projections/reconciliation/
// settlementIntake.ts): 202 {settlementId}; the same bytes again, 200 with the same id; a
// malformed row, 400 naming its line, nothing recorded. Mounted before the JSON parsers.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { type Request, Router } from 'express';
import { z } from 'zod';
import type { PublishOptions } from '../../platform/kafka/publisher.js';
import type { Logger } from '../../platform/log.js';
import type { Db } from '../../platform/postgres.js';
import { createStreamedSignatureCheck, SIGNATURE_HEADER } from '../../platform/webhookSignature.js';
import { intakeSettlement } from '../../projections/reconciliation/settlementIntake.js';
import { SettlementFileError } from '../../projections/reconciliation/settlementFile.js';
import { UnknownSaleError } from '../../projections/reconciliation/settlement.js';
import { requestIdOf } from '../http/accessLog.js';
import { badRequest, HttpError, unauthorized } from '../http/errors.js';
import type { RateLimits } from '../http/rateLimit.js';
import { WEBHOOK_REFUSAL } from './webhookRouter.js';

/** The answers, for the OpenAPI document. */
export const settlementAccepted = z.object({ settlementId: z.string(), duplicate: z.boolean() });
export const settlementParams = z.object({ partnerId: z.string().min(1).max(200) }).strict();

class TooLarge extends Error {}

function decoded(req: Request): Readable {
  switch ((req.headers['content-encoding'] ?? 'identity').trim().toLowerCase()) {
    case 'gzip':
      return req.pipe(zlib.createGunzip());
    case 'deflate':
      return req.pipe(zlib.createInflate());
    case 'br':
      return req.pipe(zlib.createBrotliDecompress());
    default:
      return req;
  }
}

/** Streams the decoded body to `file`; each chunk also to `onChunk`. Throws TooLarge past maxBytes. */
async function spool(req: Request, file: string, maxBytes: number, onChunk: (chunk: Buffer) => void): Promise<number> {
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(new TooLarge());
      onChunk(chunk);
      done(null, chunk);
    },
  });
  const body = decoded(req);
  if (body !== req) req.on('error', (err) => body.destroy(err));
  await pipeline(body, counted, fs.createWriteStream(file));
  return bytes;
}

export function createSettlementRouter({
  partnerSecrets,
  db,
  limits,
  log,
  maxBytes,
  afterIntake = async () => undefined,
  now = Date.now,
}: {
  partnerSecrets: ReadonlyMap<string, readonly string[]>;
  db: Db;
  limits: Pick<RateLimits, 'perIp' | 'partner'>;
  log: Logger;
  maxBytes: number;
  /** Runs after a new file was taken in (the findings wait in the outbox until published), given the request's id for what it publishes. */
  afterIntake?: (options: PublishOptions) => Promise<void>;
  now?: () => number;
}): Router {
  const router = Router();
  router.post('/partners/:partnerId/settlements', limits.perIp, async (req: Request<{ partnerId: string }>, res) => {
    const { partnerId } = req.params;
    const check = createStreamedSignatureCheck({
      header: req.get(SIGNATURE_HEADER),
      secrets: partnerSecrets.get(partnerId) ?? [],
      nowSeconds: Math.floor(now() / 1000),
    });
    const refuse = (reason: string) => {
      log.warn({ partnerId, reason }, 'settlement refused: bad signature');
      res.set('Connection', 'close');
      return unauthorized(WEBHOOK_REFUSAL);
    };
    if (!check.early.ok) throw refuse(check.early.reason);
    const file = path.join(os.tmpdir(), `flashsale-settlement-${crypto.randomUUID()}.csv`);
    const hash = crypto.createHash('sha256');
    try {
      let bytes: number;
      try {
        bytes = await spool(req, file, maxBytes, (chunk) => {
          check.update(chunk);
          hash.update(chunk);
        });
      } catch (err) {
        res.set('Connection', 'close');
        if (err instanceof TooLarge) throw new HttpError(413, `settlement file larger than ${maxBytes} bytes (SETTLEMENT_MAX_BYTES)`);
        throw badRequest('could not read the body', [{ field: '(body)', message: (err as Error).message }]);
      }
      const verdict = check.verdict();
      if (!verdict.ok) throw refuse(verdict.reason);
      const refusal = await limits.partner(partnerId);
      if (refusal) throw refusal;
      const run = await intakeSettlement({ db, partnerId, path: file, contentHash: hash.digest('hex'), bytes, source: 'http' }).catch(
        (err: unknown) => {
          if (err instanceof SettlementFileError)
            throw badRequest('malformed settlement file', [{ field: `line ${err.line}`, message: err.message }]);
          if (err instanceof UnknownSaleError) throw badRequest(err.message);
          throw err;
        },
      );
      log.info(
        { partnerId, settlementId: run.settlementId, duplicate: run.duplicate, rows: run.rows, sales: run.sales },
        'settlement file',
      );
      if (!run.duplicate) await afterIntake({ requestId: requestIdOf(res) }).catch(() => undefined);
      res.status(run.duplicate ? 200 : 202).json(settlementAccepted.parse({ settlementId: run.settlementId, duplicate: run.duplicate }));
    } finally {
      await fs.promises.rm(file, { force: true });
    }
  });
  return router;
}
