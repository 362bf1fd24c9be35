/** The cuisines a group can like or veto. Order is the tie-break order of recommendations. */
export const CUISINES = [
  'american',
  'chinese',
  'ethiopian',
  'french',
  'greek',
  'indian',
  'italian',
  'japanese',
  'korean',
  'lebanese',
  'mexican',
  'spanish',
  'thai',
  'turkish',
  'vegan',
  'vietnamese',
] as const;

export type Cuisine = (typeof CUISINES)[number];
