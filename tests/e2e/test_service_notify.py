"""systemd's Type=notify protocol, as the packaged rtpengine-daemon unit uses it: READY=1
once the daemon answers ng, STOPPING=1 when it shuts down, to the AF_UNIX datagram socket
named by $NOTIFY_SOCKET."""

import socket

import pytest


@pytest.fixture
def notify_socket(tmp_path, monkeypatch):
    path = str(tmp_path / "notify")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(10)
    # the daemon inherits the test's environment
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    yield listener
    listener.close()


def receive_states(listener):
    """Lines of one notification datagram."""
    return listener.recv(4096).decode().split("\n")


def test_ready_and_stopping(rtpengine_factory, notify_socket):
    daemon = rtpengine_factory()
    assert "READY=1" in receive_states(notify_socket)
    assert daemon.ng({"command": "ping"})["result"] == "pong"
    daemon.stop()
    assert "STOPPING=1" in receive_states(notify_socket)


def test_without_notify_socket_starts(rtpengine_factory, monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    daemon = rtpengine_factory()
    assert daemon.ng({"command": "ping"})["result"] == "pong"
