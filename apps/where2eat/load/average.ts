// k6 run apps/where2eat/load/average.ts   (BASE_URL, IDP_URL or TOKEN; see journey.ts)
import { iterate, optionsFor } from './journey.ts';

export { setup, teardown } from './journey.ts';
export const options = optionsFor('average');
export default iterate;
