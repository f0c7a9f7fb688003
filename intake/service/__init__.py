"""The background service: `intake serve` (scheduler, single instance, graceful stop) and
`intake status` (health for staff and monitoring).

lock.py: the single-instance lock both `serve` and `poll` hold. scheduler.py: which jobs run
when. jobs.py: what they do. runner.py: the service's life and signals. state.py: the state file
`intake status` reads. status.py: the report. The click commands are intake/commands/service.py.
"""
