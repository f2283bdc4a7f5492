// The access log: one line per answer in the shape pino-http wrote before it (so dashboards and
// searches over the logs keep working), the request id echoed and kept for the routes, and no line
// prepared at a level that writes none.
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { Request, Response } from 'express';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { accessLog, requestIdOf } from '../../../producers/http/accessLog.js';

function logged(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: pino({ name: 'api', level }, stream) };
}

/** A request and its answer, as much of them as the access log reads. */
function exchange({ requestId, url = '/sales/s1/claims' }: { requestId?: string; url?: string } = {}) {
  const headers: Record<string, string> = {};
  const res = Object.assign(new EventEmitter(), {
    locals: {},
    statusCode: 200,
    headersSent: false,
    setHeader: (name: string, value: string) => void (headers[name] = value),
  });
  const req = {
    headers: requestId === undefined ? {} : { 'x-request-id': requestId },
    method: 'POST',
    originalUrl: url,
    url,
    socket: { remoteAddress: '10.0.0.7' },
  };
  return { req: req as unknown as Request, res: res as unknown as Response & EventEmitter, headers, emit: res };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('access log', () => {
  it('writes the line pino-http wrote: the request as it came, the status, the time taken', async () => {
    const { lines, log } = logged();
    const { req, res, headers, emit } = exchange({ requestId: 'shop-42' });
    let during: string | undefined;
    accessLog(log)(req, res, () => void (during = requestIdOf(res)));
    expect(headers['X-Request-Id']).toBe('shop-42');
    expect(during).toBe('shop-42');
    Object.assign(emit, { statusCode: 202, headersSent: true });
    emit.emit('finish');
    emit.emit('close');
    await flush();
    expect(lines).toHaveLength(1);
    const { time, pid, hostname, responseTime, ...line } = lines[0]!;
    expect([typeof time, typeof pid, typeof hostname, typeof responseTime]).toEqual(['number', 'number', 'string', 'number']);
    expect(line).toEqual({
      level: 30,
      name: 'api',
      req: { id: 'shop-42', method: 'POST', url: '/sales/s1/claims', remoteAddress: '10.0.0.7' },
      res: { statusCode: 202 },
      msg: 'POST /sales/s1/claims 202',
    });
    expect(Object.keys(lines[0]!)).toEqual(['level', 'time', 'pid', 'hostname', 'name', 'req', 'res', 'responseTime', 'msg']);
  });

  it('logs a 5xx at error level with the error pino-http named', async () => {
    const { lines, log } = logged();
    const { req, res, emit } = exchange();
    accessLog(log)(req, res, () => undefined);
    Object.assign(emit, { statusCode: 503, headersSent: true });
    emit.emit('finish');
    await flush();
    expect(lines[0]).toMatchObject({ level: 50, res: { statusCode: 503 }, err: { message: 'failed with status code 503' } });
    expect(lines[0]!.req).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown });
  });

  it('says no status for a connection closed before the answer', async () => {
    const { lines, log } = logged();
    const { req, res, emit } = exchange();
    accessLog(log)(req, res, () => undefined);
    emit.emit('close');
    await flush();
    expect(lines[0]).toMatchObject({ level: 30, res: { statusCode: null }, msg: 'POST /sales/s1/claims 200' });
  });

  it('writes nothing and listens to nothing at a level above error', () => {
    const { lines, log } = logged('fatal');
    const { req, res, emit } = exchange();
    accessLog(log)(req, res, () => undefined);
    expect(emit.listenerCount('finish')).toBe(0);
    emit.emit('finish');
    expect(lines).toHaveLength(0);
  });
});
