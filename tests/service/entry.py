"""`python -m tests.service.entry …` is `intake …` with the service commands attached.

Once intake/cli.py attaches `serve` and `status` itself this adds nothing, and the tests run the
real command group either way.
"""

from __future__ import annotations

from intake.cli import cli, main
from intake.service.commands import serve_command, status_command

for _name, _command in (("serve", serve_command), ("status", status_command)):
    if _name not in cli.commands:
        cli.add_command(_command, _name)

if __name__ == "__main__":
    main()
