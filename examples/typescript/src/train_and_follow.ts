// Train a small DQN strategy on TradeMaster and follow it from TypeScript on Node.js.
//
//   npm ci && npm run build && TM_TOKEN=<service token> npm start
//
// Stubs come from `buf generate` over the published protos (src/gen); calls go over gRPC with
// @connectrpc/connect-node. Environment: TM_TOKEN (service token with the researcher role),
// TM_DATASET (default: the first algorithmic-trading dataset), TM_STEPS (default 1000) and
// TM_CLIENT_<SERVICE>_ADDR (default: the local stack of ./tm up).
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { JsonObject } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import { StrategyService, Task } from "./gen/trademaster/api/strategy/v1/strategy_pb.js";
import {
  TrainerService,
  TrainingJobState,
  type TrainingJob,
} from "./gen/trademaster/api/trainer/v1/trainer_pb.js";
import { NotifierService } from "./gen/trademaster/api/notifier/v1/notifier_pb.js";

const LOCAL_PORTS = { strategy: 50051, notifier: 50052, trainer: 50055 } as const;
const FINAL = new Set([
  TrainingJobState.SUCCEEDED,
  TrainingJobState.FAILED,
  TrainingJobState.CANCELLED,
]);
const SMALL: JsonObject = {
  env: { num_envs: 4, episode_length: 64 },
  agent_params: {
    learning_starts: 200,
    buffer_size: 5000,
    exploration_steps: 1000,
    hidden_sizes: [32, 32],
  },
  training: { log_every_steps: 200 },
};

function address(service: keyof typeof LOCAL_PORTS): string {
  const env = process.env[`TM_CLIENT_${service.toUpperCase()}_ADDR`];
  return `http://${env ?? `127.0.0.1:${LOCAL_PORTS[service]}`}`;
}

function connect<T extends Parameters<typeof createClient>[0]>(
  service: T,
  name: keyof typeof LOCAL_PORTS,
): Client<T> {
  return createClient(service, createGrpcTransport({ baseUrl: address(name) }));
}

const token = process.env.TM_TOKEN;
if (!token) throw new Error("set TM_TOKEN to a service token");
const call = { headers: { authorization: `Bearer ${token}` }, timeoutMs: 30_000 };

const strategies = connect(StrategyService, "strategy");
const trainer = connect(TrainerService, "trainer");
const notifier = connect(NotifierService, "notifier");

async function pickDataset(): Promise<string> {
  if (process.env.TM_DATASET) return process.env.TM_DATASET;
  const page = await strategies.listDatasets({ task: Task.ALGORITHMIC_TRADING }, call);
  if (page.datasets.length === 0) throw new Error("no algorithmic-trading dataset; set TM_DATASET");
  return page.datasets[0].datasetId;
}

async function smallConfig(datasetId: string): Promise<JsonObject> {
  const schema = await strategies.getConfigSchema(
    { task: Task.ALGORITHMIC_TRADING, agent: "dqn" },
    call,
  );
  const config: JsonObject = { ...(schema.defaultConfig ?? {}) };
  for (const [section, values] of Object.entries(SMALL)) {
    config[section] = { ...((config[section] as JsonObject) ?? {}), ...(values as JsonObject) };
  }
  config.dataset_id = datasetId;
  return config;
}

async function waitStored(jobId: string): Promise<TrainingJob> {
  // Events run slightly ahead of the trainer's store: read until the stored state is final.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { job } = await trainer.getTrainingJob({ jobId }, call);
    if (!job) throw new Error(`job ${jobId} vanished`);
    if (FINAL.has(job.state) || Date.now() > deadline) return job;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function main(): Promise<number> {
  const datasetId = await pickDataset();
  const created = await strategies.createStrategy(
    {
      strategy: {
        name: `example-ts-${randomUUID().slice(0, 6)}`,
        task: Task.ALGORITHMIC_TRADING,
        agent: "dqn",
        datasetId,
        config: await smallConfig(datasetId),
      },
      requestId: randomUUID(), // idempotency key: a retry returns the first strategy
    },
    call,
  );
  const strategyId = created.strategy!.strategyId;
  console.log(`strategy ${strategyId} on ${datasetId}`);
  const { job } = await trainer.createTrainingJob(
    {
      strategyId,
      totalSteps: BigInt(process.env.TM_STEPS ?? "1000"),
      seed: 7n,
      requestId: randomUUID(),
    },
    call,
  );
  console.log(`job ${job!.jobId} ${TrainingJobState[job!.state]}`);
  const topic = `training_job/${job!.jobId}`;
  const stop = new AbortController();
  // From the topic's first event: nothing published before we subscribed is missed.
  const stream = notifier.subscribe(
    { topics: [topic], afterEventId: `${topic}@0-0` },
    { headers: call.headers, signal: stop.signal },
  );
  for await (const { event } of stream) {
    const payload = event?.payload;
    if (payload?.case === "trainingProgress") {
      console.log(`progress ${payload.value.step}/${payload.value.totalSteps}`);
    } else if (payload?.case === "jobStateChanged") {
      console.log(`state ${payload.value.newState}`);
    } else if (payload?.case === "trainingFinished") {
      console.log(`finished ${payload.value.state}`);
      stop.abort();
      break;
    }
  }
  const result = await waitStored(job!.jobId);
  const metrics = Object.entries(result.finalMetrics)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value.toFixed(4)}`)
    .join(", ");
  const state = TrainingJobState[result.state];
  console.log(`result ${state} step=${result.progress?.step} model=${result.modelUri} ${metrics}`);
  return result.state === TrainingJobState.SUCCEEDED ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConnectError && error.code !== Code.Canceled) {
      console.error(`error: ${Code[error.code]}: ${error.rawMessage}`);
    } else {
      console.error(error);
    }
    process.exit(2);
  },
);
