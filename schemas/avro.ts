// Avro schemas are written once, as `as const` objects, and their TypeScript types are
// derived from them here: a field the schema lacks is a compile error, and there is no
// second hand-written copy to drift.

type Primitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export type AvroField = { readonly name: string; readonly type: AvroSchema; readonly default?: unknown; readonly doc?: string };
export type AvroRecord = {
  readonly type: 'record';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
};
export type AvroSchema =
  | Primitive
  | AvroRecord
  | { readonly type: 'enum'; readonly name: string; readonly symbols: readonly string[]; readonly default?: string; readonly doc?: string }
  | { readonly type: 'array'; readonly items: AvroSchema }
  | { readonly type: 'map'; readonly values: AvroSchema }
  | { readonly type: 'long' | 'int' | 'string'; readonly logicalType: string }
  | readonly AvroSchema[];

type InferPrimitive<S> = S extends 'null'
  ? null
  : S extends 'boolean'
    ? boolean
    : S extends 'int' | 'long' | 'float' | 'double'
      ? number
      : S extends 'bytes'
        ? Buffer
        : S extends 'string'
          ? string
          : never;

export type Infer<S> = S extends Primitive
  ? InferPrimitive<S>
  : S extends readonly (infer U)[]
    ? Infer<U>
    : S extends { readonly type: 'record'; readonly fields: infer F extends readonly AvroField[] }
      ? { -readonly [K in F[number] as K['name']]: Infer<K['type']> }
      : S extends { readonly type: 'enum'; readonly symbols: readonly (infer E)[] }
        ? E
        : S extends { readonly type: 'array'; readonly items: infer I }
          ? Infer<I>[]
          : S extends { readonly type: 'map'; readonly values: infer V }
            ? Record<string, Infer<V>>
            : S extends { readonly type: infer P extends Primitive; readonly logicalType: string }
              ? InferPrimitive<P>
              : never;

export const NAMESPACE = 'dev.flashsale.events';

/** Fields every event carries: its unique id (dedupe everywhere), when it happened, and the chain an auditor follows. */
export const envelopeFields = [
  { name: 'eventId', type: 'string', doc: 'Unique; consumers dedupe on it.' },
  { name: 'occurredAt', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'When it happened, epoch ms UTC.' },
  { name: 'correlationId', type: 'string', doc: 'The chain this event belongs to (the TransactionID where there is one).' },
  { name: 'causationId', type: ['null', 'string'], default: null, doc: 'The event or request that caused this one.' },
] as const;

export const timestamp = { type: 'long', logicalType: 'timestamp-millis' } as const;
