import { manifestDemotionFlows } from './manifest-demotion-flows.js';
import { motoStores } from './moto-stores.js';

// A retrain reported failed or rolled back, over S3 conditional writes (If-None-Match / If-Match), emulated by moto.

manifestDemotionFlows('S3Store on moto', motoStores('driftgate-manifest'));
