import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PARTNER_NAMES } from '../../domain/partners';
import { SEARCH_ATTRIBUTE_KEYS } from '../../domain/search-attributes';

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  ports?: (string | number)[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: string[];
  profiles?: string[];
}

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
const readDeployed = (path: string) =>
  readFileSync(new URL(`../../${path.replace(/^\.\//, '')}`, import.meta.url), 'utf8');

/** The host paths mounted into a service, by their path in the container. */
function mounts(name: string): Record<string, string> {
  return Object.fromEntries(
    (service(name).volumes ?? []).map((volume) => {
      const [source, target] = volume.split(':');
      return [target!, source!];
    }),
  );
}

const cliTypeNames: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function environment(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  const entries = Array.isArray(env)
    ? env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
    : Object.entries(env).map(([key, value]) => [key, String(value)]);
  return Object.fromEntries(entries);
}

/** Host side of each published port: `"8233:8080"` publishes 8233, `"127.0.0.1:3000:3000"` publishes 3000. */
function publishedPorts(name: string): number[] {
  return (service(name).ports ?? []).map((port) => {
    const parts = String(port).split(':');
    return Number(parts.length > 1 ? parts[parts.length - 2] : parts[0]);
  });
}

function buildOf(name: string): { context: string; dockerfile: string } {
  const build = service(name).build;
  if (build === undefined) throw new Error(`${name} is not built from this repository`);
  if (typeof build === 'string') return { context: build, dockerfile: 'Dockerfile' };
  return { context: build.context ?? '.', dockerfile: build.dockerfile ?? 'Dockerfile' };
}

function commandOf(name: string): string {
  const command = service(name).command ?? '';
  return Array.isArray(command) ? command.join(' ') : command;
}

function dependencyConditions(name: string): Record<string, string> {
  const dependsOn = service(name).depends_on ?? [];
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((dep) => [dep, 'service_started']));
  return Object.fromEntries(
    Object.entries(dependsOn).map(([dep, options]) => [dep, options.condition ?? 'service_started']),
  );
}

const apiReplicas = ['api-1', 'api-2'];
const appServices = [...apiReplicas, 'worker'];

describe('docker-compose.yml', () => {
  it('runs Temporal with its database and UI, MongoDB, the search-attribute setup, two API replicas and the worker', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([
        'postgresql',
        'temporal',
        'temporal-ui',
        'temporal-search-attributes',
        'mongodb',
        'api-1',
        'api-2',
        'worker',
      ]),
    );
  });

  it('publishes Temporal on 7233, its UI on 8233, MongoDB on 27017 and the API replicas on 3000 and 3001', () => {
    expect(publishedPorts('temporal')).toContain(7233);
    expect(publishedPorts('temporal-ui')).toContain(8233);
    expect(publishedPorts('mongodb')).toContain(27017);
    expect(publishedPorts('api-1')).toContain(3000);
    expect(publishedPorts('api-2')).toContain(3001);
    for (const name of apiReplicas) expect(environment(name).PORT, name).toBe('3000');
  });

  it('builds the API replicas and the worker from the same Dockerfile, with the same settings for both replicas', () => {
    for (const name of apiReplicas) expect(buildOf(name), name).toEqual(buildOf('worker'));
    expect(environment('api-2')).toEqual(environment('api-1'));
  });

  it('points the API and the worker at the temporal service and the mongodb replica set', () => {
    const replicaSet = commandOf('mongodb').match(/--replSet\s+(\S+)/)?.[1];
    expect(replicaSet).toBeDefined();
    for (const name of appServices) {
      const env = environment(name);
      expect(env.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
      const mongoUri = new URL(env.MONGODB_URI ?? '');
      expect(mongoUri.hostname, name).toBe('mongodb');
      expect(mongoUri.port, name).toBe('27017');
      expect(mongoUri.searchParams.get('replicaSet'), name).toBe(replicaSet);
    }
  });

  it('registers every custom search attribute with its type in the namespace the applications use', () => {
    const command = commandOf('temporal-search-attributes');
    const namespace = environment('worker').TEMPORAL_NAMESPACE;
    for (const name of apiReplicas) expect(environment(name).TEMPORAL_NAMESPACE, name).toBe(namespace);
    for (const key of SEARCH_ATTRIBUTE_KEYS) {
      const registration = command
        .split('\n')
        .find((line) => line.includes('search-attribute create') && new RegExp(`--name\\s+${key.name}\\b`).test(line));
      expect(registration, key.name).toBeDefined();
      expect(registration).toMatch(new RegExp(`--type\\s+${cliTypeNames[key.type]}\\b`));
      expect(registration).toMatch(/--address\s+temporal:7233\b/);
      expect(registration).toMatch(new RegExp(`--namespace\\s+${namespace}\\b`));
    }
  });

  it("passes every partner's secrets and redeem URL through to the API and the worker", () => {
    for (const name of appServices) {
      const env = environment(name);
      for (const partner of PARTNER_NAMES) {
        for (const suffix of ['INBOUND_SECRET', 'REDEEM_URL', 'OUTBOUND_SECRET']) {
          const variable = `${partner.toUpperCase()}_${suffix}`;
          expect(env[variable], `${name} ${variable}`).toContain(`\${${variable}`);
        }
      }
    }
  });

  it('requires API keys for the API and keeps them away from the worker', () => {
    for (const name of apiReplicas) expect(environment(name).API_KEYS, name).toMatch(/^\$\{API_KEYS:\?/);
    expect(environment('worker')).not.toHaveProperty('API_KEYS');
  });

  it('starts the API and the worker only after the search attributes are registered and MongoDB is healthy', () => {
    for (const name of appServices) {
      expect(dependencyConditions(name), name).toMatchObject({
        'temporal-search-attributes': 'service_completed_successfully',
        mongodb: 'service_healthy',
      });
    }
  });

  it('runs the API by default and the worker through its command override', () => {
    const cmd = dockerfile
      .split('\n')
      .filter((line) => /^CMD\s/.test(line))
      .at(-1);
    expect(cmd).toMatch(/api\/main\.ts/);
    for (const name of apiReplicas) expect(service(name).command, name).toBeUndefined();
    expect(commandOf('worker')).toMatch(/worker\/main\.ts/);
  });

  it('gives the Temporal server the dynamic config the orchestrator relies on', () => {
    const [source, target] = String(service('temporal').volumes?.[0]).split(':');
    expect(target).toBe('/etc/temporal/config/dynamicconfig/orchestrator.yaml');
    expect(environment('temporal').DYNAMIC_CONFIG_FILE_PATH).toBe('config/dynamicconfig/orchestrator.yaml');
    const settings = parse(readFileSync(new URL(`../../${source!.replace(/^\.\//, '')}`, import.meta.url), 'utf8'));
    for (const key of [
      'frontend.enableExecuteMultiOperation',
      'frontend.enableUpdateWorkflowExecution',
      'system.enableActivityEagerExecution',
    ]) {
      expect(settings[key], key).toEqual([{ value: true }]);
    }
  });

  it('gives the worker the workflow bundle that the image builds', () => {
    expect(dockerfile).toMatch(/RUN npx tsx scripts\/bundle-workflows\.ts dist\/workflow-bundle\.js/);
    expect(environment('worker').WORKFLOW_BUNDLE_PATH).toBe('/app/dist/workflow-bundle.js');
  });

  it('runs the image as the unprivileged node user', () => {
    const user = dockerfile
      .split('\n')
      .filter((line) => /^USER\s/.test(line))
      .at(-1);
    expect(user).toBe('USER node');
  });

  it('keeps Prometheus, Grafana and Jaeger in the optional observability profile, out of the default stack', () => {
    for (const name of ['prometheus', 'grafana', 'jaeger'])
      expect(service(name).profiles, name).toEqual(['observability']);
    for (const name of [...appServices, 'temporal', 'mongodb']) expect(service(name).profiles, name).toBeUndefined();
  });

  it("has Prometheus scrape the API's /metrics and the worker's metrics address, which listens beyond its container", () => {
    const config = parse(readDeployed(mounts('prometheus')['/etc/prometheus/prometheus.yml']!)) as {
      scrape_configs: Array<{ metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const targets = config.scrape_configs.flatMap((job) =>
      job.static_configs.flatMap((group) =>
        group.targets.map((target) => `${target}${job.metrics_path ?? '/metrics'}`),
      ),
    );
    const workerAddress = environment('worker').WORKER_METRICS_ADDRESS!;
    expect(workerAddress).toMatch(/^0\.0\.0\.0:\d+$/);
    expect(targets).toEqual(
      expect.arrayContaining([
        ...apiReplicas.map((name) => `${name}:${environment(name).PORT}/metrics`),
        `worker:${workerAddress.split(':')[1]}/metrics`,
      ]),
    );
  });

  it('provisions Grafana with the Prometheus data source and the Redemptions dashboard', () => {
    const volumes = mounts('grafana');
    const datasources = parse(readDeployed(`${volumes['/etc/grafana/provisioning']}/datasources/prometheus.yaml`));
    const provider = parse(readDeployed(`${volumes['/etc/grafana/provisioning']}/dashboards/redemptions.yaml`));
    expect(volumes[provider.providers[0].options.path]).toBe('./deploy/grafana/dashboards');
    const dashboard = JSON.parse(readDeployed('deploy/grafana/dashboards/redemptions.json'));
    const uids = new Set(
      dashboard.panels.flatMap((panel: any) => panel.targets.map((target: any) => target.datasource.uid)),
    );
    expect([...uids]).toEqual([datasources.datasources[0].uid]);
    expect(new URL(datasources.datasources[0].url).host).toBe('prometheus:9090');
  });

  it('passes the OTLP endpoint through to the API and the worker, so tracing is off unless it is set', () => {
    for (const name of appServices) {
      expect(environment(name).OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe('${OTEL_EXPORTER_OTLP_ENDPOINT:-}');
    }
  });
});
