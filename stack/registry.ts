// The local schema registry: Apicurio Registry (Confluent-compatible API under
// /apis/ccompat/v7), from Maven Central's runnable build. 3.x needs Java 21+, so it runs on
// the newest JDK found under the JVM folder. Schemas are kept in Kafka (kafkasql storage),
// so they live exactly as long as the records that reference them.
import fs from 'node:fs';
import path from 'node:path';
import { paths } from './paths.js';
import { startDaemon } from './process.js';

export const REGISTRY_PORT = 8081;
const MANAGEMENT_PORT = 8091;
export const REGISTRY_URL = `http://127.0.0.1:${REGISTRY_PORT}/apis/ccompat/v7`;

function javaMajor(home: string): number {
  try {
    const release = fs.readFileSync(path.join(home, 'release'), 'utf8');
    const match = /JAVA_VERSION="(\d+)/.exec(release);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The newest JDK under /usr/lib/jvm (or $FLASHSALE_JVM_DIR) with Java 21 or later. */
export function findJava21Home(jvmDir = process.env.FLASHSALE_JVM_DIR ?? '/usr/lib/jvm'): string {
  const homes = fs.existsSync(jvmDir)
    ? fs
        .readdirSync(jvmDir)
        .map((d) => path.join(jvmDir, d))
        .filter((d) => fs.existsSync(path.join(d, 'bin', 'java')))
    : [];
  const best = homes.map((home) => ({ home, major: javaMajor(home) })).sort((a, b) => b.major - a.major)[0];
  if (!best || best.major < 21) throw new Error(`the schema registry needs Java 21 or later; none found under ${jvmDir}`);
  return best.home;
}

/** Starts the registry with its kafkasql storage on these brokers (host:port, comma-separated). */
export function startRegistry(bootstrapServers: string): number {
  const javaHome = findJava21Home();
  return startDaemon(
    'registry',
    path.join(javaHome, 'bin', 'java'),
    [
      '-Xms128m',
      '-Xmx512m',
      '-Dquarkus.http.host=127.0.0.1',
      `-Dquarkus.http.port=${REGISTRY_PORT}`,
      '-Dquarkus.management.host=127.0.0.1',
      `-Dquarkus.management.port=${MANAGEMENT_PORT}`,
      '-Dapicurio.storage.kind=kafkasql',
      `-Dapicurio.kafkasql.bootstrap.servers=${bootstrapServers}`,
      '-Dquarkus.log.level=WARN',
      '-Dquarkus.log.category."io.apicurio".level=INFO',
      '-jar',
      path.join(paths.apicurioHome, 'quarkus-run.jar'),
    ],
    { ...process.env, JAVA_HOME: javaHome },
  );
}

export async function registryAnswers(): Promise<boolean> {
  const res = await fetch(`${REGISTRY_URL}/subjects`, { signal: AbortSignal.timeout(2000) });
  return res.ok;
}
