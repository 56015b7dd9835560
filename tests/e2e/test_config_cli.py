"""The config file as the CLI issue needs it: every upstream option is known, unknown keys are
warned about, listen-cli and the other control listeners come from the file, SIGHUP re-reads
the log settings; --codecs and --version."""

import os
import re
import signal
import subprocess

import pytest

from conftest import REFERENCE_BINARY, RTPENGINE_BINARY, run_briefly
from process import wait_until
from test_cli import ctl, free_tcp_port


def long_options(binary):
    output = subprocess.run([binary, "--help"], capture_output=True, timeout=10)
    return set(re.findall(r"--([a-z0-9-]+)", (output.stdout + output.stderr).decode()))


@pytest.mark.upstream_differs("compares our option table with 10.5's --help")
def test_every_upstream_option_is_known(tmp_path):
    if not os.access(REFERENCE_BINARY, os.X_OK):
        pytest.skip("no reference binary")
    missing = []
    options = sorted(long_options(REFERENCE_BINARY) - {"help", "version", "help-all", "codecs"})
    assert len(options) > 100
    for option in options + ["no-such-key-xyz"]:
        # each key alone in a config file (the daemon then stops: no interface): known
        # (accepted, ignored or refused by name), never "unknown key"
        config = tmp_path / "one.conf"
        config.write_text("[rtpengine]\n%s = 1\n" % option)
        returncode, output = run_briefly(["--config-file=%s" % config, "--log-stderr", "--foreground"])
        assert returncode not in (None, 0)
        if "unknown key" in output:
            missing.append(option)
    assert missing == ["no-such-key-xyz"]


@pytest.mark.upstream_differs("our warning text for unknown keys and SIGHUP log line")
def test_config_file_listeners_unknown_keys_and_sighup(rtpengine_factory, tmp_path):
    config = tmp_path / "rtpengine.conf"
    cli_port = free_tcp_port()

    def write(ng_port, port_min, port_max, level):
        config.write_text(
            "[rtpengine]\ntable = -1\ninterface = 127.0.0.1\nlisten-ng = 127.0.0.1:%d\n"
            "listen-cli = %d\nport-min = %d\nport-max = %d\nforeground = true\n"
            "log-stderr = true\nlog-level = %d\nno-such-key-xyz = 5\n"
            % (ng_port, cli_port, port_min, port_max, level))

    def argv(ng_port, port_min, port_max):
        write(ng_port, port_min, port_max, 6)
        return ["--config-file=%s" % config]

    daemon = rtpengine_factory(argv_builder=argv)
    assert re.search(r"unknown key 'no-such-key-xyz'", daemon.log_text())
    assert ctl(cli_port, "list", "loglevel", "core")[0] == "6\n"
    write(daemon.ng_port, daemon.port_min, daemon.port_max, 5)
    daemon.send_signal(signal.SIGHUP)
    assert wait_until(lambda: ctl(cli_port, "list", "loglevel", "core")[0] == "5\n", 5)
    assert daemon.ng({"command": "ping"})["result"] == "pong"


def test_codecs_lists_what_this_build_transcodes():
    returncode, output = run_briefly(["--config-file=none", "--codecs"])
    assert returncode == 0
    for codec in ("PCMU", "PCMA", "G722", "opus"):
        assert re.search(r"^ *%s: fully supported$" % codec, output, re.M), output


def test_version():
    returncode, output = run_briefly(["--config-file=none", "--version"])
    assert returncode == 0 and output.startswith("Version: "), output
