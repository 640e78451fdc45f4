/**
 * Docker cannot run on this machine, so this is the proof that the deployment files work: it
 * parses docker-compose.yml, the HAProxy config, the Dockerfile and every manifest in deploy/k8s,
 * and checks them against the code. Every environment variable they set is one the config modules
 * read (derived from their source, not listed here), every probe answers on a real server (or
 * worker metrics listener) at the port the process listens on, and every command exists.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { createMetrics } from '../../platform/metrics.ts';
import { serveMetrics, type MetricsListener } from '../../platform/metrics-listener.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { REPO_ROOT } from '../support/processes.ts';

const CONFIG_MODULES = ['core/config.ts', 'core/storage/config.ts', 'worker/config.ts'];
const OUR_IMAGE = /imgplane/;

/** Every variable name the config modules read: `env.NAME`, `env['NAME']`, `helper(env, 'NAME', ...)`. */
async function configVariables(): Promise<Set<string>> {
  const names = new Set<string>();
  const pattern = /\benv(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\]|,\s*'([A-Z][A-Z0-9_]*)')/g;
  for (const file of CONFIG_MODULES) {
    const source = await readFile(path.join(REPO_ROOT, file), 'utf8');
    for (const match of source.matchAll(pattern)) names.add((match[1] ?? match[2] ?? match[3])!);
  }
  return names;
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: { name: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

interface Probe {
  httpGet?: { path: string; port: number | string };
}

interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: unknown[];
  healthcheck?: { test: string[] };
}

let variables: Set<string>;
let manifests: { file: string; manifest: Manifest }[];
let compose: { services: Record<string, ComposeService> };
let scripts: Record<string, string>;
let app: TestApp;
let workerMetrics: MetricsListener;

beforeAll(async () => {
  variables = await configVariables();
  const k8s = path.join(REPO_ROOT, 'deploy', 'k8s');
  manifests = [];
  for (const file of (await readdir(k8s)).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml')) {
    for (const document of parseAllDocuments(await readFile(path.join(k8s, file), 'utf8'))) {
      expect(document.errors, file).toEqual([]);
      manifests.push({ file, manifest: document.toJS() as Manifest });
    }
  }
  compose = parse(await readFile(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
  scripts = (JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  app = await startTestApp();
  workerMetrics = await serveMetrics(createMetrics().registry, '127.0.0.1', 0);
});

afterAll(async () => {
  await app?.close();
  await workerMetrics?.close();
});

/** A command of our image runs an existing entry file under the loader, or an existing npm script. */
function expectCommandExists(command: readonly string[], where: string): void {
  if (command[0] === 'npm') {
    const script = command[1] === 'run' ? command[2]! : command[1]!;
    expect(Object.keys(scripts), where).toContain(script);
    return;
  }
  expect(command[0], where).toBe('node');
  const files = command.slice(1).filter((part) => /\.(ts|mjs|js)$/.test(part));
  expect(files.length, where).toBeGreaterThan(0);
  for (const file of files) expect(existsSync(path.join(REPO_ROOT, file)), `${where}: ${file}`).toBe(true);
}

/** The entry a command runs, which decides which HTTP surface its probes must find. */
function entryOf(command: readonly string[] | undefined): 'server' | 'worker' | undefined {
  if (command?.some((part) => part.startsWith('server/'))) return 'server';
  if (command?.some((part) => part.startsWith('worker/'))) return 'worker';
  return undefined;
}

async function expectServed(entry: 'server' | 'worker', probePath: string, where: string): Promise<void> {
  const base = entry === 'server' ? app.baseUrl : `http://127.0.0.1:${workerMetrics.port}`;
  const response = await fetch(`${base}${probePath}`);
  expect(response.status, `${where}: GET ${probePath} on the ${entry}`).toBe(200);
}

function expectPinned(image: string, where: string): void {
  const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : '';
  expect(tag, `${where}: ${image} has no tag`).not.toBe('');
  expect(tag, `${where}: ${image}`).not.toBe('latest');
}

describe('config variables derived from the code', () => {
  it('finds the variables of all three modules', () => {
    for (const name of ['DATABASE_URL', 'PORT', 'S3_BUCKET', 'MINIO_ENDPOINT', 'WEBHOOK_URL', 'WORKER_METRICS_PORT']) {
      expect(variables).toContain(name);
    }
  });
});

describe('docker-compose.yml', () => {
  it('sets only variables the config modules read', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (!OUR_IMAGE.test(service.image ?? '') && !service.build) continue;
      for (const variable of Object.keys(service.environment ?? {})) expect(variables, `${name}: ${variable}`).toContain(variable);
    }
  });

  it('runs requests as imgplane_authenticator, with the password the database is initialised with', async () => {
    const init = compose.services.postgres!.volumes!.find((volume) => volume.includes('/docker-entrypoint-initdb.d/'));
    const script = await readFile(path.join(REPO_ROOT, init!.split(':')[0]!), 'utf8');
    for (const name of ['server', 'worker']) {
      const environment = compose.services[name]!.environment!;
      const login = new URL(environment.AUTH_DATABASE_URL!);
      expect(login.username, name).toBe('imgplane_authenticator');
      expect(script).toContain(`create role imgplane_authenticator login noinherit password '${login.password}'`);
      // Same server and database as the migrating login.
      expect(`${login.host}${login.pathname}`).toBe(`${new URL(environment.DATABASE_URL!).host}${new URL(environment.DATABASE_URL!).pathname}`);
    }
  });

  it('pins every image and runs existing commands', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image) expectPinned(service.image, name);
      if (service.build) expectCommandExists(service.command ?? [], name);
    }
  });

  it('scales the server behind a load balancer: no host port per replica, the worker separate', async () => {
    const server = compose.services.server!;
    expect(server.ports).toBeUndefined();
    expect(entryOf(server.command)).toBe('server');
    expect(entryOf(compose.services.worker!.command)).toBe('worker');
    expect(compose.services.worker!.environment!.WORKER_MODE).toBe('external');
    expect(server.environment!.WORKER_MODE).toBe('external');
    const balancers = Object.entries(compose.services).filter(([, service]) => /haproxy|nginx/.test(service.image ?? ''));
    expect(balancers.map(([name]) => name)).toEqual(['load-balancer']);
    expect(balancers[0]![1].ports).toHaveLength(1);

    // HAProxy discovers every replica by DNS at the port the server listens on, and checks readiness.
    const haproxy = await readFile(path.join(REPO_ROOT, 'deploy', 'compose', 'haproxy.cfg'), 'utf8');
    const target = /^\s*server-template\s+\S+\s+\d+\s+(\S+):(\d+)/m.exec(haproxy);
    expect(target?.[1]).toBe('server');
    expect(target?.[2]).toBe(server.environment!.PORT);
    const check = /^\s*option httpchk GET (\S+)/m.exec(haproxy);
    expect(check).not.toBeNull();
    await expectServed('server', check![1]!, 'haproxy httpchk');
  });

  it('health-checks the server at a path it serves', async () => {
    const test = compose.services.server!.healthcheck!.test.join(' ');
    const url = /http:\/\/127\.0\.0\.1:(\d+)(\/[^'"]+)/.exec(test);
    expect(url?.[1]).toBe(compose.services.server!.environment!.PORT);
    await expectServed('server', url![2]!, 'compose healthcheck');
  });
});

describe('Dockerfile and .dockerignore', () => {
  it('pins the base image, leaves dev packages out and runs node as PID 1', async () => {
    const dockerfile = await readFile(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((match) => match[1]!);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expectPinned(base, 'Dockerfile');
    expect(dockerfile).toMatch(/npm install --omit=dev/);
    const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile);
    const command = JSON.parse(cmd![1]!) as string[];
    expectCommandExists(command, 'Dockerfile CMD');
    expect(entryOf(command)).toBe('server');
  });

  it('runs the server and worker with the young-generation size of `npm start` (docs/operations.md)', async () => {
    const dockerfile = await readFile(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const scripts = (JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const flag = /--max-semi-space-size=(\d+)/;
    const sizes = [dockerfile, scripts.start!, scripts.worker!].map((text) => flag.exec(text)?.[1]);
    expect(sizes).toEqual(['8', '8', '8']);
    expect(dockerfile).toMatch(/^ENV NODE_OPTIONS=--max-semi-space-size=8$/m);
  });

  it('keeps local state, secrets and the host node_modules out of the image', async () => {
    const ignored = (await readFile(path.join(REPO_ROOT, '.dockerignore'), 'utf8')).split('\n').map((line) => line.trim());
    for (const entry of ['.data/', '**/master.key', 'node_modules/']) expect(ignored).toContain(entry);
  });
});

describe('deploy/k8s', () => {
  const byKind = (kind: string) => manifests.filter(({ manifest }) => manifest.kind === kind).map(({ manifest }) => manifest);
  const containers = () =>
    byKind('Deployment').map((deployment) => {
      const template = (deployment.spec as { template: { spec: { containers: Container[] } } }).template;
      return { deployment, container: template.spec.containers[0]! };
    });

  it('has every resource a production install needs, all listed in the kustomization', async () => {
    expect(byKind('Deployment').map((manifest) => manifest.metadata.name).sort()).toEqual(['imgplane-server', 'imgplane-worker']);
    for (const kind of ['Service', 'Ingress', 'ConfigMap', 'Secret', 'PodDisruptionBudget', 'HorizontalPodAutoscaler']) {
      expect(byKind(kind), kind).toHaveLength(1);
    }
    const kustomization = parse(await readFile(path.join(REPO_ROOT, 'deploy', 'k8s', 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual([...new Set(manifests.map(({ file }) => file))].sort());
  });

  it('sets only variables the config modules read', () => {
    const set = [
      ...byKind('ConfigMap').flatMap((manifest) => Object.keys(manifest.data ?? {})),
      ...byKind('Secret').flatMap((manifest) => Object.keys({ ...manifest.data, ...manifest.stringData })),
      ...containers().flatMap(({ container }) => (container.env ?? []).map((variable) => variable.name)),
    ];
    expect(set.length).toBeGreaterThan(5);
    for (const variable of set) expect(variables, variable).toContain(variable);
    const configMap = byKind('ConfigMap')[0]!;
    const secret = byKind('Secret')[0]!;
    for (const { container } of containers()) {
      const refs = (container.envFrom ?? []).map((source) => source.configMapRef?.name ?? source.secretRef?.name);
      expect(refs.sort()).toEqual([configMap.metadata.name, secret.metadata.name].sort());
    }
  });

  it('runs existing commands from a pinned image, with probes the process answers at the port it listens on', async () => {
    const configMap = byKind('ConfigMap')[0]!.data!;
    const listening = { server: Number(configMap.PORT), worker: Number(configMap.WORKER_METRICS_PORT) };
    for (const { deployment, container } of containers()) {
      const where = deployment.metadata.name;
      expectPinned(container.image, where);
      expectCommandExists(container.command ?? [], where);
      const entry = entryOf(container.command)!;
      expect(entry, where).toBeDefined();
      const probes = [container.startupProbe, container.readinessProbe, container.livenessProbe].filter((probe) => probe !== undefined);
      expect(probes.length, where).toBeGreaterThanOrEqual(2);
      for (const probe of probes) {
        const { path: probePath, port } = probe.httpGet!;
        const containerPort = typeof port === 'number' ? port : container.ports?.find((candidate) => candidate.name === port)?.containerPort;
        expect(containerPort, `${where}: probe port ${port}`).toBe(listening[entry]);
        await expectServed(entry, probePath, where);
      }
      expect(Object.keys((container as { resources?: Record<string, unknown> }).resources ?? {}).sort(), where).toEqual(['limits', 'requests']);
    }
    const server = containers().find(({ deployment }) => deployment.metadata.name === 'imgplane-server')!.container;
    expect(server.readinessProbe?.httpGet?.path).toBe('/health/ready');
  });

  it('has Prometheus scrape each pod at its metrics listener', async () => {
    const configMap = byKind('ConfigMap')[0]!.data!;
    // Both processes serve /metrics with platform/metrics-listener.ts, reachable from outside the pod.
    expect(configMap.METRICS_HOST).toBe('0.0.0.0');
    const listening = { server: Number(configMap.METRICS_PORT), worker: Number(configMap.WORKER_METRICS_PORT) };
    for (const { deployment, container } of containers()) {
      const template = (deployment.spec as { template: { metadata: { annotations: Record<string, string> } } }).template;
      const annotations = template.metadata.annotations;
      expect(annotations['prometheus.io/scrape'], deployment.metadata.name).toBe('true');
      expect(Number(annotations['prometheus.io/port']), deployment.metadata.name).toBe(listening[entryOf(container.command)!]);
      expect(container.ports?.map((port) => port.containerPort)).toContain(Number(annotations['prometheus.io/port']));
      const response = await fetch(`http://127.0.0.1:${workerMetrics.port}${annotations['prometheus.io/path']}`);
      expect(response.status).toBe(200);
    }
  });

  it('points the Service, PDB, HPA and Ingress at the server and rolls out without losing capacity', () => {
    const server = byKind('Deployment').find((manifest) => manifest.metadata.name === 'imgplane-server')!;
    const spec = server.spec as { selector: { matchLabels: Record<string, string> }; strategy: { rollingUpdate: { maxUnavailable: number } } };
    const labels = spec.selector.matchLabels;
    expect(spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const service = byKind('Service')[0]!;
    expect((service.spec as { selector: Record<string, string> }).selector).toEqual(labels);
    expect((byKind('PodDisruptionBudget')[0]!.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).toEqual(labels);
    expect((byKind('HorizontalPodAutoscaler')[0]!.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name).toBe(server.metadata.name);
    const ports = (service.spec as { ports: { name: string; targetPort: string }[] }).ports;
    const serverPorts = (server.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!.ports!;
    for (const port of ports) expect(serverPorts.map((candidate) => candidate.name)).toContain(port.targetPort);
    const rules = (byKind('Ingress')[0]!.spec as { rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[] }).rules;
    for (const { backend } of rules.flatMap((rule) => rule.http.paths)) {
      expect(backend.service.name).toBe(service.metadata.name);
      expect(ports.map((port) => port.name)).toContain(backend.service.port.name);
    }
  });
});
