// Strict input validation: a malformed body or parameter is a 400 naming the field.
import type { z } from 'zod';
import { invalidInput } from './errors.js';

export function parse<S extends z.ZodTypeAny>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw invalidInput(result.error);
  return result.data as z.infer<S>;
}
