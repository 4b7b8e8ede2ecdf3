// Orderly's layer rules (see DESIGN.md, "Who may import whom"). `npm test` runs `npm run layers`, and a
// violation fails it with the rule's name. An exception to a rule belongs here, with its reason.

/** Workflow modules other layers may use: typed messages (signals, queries, updates) and search attributes. */
const WORKFLOW_DEFINITIONS = '^workflows/([^/]+[.]messages|search-attributes)[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules must not import each other in a circle: a circle ties layers into one.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'domain/ is pure business logic: it imports nothing of the project outside domain/.',
      from: { path: '^domain/' },
      to: { path: '^(?!domain/)[^/]+/', pathNot: '^node_modules/' },
    },
    {
      name: 'channels-below-workflows-and-storage',
      severity: 'error',
      comment: 'channels/ (platform signing, mapping, paging) uses domain/ only: not workflows, db, ingest, activities or api.',
      from: { path: '^channels/' },
      to: { path: '^(workflows|db|api|ingest|activities|workers)/' },
    },
    {
      name: 'workflows-deterministic',
      severity: 'error',
      comment: 'workflows/ is replayed code: no channels, db, ingest, api or config; activities as types only.',
      from: { path: '^workflows/' },
      to: { path: '^(channels|db|api|ingest|config|workers)/' },
    },
    {
      name: 'workflows-activity-types-only',
      severity: 'error',
      comment: 'workflows/ may import activity contract types, never activity code.',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'ingest-not-api',
      severity: 'error',
      comment: 'ingest/ is shared by the API, the worker and activities: it imports none of them.',
      from: { path: '^ingest/' },
      to: { path: '^(api|activities|workers)/' },
    },
    {
      name: 'activities-not-api',
      severity: 'error',
      comment: 'activities/ run in the worker: they do not import the API or worker entry points.',
      from: { path: '^activities/' },
      to: { path: '^(api|workers)/' },
    },
    {
      name: 'db-below-everything',
      severity: 'error',
      comment: 'db/ (schema, migrations, repositories) uses domain/ (and configuration types) only.',
      from: { path: '^db/' },
      to: { path: '^(api|channels|ingest|activities|workflows|workers)/' },
    },
    {
      name: 'api-not-worker',
      severity: 'error',
      comment: 'api/ does not import activities or the worker.',
      from: { path: '^api/' },
      to: { path: '^(activities|workers)/' },
    },
    {
      name: 'workflow-definitions-only',
      severity: 'error',
      comment: 'Outside workflows/, only workflow message definitions and search attributes are imported, never workflow code.',
      from: { path: '^(api|ingest|activities|db|channels|domain)/' },
      to: { path: '^workflows/', pathNot: WORKFLOW_DEFINITIONS },
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      comment: 'Production code does not import tests, benchmarks or dev-stack scripts.',
      from: { path: '^(domain|channels|workflows|ingest|activities|api|db|workers|config)/' },
      to: { path: '^(tests|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|[.]data|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
