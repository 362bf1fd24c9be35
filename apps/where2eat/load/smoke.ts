// k6 run apps/where2eat/load/smoke.ts   (BASE_URL, IDP_URL or TOKEN; see journey.ts)
import { iterate, optionsFor } from './journey.ts';

export { setup, teardown } from './journey.ts';
export const options = optionsFor('smoke');
export default iterate;
