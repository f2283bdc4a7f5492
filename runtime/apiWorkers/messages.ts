// What the primary and its api workers say to each other over the cluster's IPC channel.
import type { Registry } from 'prom-client';

/** A registry's metrics as JSON, the form prom-client's AggregatorRegistry merges. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Worker to primary: the api listens (on the shared port). */
export type Listening = { type: 'flashsale:api-listening'; port: number };
/** Primary to worker: send your metrics registry as JSON. */
export type MetricsRequest = { type: 'flashsale:metrics-request'; requestId: number };
/** Worker to primary: the answer to one MetricsRequest. */
export type MetricsAnswer = { type: 'flashsale:metrics'; requestId: number; metrics: MetricsJson };

const typeOf = (message: unknown): unknown =>
  typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;

export const isListening = (m: unknown): m is Listening => typeOf(m) === 'flashsale:api-listening';
export const isMetricsRequest = (m: unknown): m is MetricsRequest => typeOf(m) === 'flashsale:metrics-request';
export const isMetricsAnswer = (m: unknown): m is MetricsAnswer => typeOf(m) === 'flashsale:metrics';
