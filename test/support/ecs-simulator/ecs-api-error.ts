// An error as ECS's JSON 1.1 protocol sends it: `{"__type": name, "message": ...}` with an HTTP
// status. Client faults are 400 and server faults 500, as the SDK's model expects (ECS models no
// per-error status codes); ThrottlingException is a 400, as ECS documents it.

export class EcsApiError extends Error {
  readonly type: string;
  readonly status: number;
  /** Extra members of the error shape, for example ConflictException's `resourceIds`. */
  readonly fields: Readonly<Record<string, unknown>>;

  constructor(type: string, message: string, status = 400, fields: Record<string, unknown> = {}) {
    super(message);
    this.name = 'EcsApiError';
    this.type = type;
    this.status = status;
    this.fields = fields;
  }

  body(): Record<string, unknown> {
    return { __type: this.type, message: this.message, ...this.fields };
  }
}

export const clientError = (message: string) => new EcsApiError('ClientException', message);
export const invalidParameter = (message: string) => new EcsApiError('InvalidParameterException', message);
export const clusterNotFound = () => new EcsApiError('ClusterNotFoundException', 'Cluster not found.');
export const throttled = () => new EcsApiError('ThrottlingException', 'Rate exceeded');
export const serverError = (message = 'Service Unavailable. Please try again later.') =>
  new EcsApiError('ServerException', message, 500);
