// Architecture rules, checked in `npm run lint`: imports point one way, from the edges (cli,
// runtime) to the core (domain, schemas); the pure domain imports no I/O; no cycles.

/**
 * The business folders, lowest first. A folder may import folders of lower layers only,
 * never one of its own layer or a higher one: that is the direction, and since every import
 * goes down, the folders cannot form a cycle (dependency-cruiser's `circular` sees files only).
 */
const LAYERS = [
  ['schemas'],
  ['domain', 'platform'],
  ['writeModel'],
  ['projections'],
  ['consumers', 'producers'],
  ['runtime', 'demo'],
  ['cli'],
];

const directionRules = LAYERS.flatMap((layer, level) =>
  layer.map((folder) => {
    const notBelow = LAYERS.slice(level)
      .flat()
      .filter((other) => other !== folder);
    return {
      name: `direction-${folder}`,
      comment: `${folder}/ imports only folders below it (${LAYERS.slice(0, level).flat().join(', ') || 'none'}); not ${notBelow.join(', ')}.`,
      severity: 'error',
      from: { path: `^${folder}/` },
      to: { path: `^(${notBelow.join('|')})/` },
    };
  }),
);

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'domain-is-pure',
      comment: 'domain/ holds decide/evolve functions: no Node built-ins, Kafka, Redis, Postgres or HTTP.',
      severity: 'error',
      from: { path: '^domain/' },
      to: {
        path: '(^node:|kafkajs|ioredis|(^|/)pg($|/)|express|^(fs|net|http|https|crypto|child_process)$)',
        dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-no-pkg', 'npm-unknown'],
      },
    },
    {
      name: 'domain-imports-only-schemas',
      comment: 'domain/ is the pure logic over the events: of ours it may import schemas/ (the event types) and nothing else.',
      severity: 'error',
      from: { path: '^domain/' },
      to: { dependencyTypes: ['local'], pathNot: '^(domain|schemas)/' },
    },
    {
      name: 'platform-imports-no-business-folder',
      comment:
        'platform/ holds the adapters (Kafka, registry, Redis, Postgres, config, logs) the business folders use; it knows none of them.',
      severity: 'error',
      from: { path: '^platform/' },
      to: { path: '^(domain|producers|consumers|projections|writeModel|runtime|cli|demo)/' },
    },
    {
      name: 'projections-never-import-consumers',
      comment:
        'projections/ are read models, folds over the topics that a replay rebuilds alone; what reacts to facts (consumers/) builds on them, not the reverse.',
      severity: 'error',
      from: { path: '^projections/' },
      to: { path: '^consumers/' },
    },
    {
      name: 'writeModel-imports-no-edge-or-read-model',
      comment:
        'writeModel/ (the Redis store and its Lua decisions) is used by the consumers and producers and rebuilt on its own; it never imports them or the read models.',
      severity: 'error',
      from: { path: '^writeModel/' },
      to: { path: '^(consumers|producers|projections)/' },
    },
    {
      name: 'only-bin-and-cli-import-runtime',
      comment:
        "runtime/ wires the roles and is started by the `flashsale` command (bin/, cli/). Exceptions: test/, bench/ and faults/ are harnesses that start the system (and unit-test the runtime's own modules; faults/ replays the topics with runtime/replay to check a run).",
      severity: 'error',
      from: { path: '^', pathNot: '^(bin|cli|runtime|test|bench|faults)/' },
      to: { path: '^runtime/' },
    },
    {
      name: 'only-bin-imports-cli',
      comment: 'cli/ is the `flashsale` command, started by bin/; nothing else imports it (tests run it as a child process).',
      severity: 'error',
      from: { path: '^', pathNot: '^(bin|cli)/' },
      to: { path: '^cli/' },
    },
    {
      name: 'shipped-code-imports-no-dev-dependency',
      comment:
        'What the image ships (all but test/, bench/ and scripts/) runs after `npm ci --omit=dev`: a devDependency (tsx, autocannon, vitest...) imported there is missing in production. Type-only imports vanish when compiled. bin/ loads tsx only when it is installed (development).',
      severity: 'error',
      from: { path: '^(cli|stack|platform|schemas|domain|producers|consumers|projections|writeModel|runtime|demo)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'commands-run-outside-vitest',
      comment:
        'The nemesis suite (`npm run faults`) and the bench run as plain programs: vitest, reached through any chain of imports (a test helper with hooks, say), throws at load there. Keep vitest hooks and expect in files of their own under test/.',
      severity: 'error',
      from: { path: '^(faults|bench|scripts)/' },
      to: { path: 'node_modules/vitest/', reachable: true },
    },
    ...directionRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: 'stack/\\.cache' },
  },
};
