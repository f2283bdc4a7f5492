// Resolves the stack's Java parts from Maven Central through stack/pom.xml, once: later runs
// reuse stack/.cache (and Maven's own ~/.m2).
import fs from 'node:fs';
import path from 'node:path';
import { paths } from './paths.js';
import { run } from './process.js';

export function ensureJars(log: (line: string) => void): void {
  const kafkaReady = fs.existsSync(path.join(paths.kafkaLibs, 'kafka_2.13-4.3.1.jar'));
  const registryReady = fs.existsSync(path.join(paths.apicurioHome, 'quarkus-run.jar'));
  if (kafkaReady && registryReady) return;
  log('resolving Kafka and the schema registry from Maven Central (first run only)…');
  run('mvn', ['-q', '-B', '-f', paths.pom, 'package']);
}
