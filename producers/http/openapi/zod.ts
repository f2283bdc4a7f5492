// zod with `.openapi()` (zod-to-openapi's extension of zod's prototype), for the API
// description only. The routes validate with plain zod; their schemas gain the method too,
// since the extension patches the shared prototype, and are described as they are.
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export { z };
