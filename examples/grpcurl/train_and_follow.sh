#!/usr/bin/env bash
# Train a small DQN strategy on TradeMaster and follow it with grpcurl (server reflection) + jq.
#
#   TM_TOKEN=<service token> ./train_and_follow.sh
#
# Environment: TM_TOKEN (service token with the researcher role; required), TM_DATASET (default:
# the first algorithmic-trading dataset), TM_STEPS (default 1000), TM_CLIENT_<SERVICE>_ADDR
# (default: the local stack of ./tm up). Exits 0 only when the job succeeded. grpcurl prints
# the proto field names (snake_case); int64 values arrive as JSON strings.
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
    '{"task": "TASK_ALGORITHMIC_TRADING"}' | jq -r '.datasets[0].dataset_id')"
fi

# The agent's default config from the server, with a budget that trains in seconds.
config="$(call "$strategy_addr" trademaster.api.strategy.v1.StrategyService/GetConfigSchema \
  '{"task": "TASK_ALGORITHMIC_TRADING", "agent": "dqn"}' | jq --arg ds "$dataset" '.default_config
  | .dataset_id = $ds
  | .env += {"num_envs": 4, "episode_length": 64}
  | .agent_params += {"learning_starts": 200, "buffer_size": 5000, "exploration_steps": 1000,
                      "hidden_sizes": [32, 32]}
  | .training += {"log_every_steps": 200}')"

strategy_id="$(call "$strategy_addr" trademaster.api.strategy.v1.StrategyService/CreateStrategy \
  "$(jq -n --argjson config "$config" --arg ds "$dataset" --arg key "$(cat /proc/sys/kernel/random/uuid)" \
    '{strategy: {name: ("example-grpcurl-" + ($key | .[0:6])), task: "TASK_ALGORITHMIC_TRADING",
      agent: "dqn", dataset_id: $ds, config: $config}, request_id: $key}')" \
  | jq -r '.strategy.strategy_id')"
echo "strategy ${strategy_id} on ${dataset}"

job_id="$(call "$trainer_addr" trademaster.api.trainer.v1.TrainerService/CreateTrainingJob \
  "$(jq -n --arg s "$strategy_id" --arg n "$steps" --arg key "$(cat /proc/sys/kernel/random/uuid)" \
    '{strategy_id: $s, total_steps: $n, seed: "7", request_id: $key}')" | jq -r '.job.job_id')"
echo "job ${job_id}"

# Follow the job's topic from its first event until TrainingFinished. grpcurl prints a stream's
# messages when the call ends, so each round listens for 10 s, then resubscribes after the last
# event id it got: the notifier's resume cursor, so no event is lost or repeated between rounds.
topic="training_job/${job_id}"
after="${topic}@0-0"
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
for _ in $(seq 60); do
  events="$(grpcurl -plaintext -max-time 10 -H "authorization: Bearer ${TM_TOKEN}" \
    -d "$(jq -n --arg t "$topic" --arg a "$after" '{topics: [$t], after_event_id: $a}')" \
    "$notifier_addr" trademaster.api.notifier.v1.NotifierService/Subscribe 2>"$errors")" || {
    # The round's deadline ends every call; any other error (token, topic) is final.
    grep -q DeadlineExceeded "$errors" || { cat "$errors" >&2; exit 1; }
  }
  jq -r '.event
    | if .training_progress then "progress \(.training_progress.step // "0")/\(.training_progress.total_steps)"
      elif .job_state_changed then "state \(.job_state_changed.new_state)"
      elif .training_finished then "finished \(.training_finished.state)"
      else empty end' <<<"$events"
  last="$(jq -r '.event.event_id // empty' <<<"$events" | tail -n 1)"
  after="${last:-$after}"
  if grep -q '"training_finished"' <<<"$events"; then break; fi
done

# Events run slightly ahead of the trainer's store: read until the stored state is final.
for _ in $(seq 60); do
  job="$(call "$trainer_addr" trademaster.api.trainer.v1.TrainerService/GetTrainingJob \
    "{\"job_id\": \"${job_id}\"}")"
  state="$(jq -r '.job.state' <<<"$job")"
  case "$state" in *SUCCEEDED|*FAILED|*CANCELLED) break ;; esac
  sleep 0.5
done
echo "result ${state#TRAINING_JOB_STATE_} step=$(jq -r '.job.progress.step' <<<"$job")" \
  "model=$(jq -r '.job.model_uri' <<<"$job")"
[ "$state" = TRAINING_JOB_STATE_SUCCEEDED ]
