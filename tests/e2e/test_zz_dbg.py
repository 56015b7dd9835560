from test_rtcp_stats import clock_rate_call, REFERENCE_BINARY
def test_dbg(rtpengine_factory):
    d = rtpengine_factory("--mos=LQ", "--log-level=7", "--endpoint-learning=immediate", binary=REFERENCE_BINARY)
    try:
        e = clock_rate_call(d, 0, None, 80)
        print("ENTRY", e)
    except AssertionError as x:
        print("FAIL", x)
    import glob
    for f in glob.glob(str(d.log_path) if hasattr(d, "log_path") else "/nonexistent"):
        print(open(f).read()[-20000:])
    print([a for a in dir(d) if not a.startswith("__")])
