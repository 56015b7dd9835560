"""Upstream's t/auto-daemon-tests-reorder.pl (issue 15): the script starts the daemon with
--reorder-codecs (the answer to the offerer lists the codec the answerer took first), an option
of versions after 10.5: Debian's 10.5 does not start with it (exit status 255, measured
2026-12-04), so none of the script's requests can be replayed against 10.5 and their expected
output is not 10.5's. Both daemons refuse the option at startup. (Its requests largely repeat
those of t/auto-daemon-tests.pl, which test_upstream_script_*.py replay without the option.)

Left out, where ours still differs: nothing (the whole script is of a later version).
"""

from conftest import run_briefly


def test_reorder_codecs_option_refused_as_10_5():
    returncode, output = run_briefly(["--config-file=none", "--table=-1", "--foreground", "--log-stderr",
                                      "--interface=127.0.0.1", "--listen-ng=127.0.0.1:1", "--reorder-codecs"])
    assert returncode not in (None, 0), output
