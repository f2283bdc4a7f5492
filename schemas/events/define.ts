// One helper so every event schema has the same envelope and namespace.
import { type AvroField, envelopeFields, NAMESPACE } from '../avro.js';

export function defineEvent<const N extends string, const F extends readonly AvroField[]>(name: N, doc: string, fields: F) {
  return { type: 'record', name, namespace: NAMESPACE, doc, fields: [...envelopeFields, ...fields] } as const;
}

export const money = [
  { name: 'amountMinor', type: 'long', doc: 'Integer minor units (cents); never a float.' },
  { name: 'currency', type: 'string', doc: 'ISO-4217 code.' },
] as const;
