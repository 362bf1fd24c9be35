import { defineFlags, type FlagName } from '@micro-app/flags';

/** Every flag app-template reads, declared once; reading an undeclared flag is a type error. */
export const flagRegistry = defineFlags({
  'maintenance-mode': {
    description: 'Kill switch: writes answer 503 while reads go on.',
    owner: 'team-app-template',
    default: false,
  },
});

export type AppFlag = FlagName<typeof flagRegistry>;
