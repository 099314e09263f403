import { parseNormalizedNamed } from '../../src/api/reference';
for (const s of ['[::1]:5000/foo:1', 'localhost:5000/foo']) { try { console.log(JSON.stringify(parseNormalizedNamed(s))); } catch (e) { console.log('ERR', (e as Error).message); } }
