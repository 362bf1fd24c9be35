/**
 * The top of where2eat's OpenAPI document: what `/openapi.json` says besides the operations.
 * `version` is the app's version (package.json), so the document's version follows the app's:
 * a breaking change of the document needs a new major (see `openapi.json` and docs/api.md).
 */
export function openApiConfig(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'where2eat',
      version,
      description:
        'Groups vote on cuisines and get a recommendation. Every operation needs a bearer access token with the scope it names; errors are RFC 9457 `application/problem+json`.',
      contact: { name: 'where2eat maintainers' },
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [
      {
        url: '/',
        description: 'The deployment serving this document (local, staging or production)',
        'x-internal': false,
      },
    ],
    tags: [
      { name: 'cuisines', description: 'The cuisines members like or veto.' },
      {
        name: 'groups',
        description: 'Groups of one tenant, their members, preferences and recommendation.',
      },
      {
        name: 'invites',
        description:
          'Invite links: capability tokens that let a signed-in user of the tenant join one group.',
      },
      { name: 'me', description: "The caller's own data: its erasure." },
    ],
  };
}
