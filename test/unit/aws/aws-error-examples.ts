// One example error per entry of AWS_ERROR_TABLE, for the tests that walk the table row by row.
import { awsError } from './ecs/support.js';

/** An example error for a table entry, shaped as the SDK, Node or ECS's failures[] produce it. */
export function exampleAwsError(entry: string): unknown {
  if (entry === 'HTTP 429') return awsError('SomethingNew', { status: 429, fault: 'client' });
  if (entry === 'HTTP 5xx') return awsError('SomethingNew', { status: 502, fault: 'server' });
  if (entry === 'any other client fault') return awsError('SomethingNewException', { fault: 'client' });
  if (entry === 'anything else') return new Error('something odd');
  if (entry === 'socket hang up') return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  if (/^[A-Z_]+$/.test(entry) && entry.startsWith('E'))
    return Object.assign(new Error(entry), { code: entry });
  if (entry === 'UND_ERR_SOCKET') return Object.assign(new Error('other side closed'), { code: entry });
  if (entry === 'TimeoutError' || entry === 'AbortError')
    return Object.assign(new Error('timed out'), { name: entry });
  // RunTask failures[].reason strings, classified as they come.
  if (entry.endsWith('*'))
    return `${entry.slice(0, -1)}${entry.startsWith('RESOURCE') ? 'MEMORY' : '. Please try again later'}`;
  if (entry === 'AGENT' || entry === 'MISSING' || entry === 'ATTRIBUTE') return entry;
  return awsError(entry, { fault: 'client' });
}
