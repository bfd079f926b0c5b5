import { kv } from './kv.mjs';

console.log('migrating: seeding the store');
await kv('SET greeting hello from the quickstart');
await kv('SET jobs 0');
console.log('migration done');
