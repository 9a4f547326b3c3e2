"""DuckDB schema. Bump SCHEMA_VERSION and append a migration when a table changes."""

from __future__ import annotations

SCHEMA_VERSION = 5

TABLES = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,            -- build | prep | train | eval | gate | demo
    domain VARCHAR,
    stage VARCHAR,                    -- base | cpt | sft | dpo | ...
    status VARCHAR NOT NULL,          -- running | completed | failed
    model_id VARCHAR,                 -- model produced (train) or evaluated (eval)
    parent_model_id VARCHAR,
    config_json JSON,
    fingerprint VARCHAR,
    data_hash VARCHAR,
    seed INTEGER,
    versions_json JSON,
    output_path VARCHAR,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    error VARCHAR
);
CREATE TABLE IF NOT EXISTS models (
    model_id VARCHAR PRIMARY KEY,     -- fingerprint of the model folder / adapter
    ref VARCHAR NOT NULL,             -- path or hub id that loads it
    base_ref VARCHAR,                 -- for adapters: the model they apply to
    method VARCHAR,                   -- embedded | hub | full | lora | merged
    is_adapter BOOLEAN NOT NULL DEFAULT FALSE,
    n_params BIGINT,
    trainable_params BIGINT,
    fingerprint VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS train_logs (
    run_id VARCHAR NOT NULL,
    step INTEGER NOT NULL,
    epoch DOUBLE,
    split VARCHAR NOT NULL,           -- train | validation
    loss DOUBLE,
    learning_rate DOUBLE,
    grad_norm DOUBLE,
    tokens_seen BIGINT,
    metrics_json JSON
);
CREATE TABLE IF NOT EXISTS eval_results (
    run_id VARCHAR NOT NULL,
    model_id VARCHAR,
    suite VARCHAR,
    task VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    filter VARCHAR,
    value DOUBLE,
    stderr DOUBLE,
    n INTEGER,
    higher_is_better BOOLEAN
);
CREATE TABLE IF NOT EXISTS eval_samples (
    run_id VARCHAR NOT NULL,
    model_id VARCHAR,
    suite VARCHAR,
    task VARCHAR NOT NULL,
    doc_id INTEGER,
    doc_hash VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    value DOUBLE,
    prediction VARCHAR,
    target VARCHAR,
    prompt VARCHAR,
    filter VARCHAR,                   -- lm-eval filter the value was scored after (v2)
    prompt_hash VARCHAR,              -- lm-eval's hash of the rendered prompt (v2)
    weight DOUBLE                     -- bytes/words of a perplexity item (weighted metrics, v2)
);
CREATE TABLE IF NOT EXISTS eval_sample_stats (  -- v4: eval_samples summarised per run at ingest (same transaction)
    run_id VARCHAR NOT NULL,
    task VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    filter VARCHAR,
    n BIGINT NOT NULL,                -- per-item rows
    n_values BIGINT NOT NULL,         -- of them with a value (count(value))
    total DOUBLE,                     -- sum(value)
    task_docs BIGINT NOT NULL,        -- distinct doc_hash of the task over all its metrics (same on each row)
    row_lo BIGINT,                    -- eval_samples rowids of the run's rows lie in [row_lo, row_hi] (a scan
    row_hi BIGINT                     -- hint, checked before use; NULL: unknown); same on each row of the run
);
CREATE TABLE IF NOT EXISTS eval_tasks (
    run_id VARCHAR NOT NULL,
    task VARCHAR NOT NULL,
    suite VARCHAR,                    -- the suite the task belongs to by its definition
    config_hash VARCHAR,              -- hash of lm-eval's resolved task config (prompt functions' source inside)
    code_hash VARCHAR,                -- content hash of the suite folder's code and templates (not its data)
    config_json JSON,                 -- lm-eval's resolved task config
    primary_metric VARCHAR,           -- declared in the task's metadata (else its first metric)
    primary_filter VARCHAR,
    higher_is_better BOOLEAN,         -- of the primary metric
    chance DOUBLE,                    -- declared chance level of the primary metric (NULL: none)
    n_docs INTEGER,                   -- documents evaluated
    lm_eval_version VARCHAR,
    harness_version VARCHAR
);
CREATE TABLE IF NOT EXISTS data_reports (
    report_id VARCHAR PRIMARY KEY,
    run_id VARCHAR,
    dataset_hash VARCHAR NOT NULL,
    domain VARCHAR,
    dataset VARCHAR,                  -- cpt | sft | dpo | eval | ...
    split VARCHAR,
    n_rows_in INTEGER,
    n_rows_out INTEGER,
    n_dropped INTEGER,
    report_json JSON,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS gates (
    gate_id VARCHAR PRIMARY KEY,
    run_id VARCHAR,
    policy VARCHAR,
    domain VARCHAR,
    candidate_run VARCHAR,
    baseline_run VARCHAR,
    passed BOOLEAN,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS gate_results (
    gate_id VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    kind VARCHAR,
    task VARCHAR,
    metric VARCHAR,
    observed DOUBLE,
    threshold DOUBLE,
    passed BOOLEAN,
    detail_json JSON
);
CREATE TABLE IF NOT EXISTS sweep_trials (   -- v3: one row per Optuna trial of `harness sweep`
    sweep VARCHAR NOT NULL,           -- the space file's name (also the Optuna study name)
    trial INTEGER NOT NULL,           -- Optuna trial number
    domain VARCHAR,
    stage VARCHAR,
    state VARCHAR NOT NULL,           -- complete | pruned | failed
    params_json JSON,                 -- {config field: value}
    objective DOUBLE,                 -- NULL unless complete
    objective_name VARCHAR,           -- validation_loss | <task>/<metric>
    direction VARCHAR,                -- minimize | maximize
    n INTEGER,                        -- items behind the objective (validation rows or eval items)
    stderr DOUBLE,                    -- of a suite-metric objective (NULL for validation loss)
    train_run_id VARCHAR,
    eval_run_id VARCHAR,
    detail_json JSON,                 -- pruned: step and loss at pruning; sampler; distributions
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS releases (       -- v3: every `harness release` attempt of a domain
    release_id VARCHAR PRIMARY KEY,
    domain VARCHAR NOT NULL,
    version INTEGER,                  -- 1, 2, ... for released models; NULL for a rejected candidate
    released BOOLEAN NOT NULL,        -- both gates passed
    parent_release VARCHAR,           -- the release it trained from (NULL: the base)
    model_id VARCHAR,
    model_ref VARCHAR,
    base_model_id VARCHAR,
    train_run_id VARCHAR,
    eval_run_id VARCHAR,
    gate_vs_last VARCHAR,             -- gate_id (NULL when there is no earlier release)
    gate_vs_base VARCHAR,
    outcome VARCHAR,                  -- PASS | FAIL | INCONCLUSIVE (the worse of the two gates)
    data_path VARCHAR,                -- the new data this release trained on
    data_hash VARCHAR,
    replay DOUBLE,                    -- share of replayed earlier-release rows in the training data
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS human_labels (   -- v3: pairwise preferences from the dashboard's labelling page
    label_id VARCHAR PRIMARY KEY,
    task VARCHAR,
    doc_hash VARCHAR,
    prompt VARCHAR NOT NULL,
    model_a VARCHAR NOT NULL,         -- model ids, never shown to the labeller
    model_b VARCHAR NOT NULL,
    reply_a VARCHAR NOT NULL,
    reply_b VARCHAR NOT NULL,
    left_model VARCHAR,               -- which model's reply was shown on the left (order randomised)
    choice VARCHAR NOT NULL,          -- a | b | tie
    labeller VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS judge_runs (     -- v5: one row per `harness label --judge` run (RLAIF)
    run_id VARCHAR PRIMARY KEY,       -- its runs row (kind 'label'; model_id = the judge's model id)
    judge_model_id VARCHAR NOT NULL,  -- the judge's fingerprint (as any model id in the store)
    judge_ref VARCHAR,
    data_path VARCHAR,
    data_hash VARCHAR,                -- of the file of pairs judged
    out_path VARCHAR,                 -- the preference dataset written (the stage input)
    n_pairs INTEGER NOT NULL,         -- pairs judged, each in both orders
    n_written INTEGER NOT NULL,       -- non-tied pairs written to out_path
    n_ties INTEGER NOT NULL,          -- orders disagree or confidence under min_confidence
    n_labelled INTEGER NOT NULL,      -- pairs that came with an existing label
    position_bias DOUBLE,             -- mean P(first reply) - 0.5 over both orders
    mean_confidence DOUBLE,           -- over the written pairs
    min_confidence DOUBLE,
    truncated INTEGER,                -- judge prompts still over the judge's window
    kappa DOUBLE,                     -- Cohen's kappa vs the existing labels (non-tied labelled pairs)
    kappa_ci_low DOUBLE,              -- percentile bootstrap 95% CI
    kappa_ci_high DOUBLE,
    kappa_n INTEGER,                  -- pairs behind kappa
    agreement DOUBLE,                 -- raw agreement on those pairs
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS judge_labels (   -- v5: every pair a judge run scored, ties included
    run_id VARCHAR NOT NULL,
    pair_index INTEGER NOT NULL,      -- order in the input (candidate lists expand to several pairs)
    source_record INTEGER,            -- input record number (0-based)
    prompt VARCHAR NOT NULL,
    reply_x VARCHAR NOT NULL,         -- shown as Reply A in the first order
    reply_y VARCHAR NOT NULL,
    p_order_1 DOUBLE NOT NULL,        -- P(A) with x as A
    p_order_2 DOUBLE NOT NULL,        -- P(A) with y as A
    p_x DOUBLE NOT NULL,              -- the judge's probability that x is better (both orders averaged)
    confidence DOUBLE NOT NULL,       -- max(p_x, 1 - p_x)
    winner VARCHAR NOT NULL,          -- x | y | tie
    existing_label VARCHAR,           -- x | y when the input was labelled
    label_agrees BOOLEAN,
    PRIMARY KEY (run_id, pair_index)
);
"""

# eval_sample_stats rows of every run in `source` (a relation with eval_samples' columns): written by add_eval
# from the rows it inserts, by `pull`, and by the v4 migration.
SAMPLE_STATS_SQL = (
    "SELECT m.run_id, m.task, m.metric, m.filter, m.n, m.n_values, m.total, d.task_docs, NULL, NULL FROM"
    " (SELECT run_id, task, metric, filter, count(*) AS n, count(value) AS n_values, sum(value) AS total"
    "  FROM {source} GROUP BY run_id, task, metric, filter) m"
    " JOIN (SELECT run_id, task, count(DISTINCT doc_hash) AS task_docs FROM {source} GROUP BY run_id, task) d"
    " ON d.run_id = m.run_id AND d.task = m.task")

# version -> SQL applied to move from version-1 to version (TABLES has already created new tables).
MIGRATIONS: dict[int, str] = {
    # v2: eval identity (issue "Verdicts a release manager can bet on"): per-sample filter, prompt hash and
    # weight; per-task resolved configs live in the new eval_tasks table.
    2: """
    ALTER TABLE eval_samples ADD COLUMN IF NOT EXISTS filter VARCHAR;
    ALTER TABLE eval_samples ADD COLUMN IF NOT EXISTS prompt_hash VARCHAR;
    ALTER TABLE eval_samples ADD COLUMN IF NOT EXISTS weight DOUBLE;
    """,
    # v3: feedback loops (issue 16b): hyperparameter sweeps, continual releases, human preference labels.
    # The tables are new (created by TABLES, IF NOT EXISTS); the step only records the version.
    3: "SELECT 1",
    # v4: store at scale (issue 13): eval_sample_stats, the per-run summary of eval_samples that dashboards and
    # compare read instead of scanning every per-item row; back-filled here from the rows already stored.
    4: "INSERT INTO eval_sample_stats " + SAMPLE_STATS_SQL.format(source="eval_samples") + ";"
       " UPDATE eval_sample_stats s SET row_lo = r.lo, row_hi = r.hi FROM (SELECT run_id, min(rowid) AS lo,"
       " max(rowid) AS hi FROM eval_samples GROUP BY run_id HAVING max(rowid) - min(rowid) + 1 = count(*)) r"
       " WHERE r.run_id = s.run_id",
    # v5: RLAIF labelling runs (issue 16): judge_runs + judge_labels are new tables (created by TABLES).
    5: "SELECT 1",
}
