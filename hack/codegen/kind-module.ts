// Emits, per kind and version: the GVK descriptor, the object and list types, a type guard and
// a small typed client over @kubernetes/client-node's CustomObjectsApi.
import { Scope, VariableDeclarationKind, type Project, type SourceFile } from 'ts-morph';
import { cap, versionSuffix, type CrdKind, type CrdVersion } from './crd-source.js';

export function emitKindModule(p: Project, c: CrdKind, v: CrdVersion): SourceFile {
  const file = p.createSourceFile(`${v.name}/${c.singular}.ts`, '', { overwrite: true });
  // The storage version's types keep the kind's name; other versions carry their version.
  const K = v.storage ? c.kind : `${c.kind}${versionSuffix(v.name)}`;
  const listName = v.storage ? c.listKind : `${c.listKind}${versionSuffix(v.name)}`;
  const gvk = `${c.kind}${cap(v.name)}GVK`;
  const apiVersion = `${c.group}/${v.name}`;
  const hasStatus = Boolean((v.schema.properties as Record<string, unknown> | undefined)?.status);
  // By module path: the package root loads every generated API and model (src/kube/client-node.ts).
  const client = c.scope === 'Cluster';
  if (client) {
    file.addImportDeclaration({
      moduleSpecifier: '@kubernetes/client-node/dist/patch.js',
      namedImports: ['PatchStrategy'],
    });
    file.addImportDeclaration({
      moduleSpecifier: '@kubernetes/client-node/dist/middleware.js',
      namedImports: ['setHeaderOptions'],
    });
  }
  file.addImportDeclaration({
    moduleSpecifier: '@kubernetes/client-node',
    isTypeOnly: true,
    namedImports: [...(client ? ['CustomObjectsApi'] : []), 'V1ListMeta', 'V1ObjectMeta'],
  });
  file.addImportDeclaration({
    moduleSpecifier: `./${c.singular}.types.js`,
    isTypeOnly: true,
    namedImports: [`${K}Spec`, ...(hasStatus ? [`${K}Status`] : [])],
  });
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [`Group, version, kind and REST path of ${apiVersion} ${K}.`],
    declarations: [
      {
        name: gvk,
        initializer: `${JSON.stringify(
          {
            group: c.group,
            version: v.name,
            kind: c.kind,
            listKind: c.listKind,
            plural: c.plural,
            singular: c.singular,
            shortNames: c.shortNames,
            scope: c.scope,
            apiVersion,
            storage: v.storage,
            path: `/apis/${apiVersion}/${c.plural}`,
          },
          null,
          2,
        )} as const`,
      },
    ],
  });
  file.addInterface({
    isExported: true,
    name: K,
    docs: [`A ${K} as ${apiVersion} serves it.`],
    properties: [
      { name: 'apiVersion', type: `'${apiVersion}'` },
      { name: 'kind', type: `'${c.kind}'` },
      { name: 'metadata', type: 'V1ObjectMeta' },
      { name: 'spec', type: `${K}Spec` },
      ...(hasStatus ? [{ name: 'status', type: `${K}Status`, hasQuestionToken: true }] : []),
    ],
  });
  file.addInterface({
    isExported: true,
    name: listName,
    properties: [
      { name: 'apiVersion', type: `'${apiVersion}'` },
      { name: 'kind', type: `'${c.listKind}'` },
      { name: 'metadata', type: 'V1ListMeta' },
      { name: 'items', type: `${K}[]` },
    ],
  });
  file.addFunction({
    isExported: true,
    name: `is${K}`,
    docs: [`True when the object says it is a ${apiVersion} ${c.kind} and has a metadata and a spec object.`],
    parameters: [{ name: 'o', type: 'unknown' }],
    returnType: `o is ${K}`,
    statements: [
      `if (typeof o !== 'object' || o === null) return false;`,
      `const r = o as Record<string, unknown>;`,
      `return r.apiVersion === '${apiVersion}' && r.kind === '${c.kind}' &&`,
      `  typeof r.metadata === 'object' && r.metadata !== null &&`,
      `  typeof r.spec === 'object' && r.spec !== null;`,
    ],
  });
  // Namespaced kinds (L2Announcement) are written by lanlb alone, through KubeHttp: no typed client.
  if (client) emitClient(file, c, v, gvk, hasStatus, K, listName);
  return file;
}

function emitClient(
  file: SourceFile,
  c: CrdKind,
  v: CrdVersion,
  gvk: string,
  hasStatus: boolean,
  K: string,
  listName: string,
): void {
  const ids = '...this.ids';
  const cls = file.addClass({
    isExported: true,
    name: `${c.kind}${cap(v.name)}Client`,
    docs: [`Typed access to ${c.group}/${v.name} ${c.plural}; list and watch share \`path\`.`],
    ctors: [{ parameters: [{ name: 'api', type: 'CustomObjectsApi', isReadonly: true, scope: Scope.Private }] }],
  });
  cls.addProperty({ name: 'path', isReadonly: true, initializer: `${gvk}.path` });
  cls.addProperty({
    name: 'ids',
    scope: Scope.Private,
    isReadonly: true,
    initializer: `{ group: ${gvk}.group, version: ${gvk}.version, plural: ${gvk}.plural }`,
  });
  cls.addMethod({
    name: 'get',
    isAsync: true,
    parameters: [{ name: 'name', type: 'string' }],
    returnType: `Promise<${K}>`,
    statements: `return (await this.api.getClusterCustomObject({ ${ids}, name })) as ${K};`,
  });
  cls.addMethod({
    name: 'list',
    isAsync: true,
    parameters: [
      {
        name: 'options',
        type: '{ labelSelector?: string; resourceVersion?: string; limit?: number; _continue?: string }',
        initializer: '{}',
      },
    ],
    returnType: `Promise<${listName}>`,
    statements: `return (await this.api.listClusterCustomObject({ ${ids}, ...options })) as ${listName};`,
  });
  cls.addMethod({
    name: 'create',
    isAsync: true,
    parameters: [{ name: 'object', type: `Omit<${K}, 'apiVersion' | 'kind' | 'status'>` }],
    returnType: `Promise<${K}>`,
    statements:
      `return (await this.api.createClusterCustomObject({ ${ids}, body: { ` +
      `apiVersion: ${gvk}.apiVersion, kind: ${gvk}.kind, ...object } })) as ${K};`,
  });
  cls.addMethod({
    name: 'delete',
    isAsync: true,
    parameters: [{ name: 'name', type: 'string' }],
    returnType: 'Promise<void>',
    statements: `await this.api.deleteClusterCustomObject({ ${ids}, name });`,
  });
  if (!hasStatus) return;
  cls.addMethod({
    name: 'patchStatus',
    isAsync: true,
    docs: [
      'JSON merge patch on the status subresource; with `resourceVersion` it fails with 409 when the object changed.',
    ],
    parameters: [
      { name: 'name', type: 'string' },
      { name: 'status', type: `Partial<${K}Status>` },
      { name: 'resourceVersion', type: 'string', hasQuestionToken: true },
    ],
    returnType: `Promise<${K}>`,
    statements: [
      'const body = resourceVersion === undefined ? { status } : { metadata: { resourceVersion }, status };',
      `return (await this.api.patchClusterCustomObjectStatus({ ${ids}, name, body },`,
      `  setHeaderOptions('Content-Type', PatchStrategy.MergePatch))) as ${K};`,
    ],
  });
}
