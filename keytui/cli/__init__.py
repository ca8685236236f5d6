"""Commands: the parser and one module per command; each parses, calls the domain, prints.

Ctrl-C is handled from this package's first line: the imports before main() runs take a few tenths of a second,
and an interrupt there is one line and 130, as it is once main() runs (which takes over from this handler).
"""

import os
import signal


def interrupted_while_starting(signum, frame) -> None:  # a signal handler's signature
    os.write(2, b"keytui: interrupted\n")
    os._exit(130)


if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when a host program chose its own
    signal.signal(signal.SIGINT, interrupted_while_starting)
