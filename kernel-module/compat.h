/* SPDX-License-Identifier: GPL-2.0 */
/* Every difference between kernel versions the module cares about, in one place.
 * Baseline: Linux 6.1 (Debian 12). When a newer kernel renames or changes something,
 * add a LINUX_VERSION_CODE branch here and nowhere else. */
#ifndef RTPENGINE_COMPAT_H
#define RTPENGINE_COMPAT_H

#include <linux/version.h>
#include <linux/proc_fs.h>
#include <net/flow.h>
#include <net/route.h>

/* pde_data() was PDE_DATA() before 5.17. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 17, 0)
#define pde_data(inode) PDE_DATA(inode)
#endif

/* The IPv4 flow key carries the TOS byte (routing looks at the RT_TOS bits only); newer
 * kernels moved to a DSCP field: adapt here. */
static inline void rtpengine_flowi4_set_tos(struct flowi4 *flow, u8 tos)
{
	flow->flowi4_tos = RT_TOS(tos);
}

#endif
