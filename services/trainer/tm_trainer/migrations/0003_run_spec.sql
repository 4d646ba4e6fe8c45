-- One resolved run description: the stored config IS the run spec (typed strategy config with
-- seed and steps, data reference, split); the parallel seed/steps/dataset columns go away.
UPDATE trainer.training_jobs
SET config = jsonb_build_object(
    'version', 1,
    'strategy', jsonb_set(
        jsonb_set(config, '{training,seed}', to_jsonb(seed)),
        '{training,total_steps}', to_jsonb(total_steps)
    ),
    'dataset', jsonb_build_object(
        'uri', 'file://' || dataset_path,
        'dataset_id', coalesce(config ->> 'dataset_id', ''),
        'content_hash', dataset_hash
    ),
    'train_fraction', 0.7,
    'valid_fraction', 0.15
)
WHERE NOT (config ? 'strategy');

ALTER TABLE trainer.training_jobs RENAME COLUMN config TO run_spec;
ALTER TABLE trainer.training_jobs
    DROP COLUMN seed,
    DROP COLUMN total_steps,
    DROP COLUMN dataset_path,
    DROP COLUMN dataset_hash;
