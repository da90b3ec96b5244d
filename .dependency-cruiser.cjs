/**
 * The house's dependency rules, checked by `npm test` (npm run deps).
 *   http → services → {core, db};  core imports only core and protocol;  nothing imports the root.
 * Layers, lowest first:
 *   protocol           hub ⇄ agent wire types (TypeBox); imports nothing of ours
 *   core               the domain, no I/O: core + protocol only
 *   secrets, county    password hashing / sealing; config loading
 *   db, metrics        storage; the Prometheus exporter
 *   notify             webhook formats and the outbox (over db)
 *   services           what the hub does (ingest, tickets, maintenance, scopes, …)
 *   http, live, web    routes, channels, pages
 *   hub                the composition root and its feature factories
 */
const SRC = '^src/';
const layer = (name) => `^src/${name}/`;

/** forbid `from` importing any of `to` */
const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles anywhere, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      comment: 'src/core is the domain: it imports only src/core and src/protocol, and no I/O module.',
      severity: 'error',
      from: { path: layer('core') },
      to: { pathNot: ['^src/(core|protocol)/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'core-types-are-pure',
      comment: 'Not even types from outside core/protocol.',
      severity: 'error',
      from: { path: layer('core') },
      to: { path: SRC, pathNot: ['^src/(core|protocol)/'] },
    },
    {
      name: 'core-no-io',
      comment: 'The core does no I/O: no node:fs, net, http, child_process, worker_threads, no database or HTTP library.',
      severity: 'error',
      from: { path: layer('core') },
      to: { path: ['^(node:)?(fs|net|http|https|dgram|child_process|worker_threads|tls)$', 'node_modules/(pg|@electric-sql|fastify|ws|drizzle-orm)/'] },
    },
    forbid('protocol-is-leaf', 'The wire protocol depends on nothing of ours.', layer('protocol'), '^src/(?!protocol/)'),
    forbid('secrets-is-leaf', 'Password hashing and sealing depend on nothing of ours.', layer('secrets'), '^src/(?!secrets/)'),
    forbid('county-below-services', 'Config loading knows the domain vocabulary only.', layer('county'), '^src/(db|services|http|live|web|hub|notify|metrics)/'),
    forbid('db-below-services', 'Storage never reaches up into services, HTTP, live or the root.', layer('db'), '^src/(services|http|live|web|hub|notify|metrics)/'),
    forbid('metrics-below-services', 'The exporter reads a source interface; it never reaches up.', layer('metrics'), '^src/(services|http|live|web|hub|db|notify)/'),
    forbid('notify-below-services', 'Notifications never reach up into services, HTTP or the root.', layer('notify'), '^src/(services|http|live|web|hub)/'),
    forbid('services-below-http', 'Services never import HTTP, live channels, pages or the root.', layer('services'), '^src/(http|live|web|hub)/'),
    forbid('http-not-db', 'Routes delegate to services; they never touch storage directly.', layer('http'), '^src/db/'),
    forbid('live-not-db', 'Live channels delegate to services; they never touch storage.', layer('live'), '^src/db/'),
    forbid('nothing-imports-the-root', 'Only the entry points (src/main.ts, tests, benches) import the composition root.', '^src/(?!hub/|main\\.ts)', layer('hub')),
    forbid('features-not-the-root', 'A feature factory never imports the root back.', '^src/hub/features/', '^src/hub/(start-hub|demo|env)\\.ts$'),
    forbid(
      'simulator-stands-alone',
      'The camera simulator is a separate program: protocol, log and seeded randomness only.',
      layer('simulator'),
      '^src/(?!simulator/|protocol/|log\\.ts|core/seeded-random\\.ts)',
    ),
    forbid(
      'agent-uses-protocol-only',
      'The edge agent shares only the protocol, the logger and seeded randomness with the hub.',
      '^edge-agent/',
      '^src/(?!protocol/|log\\.ts|core/seeded-random\\.ts)',
    ),
    forbid('product-not-tests', 'Product code never imports tests or benches.', '^(src|edge-agent)/', '^(test|bench)/'),
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: ['^src/db/migrations/', '\\.html$'] },
  },
};
