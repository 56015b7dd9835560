# Network namespaces for the guest scripts: sourced by tests/kernel/guest-*.sh as
# /share/netns.sh (run-tests.sh and run-bench.sh share a folder with a copy of it).
# POSIX sh plus `local` (the guest's /bin/sh is dash).
#
# netns_peer NAME N [ipv6] [route]
#   A network namespace NAME joined to the root namespace by a veth pair: NAME1 stays in
#   the root namespace with 10.N.0.1/24, NAME0 goes into NAME with 10.N.0.2/24. Both ends
#   and the namespace's lo are up.
#   ipv6   also fd0N::1/64 (root side) and fd0N::2/64 (inside), without duplicate address
#          detection so that they are usable at once (RFC 4862 section 5.4)
#   route  a default route inside NAME via 10.N.0.1, so the namespace reaches every
#          address of the root namespace (a daemon listening on another veth's address)
netns_peer() {
	local name="$1" n="$2" ipv6=no route=no option
	shift 2
	for option in "$@"; do
		case $option in
		ipv6) ipv6=yes ;;
		route) route=yes ;;
		*) echo "netns_peer: unknown option '$option'" >&2; return 1 ;;
		esac
	done
	ip netns add "$name"
	ip link add "${name}1" type veth peer name "${name}0"
	ip link set "${name}0" netns "$name"
	ip addr add "10.$n.0.1/24" dev "${name}1"
	ip -n "$name" addr add "10.$n.0.2/24" dev "${name}0"
	if [ "$ipv6" = yes ]; then
		ip addr add "fd0$n::1/64" dev "${name}1" nodad
		ip -n "$name" addr add "fd0$n::2/64" dev "${name}0" nodad
	fi
	ip link set "${name}1" up
	ip -n "$name" link set "${name}0" up
	ip -n "$name" link set lo up
	# after the link is up: the gateway must be reachable on it
	if [ "$route" = yes ]; then
		ip -n "$name" route add default via "10.$n.0.1"
	fi
}
