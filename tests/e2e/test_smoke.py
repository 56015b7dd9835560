def test_ping_pong(rtpengine):
    assert rtpengine.ng({"command": "ping"}) == {"result": "pong"}
