import { defineFlags, type FlagName } from '@micro-app/flags';

/** Every flag where2eat reads, declared once; reading an undeclared flag is a type error. */
export const flagRegistry = defineFlags({
  'recommendation-v2': {
    description:
      'Rank cuisines with the rank-weighted v2 algorithm (gradual rollout, sticky per user).',
    owner: 'team-dining',
    default: false,
  },
  'restaurant-suggestions': {
    description:
      'Add restaurant suggestions from the restaurant provider to recommendations (degrades to none when the provider fails).',
    owner: 'team-dining',
    default: false,
  },
  'maintenance-mode': {
    description: 'Kill switch: writes answer 503 while reads go on.',
    owner: 'team-platform',
    default: false,
  },
});

export type AppFlag = FlagName<typeof flagRegistry>;
