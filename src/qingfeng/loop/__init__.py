"""The closed loop (闭环): every warning from dispatch to archive, with deadlines and outcomes.

`machine` holds the state machine (the one place transitions are checked), `calendar` the
working-day arithmetic, `service` the operations the API, pages and CLI call.
"""
