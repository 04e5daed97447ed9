import { humansFlows } from './humans-flows.js';
import { motoStores } from './moto-stores.js';

// Humans in the loop over S3 conditional writes (If-None-Match / If-Match), emulated by moto.

humansFlows('S3Store on moto', motoStores('driftgate-humans'));
