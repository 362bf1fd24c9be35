/**
 * The top of the OpenAPI document: what `/openapi.json` says besides the operations. `version`
 * is the app's version (package.json): a breaking change of the document needs a new major
 * (`0.y` before 1.0), or `npm run openapi` and CI refuse it.
 */
export function openApiConfig(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'app-template',
      version,
      description: 'A tested Hono app on the shared packages, made from the app template.',
      contact: { name: 'team-app-template' },
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [
      {
        url: '/',
        description: 'The deployment serving this document (local, staging or production)',
        'x-internal': false,
      },
    ],
    tags: [{ name: 'notes', description: "Notes of the caller's tenant." }],
  };
}

/** The bearer scheme: what a token must be. */
export const bearerAuthScheme = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    "An access token from the identity provider for this app's audience, with `sub` and `tenant`; signed with an asymmetric algorithm and verified as RFC8725 (JWT best current practices) recommends: the algorithm is pinned, never `none`, and `iss`, `aud` and `exp` are checked.",
} as const;
