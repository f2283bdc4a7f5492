// Architecture rules, checked in `npm run lint`: no cycles, and the pure domain imports no I/O.
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
      name: 'domain-depends-on-nothing-outside',
      severity: 'error',
      from: { path: '^domain/' },
      to: { path: '^(platform|producers|consumers|projections|runtime|cli|stack)/' },
    },
    {
      name: 'read-models-never-on-reactors',
      comment: 'projections/ holds read models; what reacts to facts (consumers/) may read them, never the other way round.',
      severity: 'error',
      from: { path: '^projections/' },
      to: { path: '^consumers/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(node_modules|stack/\\.cache)' },
  },
};
