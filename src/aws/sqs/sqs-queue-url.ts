// Where a tenant's queue URL may point: only the Region's SQS endpoint (or the configured endpoint
// override). Checked before any call, by every SQS adapter that takes a queue URL from a spec.
import { awsRegionProblem } from '../aws-region.js';

/** The region in a queue URL such as https://sqs.eu-west-1.amazonaws.com/123/q, if it names one. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return undefined;
  }
  const region =
    /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
  // Each region gets a client: a host label that is no AWS region makes the URL no SQS endpoint.
  return region !== undefined && awsRegionProblem(region) === undefined ? region : undefined;
}

/**
 * Why a tenant's queue URL may not be read in `region`, or undefined when it may. Allowed hosts:
 * sqs.<region>.amazonaws.com, the legacy <region>.queue.amazonaws.com (both also under
 * .amazonaws.com.cn), and the endpoint override's host and port.
 */
export function queueUrlProblem(
  queueUrl: string,
  region: string | undefined,
  endpoint: string | undefined,
  regionField = 'spec.trigger.sqs.region',
): string | undefined {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `has scheme ${url.protocol}, not https:`;
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (endpoint !== undefined) {
    try {
      if (new URL(endpoint).host === url.host) return undefined;
    } catch {
      // An unparsable override allows nothing extra.
    }
  }
  const urlRegion = regionOfQueueUrl(queueUrl);
  const official = urlRegion !== undefined && url.port === '';
  if (!official) {
    const allowed = [
      region === undefined ? 'sqs.<region>.amazonaws.com' : `sqs.${region}.amazonaws.com`,
      ...(endpoint === undefined ? [] : [safeHost(endpoint)]),
    ];
    return `host ${url.host} is not an SQS endpoint (allowed: ${allowed.join(', ')})`;
  }
  if (region !== undefined && urlRegion !== region)
    return `is in region ${urlRegion}, but the queue is read in ${region} (${regionField})`;
  return undefined;
}

function safeHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}
