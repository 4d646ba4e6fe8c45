#!/usr/bin/env bash
# Train a small DQN strategy on TradeMaster and follow it with grpcurl (server reflection) + jq.
#
#   TM_TOKEN=<service token> ./train_and_follow.sh
#
# Environment: TM_TOKEN (service token with the researcher role; required), TM_DATASET (default:
# the first algorithmic-trading dataset), TM_STEPS (default 1000), TM_CLIENT_<SERVICE>_ADDR
# (default: the local stack of ./tm up). Exits 0 only when the job succeeded.
set -euo pipefail
: "${TM_TOKEN:?set TM_TOKEN to a service token}"
strategy_addr="${TM_CLIENT_STRATEGY_ADDR:-127.0.0.1:50051}"
notifier_addr="${TM_CLIENT_NOTIFIER_ADDR:-127.0.0.1:50052}"
trainer_addr="${TM_CLIENT_TRAINER_ADDR:-127.0.0.1:50055}"
steps="${TM_STEPS:-1000}"

# call ADDRESS METHOD JSON: one RPC with the token and a 30 s deadline.
call() {
  grpcurl -plaintext -max-time 30 -H "authorization: Bearer ${TM_TOKEN}" -d "$3" "$1" "$2"
}

dataset="${TM_DATASET:-}"
if [ -z "$dataset" ]; then
  dataset="$(call "$strategy_addr" trademaster.api.strategy.v1.StrategyService/ListDatasets \
    '{"task": "TASK_ALGORITHMIC_TRADING"}' | jq -r '.datasets[0].datasetId')"
fi

# The agent's default config from the server, with a budget that trains in seconds.
config="$(call "$strategy_addr" trademaster.api.strategy.v1.StrategyService/GetConfigSchema \
  '{"task": "TASK_ALGORITHMIC_TRADING", "agent": "dqn"}' | jq --arg ds "$dataset" '.defaultConfig
  | .dataset_id = $ds
  | .env += {"num_envs": 4, "episode_length": 64}
  | .agent_params += {"learning_starts": 200, "buffer_size": 5000, "exploration_steps": 1000,
                      "hidden_sizes": [32, 32]}
  | .training += {"log_every_steps": 200}')"

strategy_id="$(call "$strategy_addr" trademaster.api.strategy.v1.StrategyService/CreateStrategy \
  "$(jq -n --argjson config "$config" --arg ds "$dataset" --arg key "$(cat /proc/sys/kernel/random/uuid)" \
    '{strategy: {name: ("example-grpcurl-" + ($key | .[0:6])), task: "TASK_ALGORITHMIC_TRADING",
      agent: "dqn", datasetId: $ds, config: $config}, requestId: $key}')" \
  | jq -r '.strategy.strategyId')"
echo "strategy ${strategy_id} on ${dataset}"

job_id="$(call "$trainer_addr" trademaster.api.trainer.v1.TrainerService/CreateTrainingJob \
  "$(jq -n --arg s "$strategy_id" --arg n "$steps" --arg key "$(cat /proc/sys/kernel/random/uuid)" \
    '{strategyId: $s, totalSteps: $n, seed: "7", requestId: $key}')" | jq -r '.job.jobId')"
echo "job ${job_id}"

# Follow the job's topic from its first event until TrainingFinished (jq stops reading there).
topic="training_job/${job_id}"
grpcurl -plaintext -H "authorization: Bearer ${TM_TOKEN}" \
  -d "$(jq -n --arg t "$topic" '{topics: [$t], afterEventId: ($t + "@0-0")}')" \
  "$notifier_addr" trademaster.api.notifier.v1.NotifierService/Subscribe \
  | jq --unbuffered -r '.event
      | if .trainingProgress then "progress \(.trainingProgress.step)/\(.trainingProgress.totalSteps)"
        elif .jobStateChanged then "state \(.jobStateChanged.newState)"
        elif .trainingFinished then "finished \(.trainingFinished.state)", halt
        else empty end' || true

# Events run slightly ahead of the trainer's store: read until the stored state is final.
for _ in $(seq 60); do
  job="$(call "$trainer_addr" trademaster.api.trainer.v1.TrainerService/GetTrainingJob \
    "{\"jobId\": \"${job_id}\"}")"
  state="$(jq -r '.job.state' <<<"$job")"
  case "$state" in *SUCCEEDED|*FAILED|*CANCELLED) break ;; esac
  sleep 0.5
done
echo "result ${state#TRAINING_JOB_STATE_} step=$(jq -r '.job.progress.step' <<<"$job")" \
  "model=$(jq -r '.job.modelUri' <<<"$job")"
[ "$state" = TRAINING_JOB_STATE_SUCCEEDED ]
