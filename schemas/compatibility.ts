// Our own BACKWARD check, independent of the registry's: a newer schema must read every
// record an older one wrote (avsc builds a resolver only when that holds).
import avro from 'avsc';

export function backwardIncompatibility(newer: unknown, older: unknown): string | undefined {
  try {
    const reader = avro.Type.forSchema(newer as avro.Schema);
    reader.createResolver(avro.Type.forSchema(older as avro.Schema));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
