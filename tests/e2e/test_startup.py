"""Starting the daemon: configuration file, bad options."""

from calls import Call, Sdp, assert_ok, simple_sdp
from conftest import run_briefly


def test_configuration_file(rtpengine_factory, tmp_path):
    """Operators replace upstream with their existing rtpengine.conf: the same keys in an
    [rtpengine] section must work without any command-line option."""
    config = tmp_path / "rtpengine.conf"

    def argv(ng_port, port_min, port_max):
        config.write_text(
            "[rtpengine]\n"
            "table = -1\n"
            "interface = 127.0.0.1\n"
            "listen-ng = 127.0.0.1:%d\n"
            "port-min = %d\n"
            "port-max = %d\n"
            "foreground = true\n"
            "log-stderr = true\n"
            "log-level = 7\n"
            "delete-delay = 0\n" % (ng_port, port_min, port_max))
        return ["--config-file=%s" % config]

    daemon = rtpengine_factory(argv_builder=argv)
    call = Call(daemon)
    sdp = Sdp(assert_ok(call.offer(simple_sdp("127.0.0.2", 30000)))["sdp"])
    assert sdp.connection == ("IP4", "127.0.0.1")
    assert daemon.port_min <= sdp.medias[0].port <= daemon.port_max
    assert_ok(call.delete())
    assert daemon.ng({"command": "list"})["calls"] == []


def test_unknown_option_is_refused():
    # (the reference exits 255 and says why only to syslog, so the text is not checked)
    returncode, output = run_briefly(["--config-file=none", "--log-stderr",
                                      "--no-such-option-xyz"])
    assert returncode not in (None, 0), output


def test_missing_interface_is_refused():
    returncode, output = run_briefly(["--config-file=none", "--table=-1", "--foreground",
                                      "--log-stderr", "--listen-ng=127.0.0.1:1"])
    assert returncode not in (None, 0), output
    assert "interface" in output.lower()
