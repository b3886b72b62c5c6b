"""Operations: what a person starts that spans several stations, one layer above them.

- `model_runs`: compile and run models on an engine, record each `ModelRun` and sync its hits
  into warnings (`run_models`, `RunSummary`);
- `admin`: user and organisation administration, which writes the store and its audit rows.

Above them only the shells (cli, web, bench), the test-data tools (synth, drill) and the demo
(`demo.py`, `demo_users.py`).

The stations below never import this package (docs/architecture.md, tests/test_architecture.py).
"""
