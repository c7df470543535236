// Whether a region a tenant wrote (spec.trigger.sqs.region, spec.deadLetter.sqs.region, or the
// region in a queue URL) may be used. The SDK builds the endpoint's host from the region, so it
// must be one host label (the CRD's pattern); and each distinct region gets an SQS client, so a
// region in no AWS partition is refused as a spec error rather than retried against a host that
// does not resolve. The client pool is bounded as well: a well-formed invented region
// (us-nowhere-7) passes here and only costs a client that is soon evicted.
import { AWS_REGION_PATTERN } from '../api/schema.js';

/**
 * The partitions' region patterns, as the SDK's endpoint rules list them (aws, aws-cn, aws-us-gov,
 * the ISO partitions). A new partition is rare and comes with an SDK release. aws-eusc's
 * eusc-de-east-1 is left out: the CRD's pattern does not admit a four-letter first label yet.
 */
const PARTITION_REGIONS: readonly RegExp[] = [
  /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
  /^cn-\w+-\d+$/,
  /^us-gov-\w+-\d+$/,
  /^us-iso-\w+-\d+$/,
  /^us-isob-\w+-\d+$/,
  /^us-isof-\w+-\d+$/,
  /^eu-isoe-\w+-\d+$/,
];

const REGION = new RegExp(AWS_REGION_PATTERN);

/** Why `region` is not an AWS region, or undefined when it may be one. */
export function awsRegionProblem(region: string): string | undefined {
  const shown = JSON.stringify(region.slice(0, 64));
  if (!REGION.test(region)) return `${shown} is not an AWS region`;
  if (!PARTITION_REGIONS.some((p) => p.test(region)))
    return `${shown} is not an AWS region (in no AWS partition: us-, eu-, ap-, sa-, ca-, me-, af-, il-, mx-, cn-, us-gov-...)`;
  return undefined;
}
