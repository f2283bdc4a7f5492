// Where the local stack keeps its jars, data, logs and pid files: all inside the project,
// all ignored by git (stack/.cache for downloads, .flashsale/ for state).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const KAFKA_VERSION = '4.3.1';
export const APICURIO_VERSION = '3.3.3';

// FLASHSALE_STACK_DIR moves the state (pid files, data, logs) elsewhere, for a test of the
// stack's own code paths; the ports stay the stack's.
const STATE = process.env.FLASHSALE_STACK_DIR
  ? path.resolve(process.env.FLASHSALE_STACK_DIR)
  : path.join(PROJECT_ROOT, '.flashsale', 'stack');

export const paths = {
  pom: path.join(PROJECT_ROOT, 'stack', 'pom.xml'),
  kafkaLibs: path.join(PROJECT_ROOT, 'stack', '.cache', `kafka-${KAFKA_VERSION}`, 'libs'),
  apicurioHome: path.join(PROJECT_ROOT, 'stack', '.cache', `apicurio-${APICURIO_VERSION}`),
  state: STATE,
  kafkaData: path.join(STATE, 'kafka-data'),
  logs: path.join(STATE, 'logs'),
};
