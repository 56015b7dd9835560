/* iptables/ip6tables extension for the RTPENGINE target of xt_RTPENGINE.ko:
 *   iptables  -I INPUT -p udp -j RTPENGINE --id 0
 *   ip6tables -I INPUT -p udp -j RTPENGINE --id 0
 * Works with iptables-legacy and iptables-nft (nft_compat). The option parsing, the
 * "missing --id" and range errors are libxtables' own (x6 option table). */
#include <stdio.h>
#include <stdint.h>
#include <xtables.h>

#include "xt_RTPENGINE_abi.h"

enum {
	OPTION_ID = 0,
};

static const struct xt_option_entry rtpengine_options[] = {
	{
		.name = "id",
		.id = OPTION_ID,
		.type = XTTYPE_UINT32,
		.flags = XTOPT_MAND | XTOPT_PUT,
		.min = 0,
		.max = RTPENGINE_MAX_TABLES - 1,
		XTOPT_POINTER(struct xt_rtpengine_info, table_id),
	},
	XTOPT_TABLEEND,
};

static void rtpengine_help(void)
{
	printf("RTPENGINE target options:\n"
	       "  --id N    forwarding table N (0..%u) of /proc/rtpengine/N\n",
	       RTPENGINE_MAX_TABLES - 1);
}

static void rtpengine_print(const void *ip, const struct xt_entry_target *target, int numeric)
{
	const struct xt_rtpengine_info *info = (const void *)target->data;

	printf(" RTPENGINE id:%u", info->table_id);
}

static void rtpengine_save(const void *ip, const struct xt_entry_target *target)
{
	const struct xt_rtpengine_info *info = (const void *)target->data;

	printf(" --id %u", info->table_id);
}

static struct xtables_target rtpengine_target = {
	.name = "RTPENGINE",
	.revision = 0,
	.family = NFPROTO_UNSPEC,
	.version = XTABLES_VERSION,
	.size = XT_ALIGN(sizeof(struct xt_rtpengine_info)),
	.userspacesize = XT_ALIGN(sizeof(struct xt_rtpengine_info)),
	.help = rtpengine_help,
	.print = rtpengine_print,
	.save = rtpengine_save,
	.x6_parse = xtables_option_parse,
	.x6_options = rtpengine_options,
};

/* libxtables dlopen()s extensions; registration runs as a constructor. */
static void __attribute__((constructor)) rtpengine_register(void)
{
	xtables_register_target(&rtpengine_target);
}
