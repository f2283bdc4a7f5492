// Events to and from the Confluent wire format (magic byte, 4-byte schema id, Avro body),
// through the schema registry. Schemas are registered per subject with BACKWARD
// compatibility; records are decoded with the writer's schema resolved into our current
// reader schema, so old records read with new code.
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import https from 'node:https';
import { eventSchemas, type EventType, type FlashsaleEvent, isEventType } from '../../schemas/events/index.js';
import { subjectOf, topicName, topicOf } from '../../schemas/topics.js';
import type { RegistryAccess } from '../connections.js';
import { classifyFailure, FlashsaleError, reasonOf } from '../errors.js';

/** A record no schema of ours reads: decoding it again gives the same answer. */
export class UndecodableRecordError extends FlashsaleError {
  override name = 'UndecodableRecordError';
  readonly retriable = false;
}

/** The registry did not answer (down, unreachable, 5xx): the record may be fine; decode it again later. */
export class SchemaRegistryUnavailableError extends FlashsaleError {
  override name = 'SchemaRegistryUnavailableError';
  readonly retriable = true;
}

export type EventCodec = {
  /** Registers every event schema under its subject; call once at start. */
  registerAll(): Promise<void>;
  encode(event: FlashsaleEvent): Promise<Buffer>;
  decode(value: Buffer | null): Promise<FlashsaleEvent>;
};

const readerTypes = new Map<EventType, avro.Type>();
function readerType(type: EventType): avro.Type {
  let t = readerTypes.get(type);
  if (!t) {
    t = avro.Type.forSchema(eventSchemas[type] as unknown as avro.Schema);
    readerTypes.set(type, t);
  }
  return t;
}

/**
 * Each registry request is bounded: the client's HTTP layer (mappersmith) sets no timeout of
 * its own, and a request the registry never answers (a stalled connection, a registry that
 * accepts and hangs) would otherwise hold a process's start or a consumer's decode forever.
 * Past it the request fails as transient, and its caller waits and retries.
 */
export const REGISTRY_REQUEST_TIMEOUT_MS = 10_000;
/** The registry client's middleware type (its HTTP layer, mappersmith, is not ours to import). */
type Middleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];
const requestTimeout: Middleware = () => ({
  prepareRequest: (next) => next().then((request) => request.enhance({ timeout: REGISTRY_REQUEST_TIMEOUT_MS })),
});

/** The registry refused our credentials (401/403): fix SCHEMA_REGISTRY_USERNAME/PASSWORD; waiting will not help a start. */
export class SchemaRegistryAccessError extends FlashsaleError {
  override name = 'SchemaRegistryAccessError';
  readonly retriable = false;
}

function refusedCredentials(err: unknown): boolean {
  const { name, status } = err as { name?: unknown; status?: unknown };
  return name === 'ResponseError' && (status === 401 || status === 403);
}

/** How long a process start keeps trying to register its schemas while the registry is unavailable. */
const REGISTER_DEADLINE_MS = 90_000;

/** A registry that is starting, overloaded or unreachable for a moment is waited for, within REGISTER_DEADLINE_MS. */
async function withinDeadline<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + REGISTER_DEADLINE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (refusedCredentials(err))
        throw new SchemaRegistryAccessError(
          `the schema registry refused this process (check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD): ${reasonOf(err)}`,
          { cause: err },
        );
      if (classifyFailure(err) !== 'transient' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5_000)));
    }
  }
}

/**
 * The registry client for SCHEMA_REGISTRY_URL, with basic credentials and a CA of its own
 * where configured (a managed registry: Confluent Cloud's API key and secret, say).
 */
export function createSchemaRegistry({
  schemaRegistryUrl,
  schemaRegistryAccess = {},
}: {
  schemaRegistryUrl: string;
  schemaRegistryAccess?: RegistryAccess;
}): SchemaRegistry {
  const { auth, ca } = schemaRegistryAccess;
  return new SchemaRegistry({
    host: schemaRegistryUrl,
    clientId: 'flashsale',
    retry: { retries: 3 },
    middlewares: [requestTimeout],
    ...(auth ? { auth } : {}),
    ...(ca === undefined ? {} : { agent: new https.Agent({ ca, keepAlive: true }) }),
  });
}

export function createEventCodec({ registry, topicPrefix }: { registry: SchemaRegistry; topicPrefix: string }): EventCodec {
  const schemaIds = new Map<EventType, number>();
  const resolvers = new Map<number, { type: EventType; read: (payload: Buffer) => unknown }>();

  async function registerOne(type: EventType): Promise<number> {
    const subject = subjectOf(topicName(topicPrefix, topicOf(type).name), type);
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(eventSchemas[type]) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    schemaIds.set(type, id);
    return id;
  }

  async function resolverFor(id: number) {
    const cached = resolvers.get(id);
    if (cached) return cached;
    let writer: avro.Type;
    try {
      writer = (await registry.getSchema(id)) as unknown as avro.Type;
    } catch (err) {
      // Only the registry saying it has no such schema (404) is about the record; anything
      // else (the network, a 5xx, a timeout) says nothing about it, and the record waits.
      if (classifyFailure(err) === 'permanent') {
        throw new UndecodableRecordError(`schema id ${id} is unknown to the registry: ${reasonOf(err)}`, { cause: err });
      }
      throw new SchemaRegistryUnavailableError(`the schema registry did not answer for schema id ${id}: ${reasonOf(err)}`, { cause: err });
    }
    const name = (writer.name ?? '').split('.').at(-1) ?? '';
    if (!isEventType(name)) throw new UndecodableRecordError(`schema id ${id} is record ${writer.name}, not an event we know`);
    const reader = readerType(name);
    const resolver = reader.createResolver(writer);
    const entry = { type: name, read: (payload: Buffer): unknown => reader.fromBuffer(payload, resolver) };
    resolvers.set(id, entry);
    return entry;
  }

  return {
    async registerAll() {
      for (const type of Object.keys(eventSchemas) as EventType[]) await withinDeadline(() => registerOne(type));
    },

    async encode(event) {
      const { type, ...fields } = event;
      const id = schemaIds.get(type) ?? (await registerOne(type));
      return registry.encode(id, fields);
    },

    async decode(value) {
      if (!value || value.length < 5 || value[0] !== 0) {
        throw new UndecodableRecordError('not in the Confluent wire format (no magic byte 0 and schema id)');
      }
      const { type, read } = await resolverFor(value.readInt32BE(1));
      try {
        return { type, ...(read(value.subarray(5)) as object) } as FlashsaleEvent;
      } catch (err) {
        throw new UndecodableRecordError(`${type} body does not decode: ${(err as Error).message}`);
      }
    },
  };
}
