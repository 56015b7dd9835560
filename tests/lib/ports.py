"""Free UDP ports on loopback for the programs the tests start.

A port found free can be taken by someone else before the program binds it: callers
retry a start that fails at once with fresh ports (see process.py).
"""

import random
import socket


def _family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def udp_port_bindable(host, port):
    """True when a UDP socket can be bound to host:port right now."""
    with socket.socket(_family(host), socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_udp_port(host="127.0.0.1"):
    """A UDP port the kernel just handed out on `host` (from its ephemeral range)."""
    with socket.socket(_family(host), socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def ports_free(hosts, first, last):
    """True when every UDP port first..last can be bound on every host. One socket at a
    time: a closed UDP socket frees its port at once, and a range of thousands of ports
    must not need thousands of descriptors."""
    return all(udp_port_bindable(host, port) for host in hosts for port in range(first, last + 1))


def ephemeral_port_low():
    """The first port of the kernel's ephemeral range (ports bound to 0 come from it)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            return int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port_range(hosts, count, attempts=200):
    """An even-aligned range (first, last) of `count` ports free on all `hosts` (random,
    bounded tries). It lies below the kernel's ephemeral range when there is room, so
    sockets the tests bind to port 0 cannot take the relay's ports between this check and
    their use. RuntimeError when no such range is found."""
    low, high = 10000, ephemeral_port_low()
    if high - low < 10 * count:
        low, high = 10000, 65000
    for _ in range(attempts):
        first = random.randrange(low, high - count) & ~1
        if ports_free(hosts, first, first + count - 1):
            return first, first + count - 1
    raise RuntimeError("no free range of %d UDP ports found" % count)


def free_tcp_port(host="127.0.0.1"):
    """A TCP port the kernel just handed out on `host` (for HTTP and Graphite listeners)."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
