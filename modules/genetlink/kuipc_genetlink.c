// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_genetlink - a generic netlink family: request/reply, a privileged
 * setter, a multi-message dump and a multicast group of change events.
 *
 * The ABI (family, command and attribute ids, limits) is in
 * <uapi/kuipc/genetlink.h>. Every command has its own strict policy, so the
 * genetlink core rejects malformed requests with an extended ACK before any
 * handler here runs.
 *
 * Concurrency: the family sets parallel_ops, so the core calls the handlers
 * without genl_mutex, from any number of senders at once. The only shared
 * state, the value and its generation, is protected by
 * kuipc_genetlink_lock; the notification of a change is sent under that
 * lock so that listeners see changes in generation order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include <uapi/kuipc/genetlink.h>

/* Index of KUIPC_GENETLINK_MCGRP_EVENTS in kuipc_genetlink_mcgrps[]. */
enum kuipc_genetlink_mcgrp {
	KUIPC_GENL_MCGRP_EVENTS,
};

static DEFINE_MUTEX(kuipc_genetlink_lock);
/* Protected by kuipc_genetlink_lock. */
static u32 kuipc_genetlink_value = KUIPC_GENETLINK_VALUE_INITIAL;
static u32 kuipc_genetlink_generation;

/* Dump cursor kept in netlink_callback::ctx, zeroed by the core at start. */
struct kuipc_genetlink_dump_ctx {
	u32 next;
};

static_assert(sizeof(struct kuipc_genetlink_dump_ctx) <=
	      sizeof_field(struct netlink_callback, ctx));

static_assert(sizeof(KUIPC_GENETLINK_FAMILY_NAME) <= GENL_NAMSIZ);
static_assert(sizeof(KUIPC_GENETLINK_MCGRP_EVENTS) <= GENL_NAMSIZ);

/*
 * One policy per command: an attribute a command does not list is rejected
 * ("Unsupported attribute" or "Unknown attribute type"). GET and DUMP have
 * no policy, so the core rejects any attribute sent with them.
 */
static const struct nla_policy kuipc_genetlink_echo_policy[] = {
	[KUIPC_GENETLINK_A_STRING] = { .type = NLA_NUL_STRING,
				       .len = KUIPC_GENETLINK_STRING_MAX },
};

static const struct nla_policy kuipc_genetlink_set_policy[] = {
	[KUIPC_GENETLINK_A_VALUE] = NLA_POLICY_RANGE(NLA_U32,
						     KUIPC_GENETLINK_VALUE_MIN,
						     KUIPC_GENETLINK_VALUE_MAX),
};

static struct genl_family kuipc_genetlink_family;

/*
 * The core keeps the last of several attributes of one type and validates
 * them all, so a request carrying an attribute twice would be served with
 * whichever came last. Refuse it instead, pointing at that last copy.
 */
static int kuipc_genetlink_reject_dups(struct genl_info *info)
{
	const struct nlattr *nla;
	int rem;

	/* Strict validation passed: every type is in 1..maxattr. */
	nlmsg_for_each_attr(nla, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla != info->attrs[nla_type(nla)]) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[nla_type(nla)],
					    "duplicate attribute");
			return -EINVAL;
		}
	}
	return 0;
}

/* Payload of a message with A_VALUE and A_GENERATION, both u32. */
static size_t kuipc_genetlink_value_size(void)
{
	return nla_total_size(sizeof(u32)) + nla_total_size(sizeof(u32));
}

/*
 * A message carrying the value and its generation: the reply to GET, or the
 * notification of a SET. Sized exactly, so putting the attributes cannot
 * fail; the check stays for whoever adds an attribute and forgets the size.
 */
static struct sk_buff *kuipc_genetlink_value_msg(u32 portid, u32 seq, u8 cmd,
						 u32 value, u32 generation)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(kuipc_genetlink_value_size(), GFP_KERNEL);
	if (!msg)
		return ERR_PTR(-ENOMEM);
	hdr = genlmsg_put(msg, portid, seq, &kuipc_genetlink_family, 0, cmd);
	if (!hdr || nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, value) ||
	    nla_put_u32(msg, KUIPC_GENETLINK_A_GENERATION, generation)) {
		nlmsg_free(msg);
		return ERR_PTR(-EMSGSIZE);
	}
	genlmsg_end(msg, hdr);
	return msg;
}

static int kuipc_genetlink_echo_doit(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct sk_buff *reply;
	const char *str;
	size_t len;
	void *hdr;

	if (GENL_REQ_ATTR_CHECK(info, KUIPC_GENETLINK_A_STRING)) {
		GENL_SET_ERR_MSG(info, "missing string attribute");
		return -EINVAL;
	}
	if (kuipc_genetlink_reject_dups(info))
		return -EINVAL;
	/* The policy guarantees a NUL within the first STRING_MAX + 1 bytes. */
	str = nla_data(info->attrs[KUIPC_GENETLINK_A_STRING]);
	len = strnlen(str, KUIPC_GENETLINK_STRING_MAX);

	reply = genlmsg_new(nla_total_size(len + 1), GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &kuipc_genetlink_family, 0,
				KUIPC_GENETLINK_CMD_ECHO);
	if (!hdr || nla_put_string(reply, KUIPC_GENETLINK_A_STRING, str)) {
		nlmsg_free(reply);
		return -EMSGSIZE;
	}
	genlmsg_end(reply, hdr);

	pr_debug("echo: %zu bytes for port %u\n", len, info->snd_portid);
	return genlmsg_reply(reply, info);
}

static int kuipc_genetlink_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *reply;
	u32 value, generation;

	mutex_lock(&kuipc_genetlink_lock);
	value = kuipc_genetlink_value;
	generation = kuipc_genetlink_generation;
	mutex_unlock(&kuipc_genetlink_lock);

	reply = kuipc_genetlink_value_msg(info->snd_portid, info->snd_seq,
					  KUIPC_GENETLINK_CMD_GET, value,
					  generation);
	if (IS_ERR(reply))
		return PTR_ERR(reply);

	pr_debug("get: value %u generation %u for port %u\n", value,
		 generation, info->snd_portid);
	return genlmsg_reply(reply, info);
}

static int kuipc_genetlink_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *ntf;
	u32 value, generation;

	if (GENL_REQ_ATTR_CHECK(info, KUIPC_GENETLINK_A_VALUE)) {
		GENL_SET_ERR_MSG(info, "missing value attribute");
		return -EINVAL;
	}
	if (kuipc_genetlink_reject_dups(info))
		return -EINVAL;
	value = nla_get_u32(info->attrs[KUIPC_GENETLINK_A_VALUE]);

	mutex_lock(&kuipc_genetlink_lock);
	generation = kuipc_genetlink_generation + 1;
	/* Built before anything changes: a failure leaves no trace. */
	ntf = kuipc_genetlink_value_msg(info->snd_portid, info->snd_seq,
					KUIPC_GENETLINK_CMD_VALUE_NTF, value,
					generation);
	if (IS_ERR(ntf)) {
		mutex_unlock(&kuipc_genetlink_lock);
		return PTR_ERR(ntf);
	}
	kuipc_genetlink_value = value;
	kuipc_genetlink_generation = generation;
	/*
	 * Consumes ntf. Sent under the lock so that notifications leave in
	 * generation order; listeners whose receive queue is full miss it
	 * and see ENOBUFS on their socket.
	 */
	genl_notify(&kuipc_genetlink_family, ntf, info, KUIPC_GENL_MCGRP_EVENTS,
		    GFP_KERNEL);
	mutex_unlock(&kuipc_genetlink_lock);

	pr_debug("set: value %u generation %u by port %u\n", value, generation,
		 info->snd_portid);
	return 0;
}

static int kuipc_genetlink_fill_entry(struct sk_buff *skb,
				      struct netlink_callback *cb, u32 index)
{
	char name[KUIPC_GENETLINK_ENTRY_NAME_SIZE];
	void *hdr;

	snprintf(name, sizeof(name), KUIPC_GENETLINK_ENTRY_NAME_FMT, index);
	/* The skb is full when any of these fails: the caller stops there. */
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &kuipc_genetlink_family, NLM_F_MULTI,
			  KUIPC_GENETLINK_CMD_DUMP);
	if (!hdr || nla_put_u32(skb, KUIPC_GENETLINK_A_INDEX, index) ||
	    nla_put_string(skb, KUIPC_GENETLINK_A_NAME, name)) {
		genlmsg_cancel(skb, hdr); /* nothing to cancel if !hdr */
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Called again and again, each time with a fresh skb, until it returns 0;
 * ctx->next is where the previous call stopped. Returning the length of a
 * non-empty skb means "more to come" on every supported kernel.
 */
static int kuipc_genetlink_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct kuipc_genetlink_dump_ctx *ctx = (void *)cb->ctx;
	u32 first = ctx->next;

	while (ctx->next < KUIPC_GENETLINK_DUMP_ENTRIES) {
		if (kuipc_genetlink_fill_entry(skb, cb, ctx->next))
			break;
		ctx->next++;
	}

	/* Not even one entry fit into an empty skb: fail, do not loop. */
	if (ctx->next < KUIPC_GENETLINK_DUMP_ENTRIES && !skb->len)
		return -EMSGSIZE;

	if (ctx->next > first)
		pr_debug("dump: entries %u..%u for port %u\n", first,
			 ctx->next - 1, NETLINK_CB(cb->skb).portid);
	return skb->len;
}

static const struct genl_ops kuipc_genetlink_ops[] = {
	{
		.cmd = KUIPC_GENETLINK_CMD_ECHO,
		.doit = kuipc_genetlink_echo_doit,
		.policy = kuipc_genetlink_echo_policy,
		.maxattr = ARRAY_SIZE(kuipc_genetlink_echo_policy) - 1,
	},
	{
		.cmd = KUIPC_GENETLINK_CMD_GET,
		.doit = kuipc_genetlink_get_doit,
	},
	{
		.cmd = KUIPC_GENETLINK_CMD_SET,
		.flags = GENL_ADMIN_PERM,
		.doit = kuipc_genetlink_set_doit,
		.policy = kuipc_genetlink_set_policy,
		.maxattr = ARRAY_SIZE(kuipc_genetlink_set_policy) - 1,
	},
	{
		.cmd = KUIPC_GENETLINK_CMD_DUMP,
		.dumpit = kuipc_genetlink_dumpit,
	},
};

static const struct genl_multicast_group kuipc_genetlink_mcgrps[] = {
	[KUIPC_GENL_MCGRP_EVENTS] = { .name = KUIPC_GENETLINK_MCGRP_EVENTS },
};

/*
 * resv_start_op is left at 0: every command gets strict validation of the
 * header's reserved byte and of its attributes. netnsok is left false: the
 * state is global, so the family lives in the initial namespace only.
 */
static struct genl_family kuipc_genetlink_family __ro_after_init = {
	.name = KUIPC_GENETLINK_FAMILY_NAME,
	.version = KUIPC_GENETLINK_VERSION,
	.module = THIS_MODULE,
	.parallel_ops = true,
	.ops = kuipc_genetlink_ops,
	.n_ops = ARRAY_SIZE(kuipc_genetlink_ops),
	.mcgrps = kuipc_genetlink_mcgrps,
	.n_mcgrps = ARRAY_SIZE(kuipc_genetlink_mcgrps),
};

static int __init kuipc_genetlink_init(void)
{
	int err;

	err = genl_register_family(&kuipc_genetlink_family);
	if (err) {
		pr_err("cannot register family %s: %d\n",
		       KUIPC_GENETLINK_FAMILY_NAME, err);
		return err;
	}

	pr_info("loaded: family %s, multicast group %s\n",
		KUIPC_GENETLINK_FAMILY_NAME, KUIPC_GENETLINK_MCGRP_EVENTS);
	return 0;
}

static void __exit kuipc_genetlink_exit(void)
{
	/* Waits for running handlers and for dumps of closing sockets. */
	genl_unregister_family(&kuipc_genetlink_family);
	pr_info("unloaded\n");
}

module_init(kuipc_genetlink_init);
module_exit(kuipc_genetlink_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kuipc: generic netlink echo, get/set, dump and events");
MODULE_AUTHOR("kuipc");
MODULE_ALIAS_GENL_FAMILY(KUIPC_GENETLINK_FAMILY_NAME);
