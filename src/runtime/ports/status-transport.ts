// The status port: what the status writer needs of a Kubernetes transport. kube/http.ts's
// KubeHttp has it; tests count its requests.

export type Query = Record<string, string | number | boolean | undefined>;

export interface StatusTransport {
  get<T>(path: string, query?: Query): Promise<T>;
  patch<T>(path: string, body: unknown, contentType?: string): Promise<T>;
}
