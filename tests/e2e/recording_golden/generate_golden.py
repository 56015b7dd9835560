#!/usr/bin/python3
"""Writes the golden pcap metadata file of tests/e2e/test_recording_spool.py from Debian's
rtpengine 10.5 (/usr/bin/rtpengine): runs recording_files.golden_scenario() against it with
--recording-method=pcap and stores the normalised metadata file next to this script.
Run it again only when the scenario changes:  /usr/bin/python3 tests/e2e/recording_golden/generate_golden.py"""

import glob
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))

from ng import NgClient  # noqa: E402
from ports import free_port_range, free_udp_port  # noqa: E402
from process import ManagedProcess, wait_until  # noqa: E402
from recording_files import GOLDEN_CALLEE, GOLDEN_CALLER, golden_scenario, normalise_pcap_metadata  # noqa: E402
from rtp import MediaPeer  # noqa: E402

REFERENCE = "/usr/bin/rtpengine"


def main():
    with tempfile.TemporaryDirectory() as work:
        spool = os.path.join(work, "spool")
        ng_port = free_udp_port("127.0.0.1")
        port_min, port_max = free_port_range([GOLDEN_CALLEE], 40)
        daemon = ManagedProcess([REFERENCE, "--config-file=none", "--table=-1", "--foreground", "--log-stderr",
                                 "--log-level=7", "--listen-ng=127.0.0.1:%d" % ng_port,
                                 "--port-min=%d" % port_min, "--port-max=%d" % port_max, "--delete-delay=0",
                                 "--interface=127.0.0.1", "--recording-method=pcap",
                                 "--recording-dir=%s" % spool], os.path.join(work, "rtpengine.log"))
        client = NgClient(ng_port)
        try:
            assert wait_until(lambda: client.ping(), 10), daemon.log_text()
            caller, callee = MediaPeer(GOLDEN_CALLER), MediaPeer(GOLDEN_CALLEE)
            # 10.5 writes each packet as it relays it: nothing to wait for but the relay
            golden_scenario(client.request, caller, callee, lambda: time.sleep(0.2))
            files = wait_until(lambda: glob.glob(os.path.join(spool, "metadata", "*.txt")), 5)
            assert len(files) == 1, files
            text = normalise_pcap_metadata(open(files[0], newline="").read(), spool)
        finally:
            daemon.stop()
            client.close()
    with open(os.path.join(HERE, "pcap_metadata.txt"), "w", newline="") as out:
        out.write(text)
    print("wrote", os.path.join(HERE, "pcap_metadata.txt"))


if __name__ == "__main__":
    main()
