// Offline validation with the same schema the CRD is generated from, plus the CEL rules' offline
// twins and the schedule parser. Used by `ecs-scheduler validate`, standalone mode, and the
// reconciler (for objects that slipped past the API server, e.g. created before a CRD upgrade).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { LruCache } from '../schedule/lru-cache.js';
import { ScheduleError } from '../schedule/schedule.js';
import { compileSpecSchedule } from '../schedule/schedule-union.js';
import { API_VERSION, KIND } from './constants.js';
import {
  EcsScheduledTask,
  resourceRules,
  deadLetterSqsRules,
  specRules,
  sqsRules,
  taskRules,
  type CrossFieldRule,
} from './schema.js';
import type { EcsScheduledTaskResource } from './types.js';

export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `spec.task.taskDefinition`. */
  readonly path: string;
  readonly message: string;
}

type JsonSchema = Record<string, unknown>;

/** Unknown fields are errors offline, as `kubectl apply` (strict field validation) reports them. */
export function closeObjects(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  if (out.properties) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties as Record<string, JsonSchema>).map(([k, v]) => [k, closeObjects(v)]),
    );
  }
  if (out.items) out.items = closeObjects(out.items as JsonSchema);
  return out;
}

// ajv-formats ships CommonJS; its default export arrives wrapped under NodeNext.
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin);

/**
 * The schema check of one kind, compiled on first use: every problem with a value, each once, as
 * `path: message`; empty when its shape is right. One for each kind's offline validator.
 */
export function schemaChecker(schema: unknown): (value: unknown) => ValidationIssue[] {
  let validate: ValidateFunction | undefined;
  return (value) => {
    if (!validate) {
      const ajv = new Ajv({ allErrors: true, strict: true });
      addFormats(ajv);
      for (const keyword of [
        'x-kubernetes-validations',
        'x-kubernetes-list-type',
        'x-kubernetes-list-map-keys',
      ])
        ajv.addKeyword(keyword);
      validate = ajv.compile(closeObjects(JSON.parse(JSON.stringify(schema)) as JsonSchema));
    }
    if (validate(value)) return [];
    const seen = new Set<string>();
    return (validate.errors ?? [])
      .map((e) => ({ path: pathOf(e), message: messageOf(e) }))
      .filter((i) => {
        const id = `${i.path}:${i.message}`;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
  };
}

const checkSchema = schemaChecker(EcsScheduledTask);

// A field name as a user wrote it, unless it could be mistaken for path syntax or break a
// `file:line:col: field: problem` line (a key with a newline, a dot or a colon): then quoted.
function segment(name: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

export function pathOf(error: ErrorObject): string {
  const base = error.instancePath
    .split('/')
    .filter(Boolean)
    // JSON Pointer escapes (RFC 6901): ~1 is '/', ~0 is '~'.
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : segment(p)))
    .join('')
    .replace(/^\./, '');
  const child = (name: unknown) => (base + segment(String(name))).replace(/^\./, '');
  if (error.keyword === 'required') return child(error.params.missingProperty);
  if (error.keyword === 'additionalProperties') return child(error.params.additionalProperty);
  return base || '(root)';
}

export function messageOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'required field is missing';
    case 'additionalProperties':
      return 'unknown field';
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return error.message ?? 'is invalid';
  }
}

function checkRules<T>(rules: readonly CrossFieldRule<T>[], value: T | undefined): ValidationIssue[] {
  if (value === undefined) return [];
  return rules.filter((r) => !r.check(value)).map((r) => ({ path: r.path, message: r.message }));
}

/** Every problem with the object, or an empty list when it is a valid EcsScheduledTask. */
export function validateResource(resource: unknown): ValidationIssue[] {
  const shape = checkSchema(resource);
  if (shape.length > 0) return shape;
  const est = resource as EcsScheduledTaskResource;
  const issues: ValidationIssue[] = [];
  if (est.apiVersion !== API_VERSION) issues.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (est.kind !== KIND) issues.push({ path: 'kind', message: `must be ${KIND}` });
  if (!est.metadata.name) issues.push({ path: 'metadata.name', message: 'required field is missing' });
  issues.push(...checkRules(resourceRules, est));
  issues.push(...checkRules(specRules, est.spec));
  issues.push(...checkRules(taskRules, est.spec.task));
  issues.push(...checkRules(sqsRules, est.spec.trigger?.sqs));
  issues.push(...checkRules(deadLetterSqsRules, est.spec.deadLetter?.sqs));
  try {
    // Neither or both set is the rule above's to report; each expression is still checked.
    if (est.spec.schedule !== undefined || est.spec.schedules !== undefined) {
      compileSpecSchedule(est.spec, `${est.metadata.namespace ?? 'default'}/${est.metadata.name ?? ''}`);
    }
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    // The path names the field already: the detail alone, not "spec.schedule: schedule: ...".
    issues.push({ path: `spec.${error.field}`, message: error.detail });
  }
  return issues;
}

/** Objects whose last validation is remembered: as many as the schedule cache's resources. */
const VERSIONS_REMEMBERED = 20_000;

/**
 * validateResource for objects read from a store that gives every change a new resourceVersion
 * (the API server, the standalone store, the controller's informer cache): an object version is
 * validated once, however many passes read it. A run's passes (its launch, the end of its tasks)
 * mostly read one version, and each validation walks the whole status history. An object
 * without a uid or resourceVersion (a file, a test fixture) is validated every time.
 *
 * The version a status write of the controller's own returned is not validated again either (see
 * `wrote`): every run makes one or two of them, and the next pass reads each.
 */
export class VersionedValidator {
  readonly #known = new LruCache<string, { readonly version: string; readonly issues: ValidationIssue[] }>(
    VERSIONS_REMEMBERED,
  );
  readonly #check: (resource: EcsScheduledTaskResource) => ValidationIssue[];

  /** `check` is the validation of one version (tests count its calls). */
  constructor(check: (resource: EcsScheduledTaskResource) => ValidationIssue[] = validateResource) {
    this.#check = check;
  }

  validate(resource: EcsScheduledTaskResource): ValidationIssue[] {
    const { uid, resourceVersion, namespace, name } = resource.metadata;
    if (!uid || !resourceVersion) return this.#check(resource);
    const key = `${namespace ?? ''}/${name ?? ''}`;
    const version = `${uid}/${resourceVersion}`;
    const known = this.#known.get(key);
    if (known?.version === version) return [...known.issues];
    const issues = this.#check(resource);
    this.#known.set(key, { version, issues: [...issues] });
    return issues;
  }

  /**
   * `written` is what a status write based on `read` stored: the same object but for a status the
   * controller built from `read`'s (which the API server checked against the schema on the way
   * in). It takes `read`'s answer, without ajv walking the run history again, when:
   * - `read` is the version last validated here, and its status had no issue (a status that
   *   needed repair, or a stall that kept a malformed one, is validated again in `written`);
   * - `written` is the same object (uid) at a new resourceVersion and the same generation, so
   *   its spec is the one validated. A version anyone else wrote is never passed here.
   */
  wrote(read: EcsScheduledTaskResource, written: EcsScheduledTaskResource): void {
    const { uid, resourceVersion, generation, namespace, name } = read.metadata;
    const after = written.metadata;
    if (!uid || !resourceVersion || generation === undefined) return;
    if (after.uid !== uid || !after.resourceVersion || after.resourceVersion === resourceVersion) return;
    if (after.generation !== generation) return;
    const key = `${namespace ?? ''}/${name ?? ''}`;
    if (`${after.namespace ?? ''}/${after.name ?? ''}` !== key) return;
    const known = this.#known.get(key);
    if (known?.version !== `${uid}/${resourceVersion}`) return;
    if (known.issues.some((i) => i.path.startsWith('status'))) return;
    this.#known.set(key, { version: `${uid}/${after.resourceVersion}`, issues: known.issues });
  }
}
