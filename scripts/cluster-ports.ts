/**
 * Where each process of the production topology listens. The defaults are the ports `npm start` uses for the same
 * things (API 3000, Temporal 7233, its UI 8233, the store 27017), so clients need no other settings; a base moves every
 * port to base + n.
 */
import type { TemporalClusterPorts } from './temporal-cluster';

export interface ClusterPorts {
  api: [number, number];
  workerMetrics: [number, number];
  store: number;
  storePostgres: number;
  temporal: TemporalClusterPorts;
}

const DEFAULT_PORTS: ClusterPorts = {
  api: [3000, 3001],
  workerMetrics: [9464, 9465],
  store: 27017,
  storePostgres: 5433,
  temporal: {
    frontend: { grpc: 7233, http: 7243, membership: 6933, metrics: 8000 },
    history: [
      { grpc: 7234, membership: 6934, metrics: 8001 },
      { grpc: 7236, membership: 6936, metrics: 8002 },
    ],
    matching: { grpc: 7235, membership: 6935, metrics: 8003 },
    worker: { grpc: 7239, membership: 6939, metrics: 8004 },
    ui: 8233,
    postgres: 5434,
  },
};

export function clusterPorts(base?: number): ClusterPorts {
  if (base === undefined) return DEFAULT_PORTS;
  let next = base;
  const port = () => next++;
  const service = () => ({ grpc: port(), membership: port(), metrics: port() });
  return {
    api: [port(), port()],
    workerMetrics: [port(), port()],
    store: port(),
    storePostgres: port(),
    temporal: {
      frontend: { ...service(), http: port() },
      history: [service(), service()],
      matching: service(),
      worker: service(),
      ui: port(),
      postgres: port(),
    },
  };
}
