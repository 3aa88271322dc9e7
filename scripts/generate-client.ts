/** `npm run client:generate`: writes the typed client's types from the API's OpenAPI document (scripts/client-types.ts). */
import { writeFileSync } from 'node:fs';
import { clientTypes, CLIENT_TYPES_PATH } from './client-types';

writeFileSync(CLIENT_TYPES_PATH, await clientTypes());
console.log(`Client types written to ${CLIENT_TYPES_PATH}`);
