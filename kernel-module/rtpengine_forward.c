// SPDX-License-Identifier: GPL-2.0
/*
 * xt_RTPENGINE: the xtables target "RTPENGINE" (filter table, INPUT chain, IPv4 and IPv6)
 * and the packet path.
 *
 *   iptables  -I INPUT -p udp -j RTPENGINE --id 0
 *   ip6tables -I INPUT -p udp -j RTPENGINE --id 0
 *
 * A UDP packet whose destination address:port is a target's `local` address in table
 * `--id` is rewritten in place (new IP header from the target's output source to its
 * destination, new UDP ports, checksum left to the device via CHECKSUM_PARTIAL), routed
 * with a per-target route cache and sent with ip_local_out/ip6_local_out: it never reaches
 * a socket. Everything else - no table, no target, not RTP/RTCP as the target expects, a
 * source other than the expected one - continues through the chain (XT_CONTINUE) and so
 * reaches the daemon's socket, unless later rules say otherwise.
 *
 * The packet path never sleeps and normally does not allocate: lookups run under the RCU
 * read lock that netfilter already holds, counters are atomics, routes come from a per-CPU
 * cache and the received sk_buff is reused. Only a received sk_buff with too little
 * headroom or a cloned header makes skb_cow_head copy it (GFP_ATOMIC).
 */
#define pr_fmt(fmt) "xt_RTPENGINE: " fmt

#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/ktime.h>
#include <linux/netfilter.h>
#include <linux/netfilter/x_tables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ip6_route.h>
#include <net/ip6_checksum.h>
#include <net/route.h>
#include <net/checksum.h>
#include <net/dst.h>
#include <net/dsfield.h>
#include <asm/unaligned.h>

#include "compat.h"
#include "rtpengine_internal.h"

#define UDP_HEADER_LENGTH 8
#define RTP_HEADER_LENGTH 12   /* RFC 3550 section 5.1, without CSRCs */

/* What the payload check found; RTP fields are only valid for PAYLOAD_RTP. */
enum payload_kind {
	PAYLOAD_OTHER,
	PAYLOAD_RTP,
	PAYLOAD_RTCP,
	PAYLOAD_STUN_DTLS,   /* always the daemon's: ICE and DTLS handshakes */
};

struct payload_info {
	enum payload_kind kind;
	u8 payload_type;
	u16 sequence;
	u32 timestamp;
	u32 ssrc;
};

/* ---------------------------------------------------------------- cost probe */

#ifdef RTPENGINE_COST_PROBE
/* Measurement builds only (built with RTPENGINE_COST_PROBE=1, tests/kernel/run-bench.sh
 * PROBE=1): the guest time the target spends on each packet it forwards, whole and in SRTP.
 * Under qemu's `-icount shift=0` one nanosecond is one guest instruction, so these are
 * instruction counts. Plain variables: the bench guest has one CPU. Write 0 to reset. */
static unsigned long cost_packets, cost_ns, cost_srtp_ns, cost_clock_ns;
unsigned long cost_cipher_ns, cost_hmac_ns;   /* rtpengine_srtp.c adds to these */
module_param(cost_packets, ulong, 0644);
MODULE_PARM_DESC(cost_packets, "cost probe: packets forwarded");
module_param(cost_ns, ulong, 0644);
MODULE_PARM_DESC(cost_ns, "cost probe: ns in the target for them (instructions under -icount shift=0)");
module_param(cost_srtp_ns, ulong, 0644);
MODULE_PARM_DESC(cost_srtp_ns, "cost probe: of which in rtpengine_srtp_process");
module_param(cost_cipher_ns, ulong, 0644);
MODULE_PARM_DESC(cost_cipher_ns, "cost probe: of which in AES (counter mode or GCM)");
module_param(cost_hmac_ns, ulong, 0644);
MODULE_PARM_DESC(cost_hmac_ns, "cost probe: of which in HMAC-SHA1");
module_param(cost_clock_ns, ulong, 0444);
MODULE_PARM_DESC(cost_clock_ns, "cost probe: one clock read, included once in each figure");

u64 cost_clock(void)
{
	return ktime_get_mono_fast_ns();
}

static void cost_calibrate(void)
{
	u64 start = cost_clock();

	cost_clock_ns = cost_clock() - start;
}
#else
static inline u64 cost_clock(void)
{
	return 0;
}

static inline void cost_calibrate(void)
{
}
#endif

/* ---------------------------------------------------------------- classification */

static bool address_matches_source(const struct rtpengine_address *expected,
				   const struct rtpengine_address *source)
{
	if (expected->family == RTPENGINE_FAMILY_NONE)
		return true;
	if (expected->port && expected->port != source->port)
		return false;
	return memcmp(expected->address, source->address, sizeof(expected->address)) == 0;
}

/* RFC 3550 section 5.1 (RTP header) and RFC 5761 section 4 (telling RTP from RTCP on one
 * port: second byte 192..223 is RTCP). */
static void classify_payload(const u8 *payload, unsigned int length, struct payload_info *info)
{
	u8 second;

	info->kind = PAYLOAD_OTHER;
	/* RFC 7983 section 7: first byte 0..3 is STUN, 20..63 DTLS */
	if (length >= 1 && (payload[0] <= 3 || (payload[0] >= 20 && payload[0] <= 63))) {
		info->kind = PAYLOAD_STUN_DTLS;
		return;
	}
	if (length < 4 || (payload[0] >> 6) != 2)
		return;
	second = payload[1];
	if (second >= 192 && second <= 223) {
		info->kind = PAYLOAD_RTCP;
		return;
	}
	if (length < RTP_HEADER_LENGTH)
		return;
	info->kind = PAYLOAD_RTP;
	info->payload_type = second & 0x7f;
	info->sequence = get_unaligned_be16(payload + 2);
	info->timestamp = get_unaligned_be32(payload + 4);
	info->ssrc = get_unaligned_be32(payload + 8);
}

static bool payload_allowed(u32 flags, enum payload_kind kind)
{
	if (kind == PAYLOAD_STUN_DTLS)
		return false;
	if (!(flags & (RTPENGINE_TARGET_RTP | RTPENGINE_TARGET_RTCP)))
		return true;
	if (kind == PAYLOAD_RTP)
		return flags & RTPENGINE_TARGET_RTP;
	if (kind == PAYLOAD_RTCP)
		return flags & RTPENGINE_TARGET_RTCP;
	return false;
}

/* Counts a packet per SSRC / payload type in a fixed set of slots; values beyond the slots
 * are only counted in the totals. */
static void count_rtp(struct rtpengine_stats *stats, const struct payload_info *info)
{
	s64 ssrc_key = (1LL << 32) | info->ssrc;
	int payload_type_key = 0x100 | info->payload_type;
	unsigned int i;

	for (i = 0; i < RTPENGINE_SSRC_SLOTS; i++) {
		s64 key = atomic64_read(&stats->ssrc_keys[i]);

		if (!key)
			key = atomic64_cmpxchg(&stats->ssrc_keys[i], 0, ssrc_key) ?: ssrc_key;
		if (key == ssrc_key) {
			atomic64_inc(&stats->ssrc_packets[i]);
			break;
		}
	}
	for (i = 0; i < RTPENGINE_PAYLOAD_TYPE_SLOTS; i++) {
		int key = atomic_read(&stats->payload_type_keys[i]);

		if (!key)
			key = atomic_cmpxchg(&stats->payload_type_keys[i], 0, payload_type_key) ?: payload_type_key;
		if (key == payload_type_key) {
			atomic64_inc(&stats->payload_type_packets[i]);
			break;
		}
	}
}

/* The stack has not checked the UDP checksum yet (udp_rcv does, later). We must, since we
 * replace it with a fresh one: a corrupt packet goes up and is dropped and counted there. */
static bool udp_checksum_ok(struct sk_buff *skb, unsigned int udp_offset, unsigned int udp_length,
			    const struct udphdr *udp, bool ipv6)
{
	__wsum sum;

	if (skb->ip_summed == CHECKSUM_UNNECESSARY || skb->ip_summed == CHECKSUM_PARTIAL)
		return true;
	if (!udp->check)
		return !ipv6;  /* RFC 768: optional for IPv4; RFC 8200 section 8.1: required */
	sum = skb_checksum(skb, udp_offset, udp_length, 0);
	if (ipv6)
		return csum_ipv6_magic(&ipv6_hdr(skb)->saddr, &ipv6_hdr(skb)->daddr, udp_length,
				       IPPROTO_UDP, sum) == 0;
	return csum_tcpudp_magic(ip_hdr(skb)->saddr, ip_hdr(skb)->daddr, udp_length,
				 IPPROTO_UDP, sum) == 0;
}

/* ---------------------------------------------------------------- SRTP */

/* Call recording: the packet between SRTP decryption and encryption. */
struct record_context {
	struct rtpengine_record_stream *stream;
	const struct rtpengine_address *source, *local;
};

static void record_plaintext(void *data, const u8 *packet, unsigned int length)
{
	struct record_context *context = data;

	rtpengine_recording_capture(context->stream, context->source, context->local, packet, length);
}

/* Makes the datagram linear and writable with room for the SRTP tag, then decrypts and/or
 * encrypts its RTP payload in place (rtpengine_srtp.c). On success *udp_length is the new
 * UDP length (header updated); -EAGAIN means the packet is untouched and goes up. */
static int transform_srtp(struct sk_buff *skb, struct rtpengine_entry *entry, unsigned int udp_offset,
			  unsigned int *udp_length, struct record_context *record)
{
	unsigned int end = udp_offset + *udp_length, tailroom = rtpengine_srtp_tailroom(entry->srtp);
	unsigned int new_length;
	u64 start __maybe_unused;
	int result;

	if (skb->len > end && pskb_trim_rcsum(skb, end))
		return -EAGAIN;
	if (skb_ensure_writable(skb, end))
		return -ENOMEM;
	if (skb_tailroom(skb) < tailroom &&
	    pskb_expand_head(skb, 0, tailroom - skb_tailroom(skb), GFP_ATOMIC))
		return -ENOMEM;
	start = cost_clock();
	result = rtpengine_srtp_process(entry->srtp, skb->data + udp_offset + UDP_HEADER_LENGTH,
					*udp_length - UDP_HEADER_LENGTH, record->stream ? record_plaintext : NULL, record);
#ifdef RTPENGINE_COST_PROBE
	cost_srtp_ns += cost_clock() - start;
#endif
	if (result < 0)
		return result;
	new_length = result + UDP_HEADER_LENGTH;
	if (new_length > *udp_length)
		skb_put(skb, new_length - *udp_length);
	((struct udphdr *)(skb->data + udp_offset))->len = htons(new_length);
	*udp_length = new_length;
	return 0;
}

/* ---------------------------------------------------------------- sending */

/* Strips the received IP header and leaves skb->data at the UDP header, with the sk_buff
 * scrubbed of its receive state so the output path treats it as a new local packet. */
static int prepare_for_output(struct sk_buff *skb, unsigned int udp_offset, unsigned int udp_length)
{
	skb_orphan(skb);             /* UDP early demux may have attached a socket */
	skb_scrub_packet(skb, true); /* drops the input route and conntrack, clears the mark */
	if (!pskb_pull(skb, udp_offset))
		return -EINVAL;
	if (pskb_trim(skb, udp_length))
		return -ENOMEM;
	skb_reset_transport_header(skb);
	return 0;
}

static void set_udp_header(struct sk_buff *skb, const struct rtpengine_target *target)
{
	struct udphdr *udp = udp_hdr(skb);

	udp->source = target->output_source.port;
	udp->dest = target->destination.port;
	udp->check = 0;
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct udphdr, check);
}

/* send_ipv4/send_ipv6 return a negative errno while the sk_buff is still ours (the caller
 * drops it), or 0 once it is handed to the output path, which then owns it; the output
 * path's own verdict goes to *transmit_error. */
static int send_ipv4(struct net *net, struct sk_buff *skb, struct rtpengine_entry *entry,
		     unsigned int udp_length, u8 received_tos, int *transmit_error)
{
	const struct rtpengine_target *target = &entry->target;
	u8 tos = target->tos >= 0 ? target->tos : received_tos;
	__be32 source, destination;
	struct rtable *route;
	struct iphdr *ip;
	int result;

	memcpy(&source, target->output_source.address, 4);
	memcpy(&destination, target->destination.address, 4);
	route = dst_cache_get_ip4(&entry->route_cache, &source);
	if (!route) {
		struct flowi4 flow = {
			.daddr = destination,
			.saddr = source,
			.flowi4_proto = IPPROTO_UDP,
		};

		rtpengine_flowi4_set_tos(&flow, tos);
		route = ip_route_output_key(net, &flow);
		if (IS_ERR(route))
			return PTR_ERR(route);
		dst_cache_set_ip4(&entry->route_cache, &route->dst, flow.saddr);
		source = flow.saddr;
	}
	if (skb_cow_head(skb, LL_RESERVED_SPACE(route->dst.dev) + sizeof(*ip))) {
		ip_rt_put(route);
		return -ENOMEM;
	}
	set_udp_header(skb, target);
	udp_hdr(skb)->check = ~csum_tcpudp_magic(source, destination, udp_length, IPPROTO_UDP, 0);

	skb_push(skb, sizeof(*ip));
	skb_reset_network_header(skb);
	ip = ip_hdr(skb);
	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->tos = tos;
	ip->tot_len = htons(skb->len);
	/* Like a UDP socket's default path MTU discovery: DF when the packet fits, so the ID
	 * may be 0 (RFC 6864 section 4.1, atomic datagrams); larger ones may be fragmented. */
	ip->frag_off = skb->len <= dst_mtu(&route->dst) ? htons(IP_DF) : 0;
	ip->ttl = ip4_dst_hoplimit(&route->dst);
	ip->protocol = IPPROTO_UDP;
	ip->saddr = source;
	ip->daddr = destination;
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	skb->protocol = htons(ETH_P_IP);
	skb_dst_set(skb, &route->dst);
	ip_select_ident(net, skb, NULL);
	/* ip_local_out computes the IP header checksum and runs the OUTPUT hooks. */
	result = ip_local_out(net, NULL, skb);
	*transmit_error = net_xmit_eval(result);  /* a macro: evaluates its argument twice */
	return 0;
}

static int send_ipv6(struct net *net, struct sk_buff *skb, struct rtpengine_entry *entry,
		     unsigned int udp_length, u8 received_traffic_class, int *transmit_error)
{
	const struct rtpengine_target *target = &entry->target;
	u8 traffic_class = target->tos >= 0 ? target->tos : received_traffic_class;
	struct in6_addr source, destination;
	struct dst_entry *route;
	struct ipv6hdr *ip;
	int result;

	memcpy(&source, target->output_source.address, sizeof(source));
	memcpy(&destination, target->destination.address, sizeof(destination));
	route = dst_cache_get_ip6(&entry->route_cache, &source);
	if (!route) {
		struct flowi6 flow = {
			.daddr = destination,
			.saddr = source,
			.flowi6_proto = IPPROTO_UDP,
		};
		int err;

		route = ip6_route_output(net, NULL, &flow);
		if (route->error) {
			err = route->error;
			dst_release(route);
			return err;
		}
		dst_cache_set_ip6(&entry->route_cache, route, &flow.saddr);
		source = flow.saddr;
	}
	if (skb_cow_head(skb, LL_RESERVED_SPACE(route->dev) + sizeof(*ip))) {
		dst_release(route);
		return -ENOMEM;
	}
	set_udp_header(skb, target);
	udp_hdr(skb)->check = ~csum_ipv6_magic(&source, &destination, udp_length, IPPROTO_UDP, 0);

	skb_push(skb, sizeof(*ip));
	skb_reset_network_header(skb);
	ip = ipv6_hdr(skb);
	ip6_flow_hdr(ip, traffic_class, 0);
	ip->payload_len = htons(udp_length);
	ip->nexthdr = IPPROTO_UDP;
	ip->hop_limit = ip6_dst_hoplimit(route);
	ip->saddr = source;
	ip->daddr = destination;
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	skb->protocol = htons(ETH_P_IPV6);
	skb_dst_set(skb, route);
	result = ip6_local_out(net, NULL, skb);
	*transmit_error = net_xmit_eval(result);
	return 0;
}

/* ---------------------------------------------------------------- the target */

/* Common part after the address family specific parsing. `local` and `source` are the
 * packet's destination and source; the UDP header is at udp_offset (already pulled). */
static unsigned int forward_packet(struct sk_buff *skb, const struct xt_action_param *par,
				   const struct rtpengine_address *local,
				   const struct rtpengine_address *source,
				   unsigned int udp_offset, unsigned int udp_length,
				   u8 received_tos, bool ipv6)
{
	const struct xt_rtpengine_info *info = par->targinfo;
	struct payload_info payload = { .kind = PAYLOAD_OTHER };
	unsigned int payload_length = udp_length - UDP_HEADER_LENGTH;
	struct rtpengine_entry *entry;
	struct rtpengine_stats *stats;
	u8 header[RTP_HEADER_LENGTH];
	struct record_context record;
	const u8 *peek;
	int err, transmit_error = 0;

	entry = rtpengine_lookup(info->table_id, local);
	if (!entry)
		return XT_CONTINUE;
	/* A GRO-merged train of datagrams (UDP GRO on a socket or device) is the daemon's
	 * business: it is not one RTP packet. */
	if (skb_is_gso(skb)) {
		atomic64_inc(&entry->stats->passed_up);
		return XT_CONTINUE;
	}
	stats = entry->stats;

	if (!address_matches_source(&entry->target.expected_source, source)) {
		if (entry->target.flags & RTPENGINE_TARGET_STRICT_SOURCE) {
			atomic64_inc(&stats->errors);
			return NF_DROP;
		}
		atomic64_inc(&stats->passed_up);
		return XT_CONTINUE;
	}
	peek = skb_header_pointer(skb, udp_offset + UDP_HEADER_LENGTH,
				  min_t(unsigned int, payload_length, sizeof(header)), header);
	if (peek)
		classify_payload(peek, min_t(unsigned int, payload_length, sizeof(header)), &payload);
	if (!payload_allowed(entry->target.flags, payload.kind) ||
	    !udp_checksum_ok(skb, udp_offset, udp_length, (struct udphdr *)(skb->data + udp_offset), ipv6)) {
		atomic64_inc(&stats->passed_up);
		return XT_CONTINUE;
	}

	if (entry->srtp) {
		/* SRTCP (and RTCP on an rtcp-mux port) is the daemon's */
		if (payload.kind != PAYLOAD_RTP) {
			atomic64_inc(&stats->passed_up);
			return XT_CONTINUE;
		}
		record = (struct record_context){ entry->record_stream, source, local };
		err = transform_srtp(skb, entry, udp_offset, &udp_length, &record);
		if (err == -EAGAIN) {
			atomic64_inc(&stats->passed_up);
			return XT_CONTINUE;
		}
		if (err) {
			if (err == -EACCES)
				atomic64_inc(&stats->srtp_auth_failures);
			else if (err == -EALREADY)
				atomic64_inc(&stats->srtp_replays);
			else
				atomic64_inc(&stats->errors);
			return NF_DROP;
		}
	} else if (entry->record_stream) {
		/* call recording: a copy of the plaintext payload, queued, never waited for */
		rtpengine_recording_capture_skb(entry->record_stream, source, local, skb,
						udp_offset + UDP_HEADER_LENGTH, payload_length);
	}
	err = prepare_for_output(skb, udp_offset, udp_length);
	if (err) {
		atomic64_inc(&stats->errors);
		return NF_DROP;
	}
	if (entry->target.destination.family == RTPENGINE_FAMILY_IPV4)
		err = send_ipv4(xt_net(par), skb, entry, udp_length, received_tos, &transmit_error);
	else
		err = send_ipv6(xt_net(par), skb, entry, udp_length, received_tos, &transmit_error);
	if (err) {
		atomic64_inc(&stats->errors);
		net_dbg_ratelimited("table %u: forwarding failed: %d\n", info->table_id, err);
		return NF_DROP;
	}
	if (transmit_error) {
		atomic64_inc(&stats->errors);
		return NF_STOLEN;
	}
	atomic64_inc(&stats->packets);
	atomic64_add(payload_length, &stats->bytes);
	/* Tick resolution is plenty for timeouts and far cheaper than reading the clock. */
	atomic64_set(&stats->last_packet_unix_ns, ktime_get_coarse_real_ns());
	if (payload.kind == PAYLOAD_RTP) {
		count_rtp(stats, &payload);
		rtpengine_rtp_stats_packet(&stats->rtp, &entry->target, payload.ssrc, payload.payload_type,
					   payload.sequence, payload.timestamp, payload_length);
	}
	return NF_STOLEN;
}

static unsigned int rtpengine_target_ipv4(struct sk_buff *skb, const struct xt_action_param *par)
{
	struct rtpengine_address local = { .family = RTPENGINE_FAMILY_IPV4 };
	struct rtpengine_address source = { .family = RTPENGINE_FAMILY_IPV4 };
	const struct udphdr *udp;
	const struct iphdr *ip;
	unsigned int udp_offset, udp_length;

	ip = ip_hdr(skb);
	if (ip->protocol != IPPROTO_UDP || ip_is_fragment(ip))
		return XT_CONTINUE;
	udp_offset = skb_network_offset(skb) + ip_hdrlen(skb);
	if (!pskb_may_pull(skb, udp_offset + UDP_HEADER_LENGTH))
		return XT_CONTINUE;
	ip = ip_hdr(skb);
	udp = (const struct udphdr *)(skb->data + udp_offset);
	udp_length = ntohs(udp->len);
	if (udp_length < UDP_HEADER_LENGTH || udp_length > skb->len - udp_offset)
		return XT_CONTINUE;

	memcpy(local.address, &ip->daddr, 4);
	local.port = udp->dest;
	memcpy(source.address, &ip->saddr, 4);
	source.port = udp->source;
	return forward_packet(skb, par, &local, &source, udp_offset, udp_length, ip->tos, false);
}

static unsigned int rtpengine_target_ipv6(struct sk_buff *skb, const struct xt_action_param *par)
{
	struct rtpengine_address local = { .family = RTPENGINE_FAMILY_IPV6 };
	struct rtpengine_address source = { .family = RTPENGINE_FAMILY_IPV6 };
	const struct ipv6hdr *ip;
	const struct udphdr *udp;
	unsigned int udp_offset = par->thoff, udp_length;

	/* ip6_tables found the UDP header (behind any extension headers) for "-p udp";
	 * fragments other than the first have no UDP header, and a first fragment is caught
	 * by the length check below. */
	if (par->fragoff || udp_offset < skb_network_offset(skb) + sizeof(*ip))
		return XT_CONTINUE;
	if (!pskb_may_pull(skb, udp_offset + UDP_HEADER_LENGTH))
		return XT_CONTINUE;
	ip = ipv6_hdr(skb);
	udp = (const struct udphdr *)(skb->data + udp_offset);
	udp_length = ntohs(udp->len);
	if (udp_length < UDP_HEADER_LENGTH || udp_length > skb->len - udp_offset)
		return XT_CONTINUE;

	memcpy(local.address, &ip->daddr, 16);
	local.port = udp->dest;
	memcpy(source.address, &ip->saddr, 16);
	source.port = udp->source;
	return forward_packet(skb, par, &local, &source, udp_offset, udp_length,
			      ipv6_get_dsfield(ip), true);
}

#ifdef RTPENGINE_COST_PROBE
static unsigned int probed_target(unsigned int (*target)(struct sk_buff *, const struct xt_action_param *),
				  struct sk_buff *skb, const struct xt_action_param *par)
{
	u64 start = cost_clock();
	unsigned int verdict = target(skb, par);

	if (verdict == NF_STOLEN) {
		cost_packets++;
		cost_ns += cost_clock() - start;
	}
	return verdict;
}

static unsigned int probed_target_ipv4(struct sk_buff *skb, const struct xt_action_param *par)
{
	return probed_target(rtpengine_target_ipv4, skb, par);
}

static unsigned int probed_target_ipv6(struct sk_buff *skb, const struct xt_action_param *par)
{
	return probed_target(rtpengine_target_ipv6, skb, par);
}
#define TARGET_IPV4 probed_target_ipv4
#define TARGET_IPV6 probed_target_ipv6
#else
#define TARGET_IPV4 rtpengine_target_ipv4
#define TARGET_IPV6 rtpengine_target_ipv6
#endif

static int rtpengine_check(const struct xt_tgchk_param *par)
{
	const struct xt_rtpengine_info *info = par->targinfo;

	if (info->table_id >= RTPENGINE_MAX_TABLES) {
		pr_info_ratelimited("--id %u out of range 0..%u\n", info->table_id,
				    RTPENGINE_MAX_TABLES - 1);
		return -EINVAL;
	}
	return 0;
}

static struct xt_target rtpengine_targets[] __read_mostly = {
	{
		.name = "RTPENGINE",
		.revision = 0,
		.family = NFPROTO_IPV4,
		.table = "filter",
		.hooks = 1 << NF_INET_LOCAL_IN,
		.proto = IPPROTO_UDP,
		.target = TARGET_IPV4,
		.checkentry = rtpengine_check,
		.targetsize = sizeof(struct xt_rtpengine_info),
		.me = THIS_MODULE,
	},
	{
		.name = "RTPENGINE",
		.revision = 0,
		.family = NFPROTO_IPV6,
		.table = "filter",
		.hooks = 1 << NF_INET_LOCAL_IN,
		.proto = IPPROTO_UDP,
		.target = TARGET_IPV6,
		.checkentry = rtpengine_check,
		.targetsize = sizeof(struct xt_rtpengine_info),
		.me = THIS_MODULE,
	},
};

static int __init rtpengine_init(void)
{
	int err;

	cost_calibrate();
	err = rtpengine_tables_init();
	if (err)
		return err;
	err = xt_register_targets(rtpengine_targets, ARRAY_SIZE(rtpengine_targets));
	if (err) {
		rtpengine_tables_exit();
		return err;
	}
	pr_info("loaded, ABI version %u\n", RTPENGINE_ABI_VERSION);
	return 0;
}

static void __exit rtpengine_exit(void)
{
	/* No rule can use the target any more (each holds a module reference), so no packet
	 * is inside our code; then the tables and their /proc files go. */
	xt_unregister_targets(rtpengine_targets, ARRAY_SIZE(rtpengine_targets));
	rtpengine_tables_exit();
	pr_info("unloaded\n");
}

module_init(rtpengine_init);
module_exit(rtpengine_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rtpengine in-kernel RTP/RTCP forwarding (xtables target RTPENGINE)");
MODULE_ALIAS("ipt_RTPENGINE");
MODULE_ALIAS("ip6t_RTPENGINE");
