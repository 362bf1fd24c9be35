// k6 run apps/where2eat/load/spike.ts   (BASE_URL, IDP_URL or TOKEN; see journey.ts)
import { iterate, optionsFor } from './journey.ts';

export { setup, teardown } from './journey.ts';
export const options = optionsFor('spike');
export default iterate;
