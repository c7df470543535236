/**
 * A file of EventBridge JSON as the AWS CLI prints it: one GetSchedule (or DescribeRule with the
 * `Targets` of ListTargetsByRule beside it), a list of them, or an object holding the list under
 * `Schedules` / `Rules`.
 */
import { isObject } from './import-conversion.js';

export class AwsJsonInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AwsJsonInputError';
  }
}

export function parseAwsJsonList(text: string, listKey: 'Schedules' | 'Rules', where: string): unknown[] {
  if (text.trim() === '') throw new AwsJsonInputError(`${where}: empty`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new AwsJsonInputError(`${where}: not valid JSON: ${(error as Error).message}`);
  }
  if (Array.isArray(doc)) return doc;
  if (isObject(doc) && Array.isArray(doc[listKey])) return doc[listKey];
  if (isObject(doc)) return [doc];
  throw new AwsJsonInputError(`${where}: expected a JSON object or list`);
}
