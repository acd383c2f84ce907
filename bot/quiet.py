"""Run a Rasa command with its import-time warnings and TensorFlow chatter kept out of the user's sight.

`python -m bot.quiet <command ...>`: output passes through, except Python warning blocks from
third-party packages. The exit code is the command's own.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

WARNING = re.compile(r"(Warning:|warnings\.warn|declare_namespace|pkg_resources|Implementing implicit namespace packages)")


def main() -> int:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    proc = subprocess.Popen(sys.argv[1:], env=env, stdout=sys.stdout, stderr=subprocess.PIPE, text=True, errors="replace")
    skipping = False
    for line in proc.stderr:
        if WARNING.search(line):
            skipping = True  # a warning block: the message and its indented source lines
            continue
        if skipping and line.startswith((" ", "\t")):
            continue
        skipping = False
        sys.stderr.write(line)
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
