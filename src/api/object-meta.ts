// The API server's checks of metadata that the CRD schema cannot express (apimachinery's
// ValidateObjectMeta), so `validate` refuses offline what `kubectl apply` would refuse.
import type { ValidationIssue } from './validation.js';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const MAX_SUBDOMAIN = 253;
const MAX_LABEL = 63;
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

function subdomainProblem(value: string): string | undefined {
  if (value.length > MAX_SUBDOMAIN) return `must be no more than ${MAX_SUBDOMAIN} characters`;
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')";
  }
  return undefined;
}

function labelProblem(value: string): string | undefined {
  if (value.length > MAX_LABEL) return `must be no more than ${MAX_LABEL} characters`;
  if (!LABEL_RE.test(value)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name')";
  }
  return undefined;
}

/** A label or annotation key: an optional DNS subdomain prefix and a slash, then a name of at most 63. */
function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    const problem = prefix === '' ? 'prefix part must be non-empty' : subdomainProblem(prefix);
    if (problem) return `prefix part ${problem}`;
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > MAX_LABEL) return `name part must be no more than ${MAX_LABEL} characters`;
  if (!QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

function invalid(path: string, value: string, problem: string): ValidationIssue {
  return { path, message: `Invalid value: ${JSON.stringify(value)}: ${problem}` };
}

/** The problems the API server would report for this metadata; empty when it would accept it. */
export function validateObjectMeta(
  metadata: unknown,
  options: { readonly clusterScoped?: boolean } = {},
): ValidationIssue[] {
  if (typeof metadata !== 'object' || metadata === null) return [];
  const meta = metadata as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  if (typeof meta.name === 'string' && meta.name !== '') {
    const problem = subdomainProblem(meta.name);
    if (problem) issues.push(invalid('metadata.name', meta.name, problem));
  }
  if (typeof meta.generateName === 'string' && meta.generateName !== '') {
    // The server appends five characters; the prefix itself need not end in an alphanumeric.
    const problem = subdomainProblem(`${meta.generateName}a`);
    if (problem) issues.push(invalid('metadata.generateName', meta.generateName, problem));
  }
  if (options.clusterScoped && typeof meta.namespace === 'string' && meta.namespace !== '') {
    // kubectl would drop it silently; a namespace on a cluster-wide object suggests a misunderstanding.
    issues.push({ path: 'metadata.namespace', message: 'must not be set: the kind is cluster-scoped' });
  } else if (typeof meta.namespace === 'string' && meta.namespace !== '') {
    const problem = labelProblem(meta.namespace);
    if (problem) issues.push(invalid('metadata.namespace', meta.namespace, problem));
  }
  if (typeof meta.labels === 'object' && meta.labels !== null) {
    for (const [key, value] of Object.entries(meta.labels as Record<string, unknown>)) {
      const keyIssue = keyProblem(key);
      if (keyIssue) issues.push(invalid(`metadata.labels`, key, keyIssue));
      if (typeof value === 'string' && (value.length > MAX_LABEL || !LABEL_VALUE.test(value))) {
        issues.push(
          invalid(
            `metadata.labels.${key}`,
            value,
            `a valid label value must be an empty string or consist of at most ${MAX_LABEL} alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
          ),
        );
      }
    }
  }
  if (typeof meta.annotations === 'object' && meta.annotations !== null) {
    let bytes = 0;
    for (const [key, value] of Object.entries(meta.annotations as Record<string, unknown>)) {
      const keyIssue = keyProblem(key.toLowerCase());
      if (keyIssue) issues.push(invalid('metadata.annotations', key, keyIssue));
      bytes += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
    }
    if (bytes > MAX_ANNOTATIONS_BYTES) {
      issues.push({
        path: 'metadata.annotations',
        message: `Too long: must have at most ${MAX_ANNOTATIONS_BYTES} bytes, has ${bytes}`,
      });
    }
  }
  return issues;
}
