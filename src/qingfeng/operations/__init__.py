"""Operations: what a person starts that spans several stations, one layer above them.

- `model_runs`: compile and run models on an engine, record each `ModelRun` and sync its hits
  into warnings (`run_models`, `RunSummary`);
- `admin`: user and organisation administration, which writes the store and its audit rows;
- `demo_users`: the demo's organisations and one account per role.

The stations below never import this package (docs/architecture.md, tests/test_architecture.py).
"""
