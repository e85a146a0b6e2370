// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_udp - a request/reply service on a kernel UDP socket.
 *
 * The module binds a kernel socket to 127.0.0.1:port and answers the
 * requests defined in <uapi/kuipc/udp.h> (ECHO and STATS).
 *
 * Loopback peers only, and no amplification. 127.0.0.1 is not reachable
 * from other hosts only while net.ipv4.conf.*.route_localnet is 0;
 * kube-proxy sets it to 1 (CVE-2020-8558), and then a packet from another
 * host, its source forged, could make the module send its reply to a
 * victim. So the socket is bound to the loopback device as well as to
 * 127.0.0.1 (packets that arrive on another device never reach it), every
 * datagram whose source is outside 127.0.0.0/8 is dropped without a reply
 * and counted (foreign), and no reply is longer than the request it
 * answers: a STATS request carries zero padding as long as the counters it
 * asks for, as QUIC pads its first packets, and kuipc_udp_reply() checks
 * the rule for every reply.
 *
 * Receiving: the socket's sk_data_ready callback runs in softirq context
 * each time a datagram is queued. It must neither sleep nor send, so it only
 * queues a work item. The work item drains the receive queue with
 * non-blocking kernel_recvmsg() calls, at most KUIPC_UDP_BUDGET datagrams a
 * run (then it requeues itself rather than hog a worker), and answers each
 * with a non-blocking kernel_sendmsg(). Neither call ever sleeps on the
 * socket, so stopping never has to wake a blocked receiver.
 *
 * Stopping: put back the socket's own sk_data_ready and clear sk_user_data
 * under sk_callback_lock, so no callback can queue the work again (one
 * already running on another CPU finds sk_user_data NULL; it runs in
 * softirq context, which the RCU grace period the module loader waits for
 * before freeing our code covers); then cancel_work_sync() waits for a
 * running instance, or cancels a queued one; then sock_release() frees the
 * socket together with whatever is still queued on it.
 *
 * Only the work item touches the receive buffer and the counters, and a
 * work item never runs on two CPUs at once, so they need no lock.
 *
 * The socket lives in the initial network namespace (init_net): processes
 * in other namespaces cannot reach it. A kernel socket holds no reference
 * on its namespace, which is fine for init_net, which never goes away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/in.h>
#include <linux/netdevice.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include <kuipc/compat.h>
#include <uapi/kuipc/udp.h>

/* Datagrams served by one run of the work item before it yields. */
#define KUIPC_UDP_BUDGET 64

/*
 * Receive buffer of the socket, before the kernel doubles it for overhead:
 * room for a burst of largest datagrams from several clients at once.
 */
#define KUIPC_UDP_RCVBUF (1024 * 1024)

/* The parameter named KUIPC_UDP_PORT_PARAM; read-only once loaded. */
static unsigned int port = KUIPC_UDP_DEFAULT_PORT;

static int kuipc_udp_port_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (kstrtouint(val, 10, &v) || v < KUIPC_UDP_PORT_MIN ||
	    v > KUIPC_UDP_PORT_MAX)
		return -EINVAL;
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops kuipc_udp_port_ops = {
	.set = kuipc_udp_port_set,
	.get = param_get_uint,
};
module_param_cb(port, &kuipc_udp_port_ops, &port, 0444);
MODULE_PARM_DESC(port, "UDP port served on 127.0.0.1 (1-65535)");

struct kuipc_udp_counters {
	u64 requests;
	u64 replies;
	u64 dropped;
	u64 rejected;
	u64 send_errors;
	u64 rx_bytes;
	u64 tx_bytes;
	u64 foreign;
};

struct kuipc_udp_server {
	struct socket *sock;
	void (*saved_data_ready)(struct sock *sk);
	struct work_struct work;
	u8 *buf;			/* KUIPC_UDP_DGRAM_MAX bytes */
	struct kuipc_udp_counters cnt;
};

static struct kuipc_udp_server kuipc_udp;

/* Softirq context: hand the datagram over to the work item. */
static void kuipc_udp_data_ready(struct sock *sk)
{
	struct kuipc_udp_server *srv;

	read_lock_bh(&sk->sk_callback_lock);
	srv = sk->sk_user_data;
	if (srv)
		schedule_work(&srv->work);
	read_unlock_bh(&sk->sk_callback_lock);
}

/*
 * Send one reply to peer, status 0 or a positive errno as on the wire, for
 * a request of req_len bytes. Never sleeps on the socket: a reply that
 * does not fit is counted and lost.
 */
static void kuipc_udp_reply(struct kuipc_udp_server *srv,
			    struct sockaddr_in *peer,
			    const struct kuipc_udp_hdr *req, u32 req_len,
			    int status, void *payload, u32 len)
{
	struct kuipc_udp_hdr hdr = {
		.magic = htonl(KUIPC_UDP_MAGIC),
		.version = KUIPC_UDP_VERSION,
		.op = req->op | KUIPC_UDP_OP_REPLY,
		.status = htons(status),
		.seq = req->seq,
		.len = htonl(len),
	};
	struct kvec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = payload, .iov_len = len },
	};
	struct msghdr msg = {
		.msg_name = peer,
		.msg_namelen = sizeof(*peer),
		.msg_flags = MSG_DONTWAIT,
	};
	int ret;

	/*
	 * Never more bytes out than in: with a forged source, a longer reply
	 * would make this service an amplifier. The protocol is built so
	 * that no reply is; this catches an op added without that care.
	 */
	if (WARN_ON_ONCE(sizeof(hdr) + len > req_len)) {
		srv->cnt.send_errors++;
		return;
	}
	ret = kernel_sendmsg(srv->sock, &msg, iov, len ? 2 : 1,
			     sizeof(hdr) + len);
	if (ret < 0) {
		srv->cnt.send_errors++;
		pr_debug("reply seq %u to %pISpc failed: %pe\n",
			 ntohl(req->seq), peer, ERR_PTR(ret));
		return;
	}
	srv->cnt.replies++;
	srv->cnt.tx_bytes += ret;
}

static void kuipc_udp_stats(struct kuipc_udp_server *srv,
			    struct sockaddr_in *peer,
			    const struct kuipc_udp_hdr *req, u32 req_len)
{
	const struct kuipc_udp_counters *c = &srv->cnt;
	struct kuipc_udp_stats st = {
		.requests = cpu_to_be64(c->requests),
		.replies = cpu_to_be64(c->replies),
		.dropped = cpu_to_be64(c->dropped),
		.rejected = cpu_to_be64(c->rejected),
		.send_errors = cpu_to_be64(c->send_errors),
		.rx_bytes = cpu_to_be64(c->rx_bytes),
		.tx_bytes = cpu_to_be64(c->tx_bytes),
		.foreign = cpu_to_be64(c->foreign),
	};

	pr_debug("stats seq %u from %pISpc\n", ntohl(req->seq), peer);
	kuipc_udp_reply(srv, peer, req, req_len, 0, &st, sizeof(st));
}

/*
 * Check a request with a valid magic and plen bytes of payload: 0 if it can
 * be served, else the negative errno its reply carries (as a positive one).
 */
static int kuipc_udp_check(const struct kuipc_udp_hdr *req,
			   const u8 *payload, u32 plen)
{
	if (req->version != KUIPC_UDP_VERSION)
		return -EPROTONOSUPPORT;
	if (req->status)
		return -EINVAL;
	if (ntohl(req->len) != plen)
		return -EBADMSG;
	switch (req->op) {
	case KUIPC_UDP_OP_ECHO:
		return 0;
	case KUIPC_UDP_OP_STATS:
		/* Padded to the reply's size, with zeros (see the top). */
		if (plen != KUIPC_UDP_STATS_PAD || memchr_inv(payload, 0, plen))
			return -EINVAL;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* Receive and answer one datagram; false once the queue is empty. */
static bool kuipc_udp_serve_one(struct kuipc_udp_server *srv)
{
	struct sockaddr_in peer = {};
	struct msghdr msg = {
		.msg_name = &peer,
		.msg_namelen = sizeof(peer),
	};
	struct kvec iov = {
		.iov_base = srv->buf,
		.iov_len = KUIPC_UDP_DGRAM_MAX,
	};
	struct kuipc_udp_hdr req;
	int len, err;
	u32 plen;

	len = kernel_recvmsg(srv->sock, &msg, &iov, 1, iov.iov_len,
			     MSG_DONTWAIT);
	if (len == -EAGAIN)
		return false;
	if (len < 0) {
		/* A pending socket error, reported once; go on. */
		pr_debug("recvmsg: %pe\n", ERR_PTR(len));
		return true;
	}
	srv->cnt.requests++;
	srv->cnt.rx_bytes += len;

	/* Only from this host: see the top of the file. */
	if (!ipv4_is_loopback(peer.sin_addr.s_addr)) {
		srv->cnt.foreign++;
		pr_debug("dropped %d-byte datagram from %pISpc: not loopback\n",
			 len, &peer);
		return true;
	}
	if ((msg.msg_flags & MSG_TRUNC) || len < sizeof(req)) {
		srv->cnt.dropped++;
		pr_debug("dropped %d-byte datagram from %pISpc: too short\n",
			 len, &peer);
		return true;
	}
	memcpy(&req, srv->buf, sizeof(req));
	if (req.magic != htonl(KUIPC_UDP_MAGIC) ||
	    (req.op & KUIPC_UDP_OP_REPLY)) {
		srv->cnt.dropped++;
		pr_debug("dropped datagram from %pISpc: not a request\n",
			 &peer);
		return true;
	}

	plen = len - sizeof(req);
	err = kuipc_udp_check(&req, srv->buf + sizeof(req), plen);
	if (err) {
		srv->cnt.rejected++;
		pr_debug("rejected op %u seq %u from %pISpc: %pe\n", req.op,
			 ntohl(req.seq), &peer, ERR_PTR(err));
		kuipc_udp_reply(srv, &peer, &req, len, -err, NULL, 0);
		return true;
	}

	if (req.op == KUIPC_UDP_OP_STATS) {
		kuipc_udp_stats(srv, &peer, &req, len);
	} else {
		pr_debug("echo seq %u, %u bytes, from %pISpc\n",
			 ntohl(req.seq), plen, &peer);
		kuipc_udp_reply(srv, &peer, &req, len, 0,
				srv->buf + sizeof(req), plen);
	}
	return true;
}

static void kuipc_udp_work(struct work_struct *work)
{
	struct kuipc_udp_server *srv =
		container_of(work, struct kuipc_udp_server, work);
	int n;

	for (n = 0; n < KUIPC_UDP_BUDGET; n++)
		if (!kuipc_udp_serve_one(srv))
			return;
	/* More may be queued: come back after others had their turn. */
	schedule_work(work);
}

/* Detach from the socket, wait for the work item, release the socket. */
static void kuipc_udp_stop(struct kuipc_udp_server *srv)
{
	struct sock *sk = srv->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = srv->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);

	cancel_work_sync(&srv->work);
	sock_release(srv->sock);
	srv->sock = NULL;
}

static int __init kuipc_udp_init(void)
{
	struct kuipc_udp_server *srv = &kuipc_udp;
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(KUIPC_UDP_ADDR),
	};
	struct sock *sk;
	int err;

	BUILD_BUG_ON(sizeof(struct kuipc_udp_hdr) != KUIPC_UDP_HDR_SIZE);
	BUILD_BUG_ON(sizeof(struct kuipc_udp_stats) != KUIPC_UDP_STATS_PAD);

	srv->buf = kvmalloc(KUIPC_UDP_DGRAM_MAX, GFP_KERNEL);
	if (!srv->buf)
		return -ENOMEM;
	INIT_WORK(&srv->work, kuipc_udp_work);

	err = sock_create_kern(&init_net, AF_INET, SOCK_DGRAM, IPPROTO_UDP,
			       &srv->sock);
	if (err) {
		pr_err("cannot create a UDP socket: %pe\n", ERR_PTR(err));
		goto err_free_buf;
	}
	sk = srv->sock->sk;
	sock_set_rcvbuf(sk, KUIPC_UDP_RCVBUF);

	/* Hook in before bind(): no datagram may arrive unnoticed. */
	write_lock_bh(&sk->sk_callback_lock);
	srv->saved_data_ready = sk->sk_data_ready;
	sk->sk_user_data = srv;
	sk->sk_data_ready = kuipc_udp_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);

	/* Only packets that came in on lo; replies leave through it. */
	err = sock_bindtoindex(sk, LOOPBACK_IFINDEX, true);
	if (err) {
		pr_err("cannot bind to the loopback device: %pe\n",
		       ERR_PTR(err));
		goto err_stop;
	}
	err = kernel_bind(srv->sock, kuipc_sockaddr(&addr), sizeof(addr));
	if (err) {
		pr_err("cannot bind %pISpc: %pe\n", &addr, ERR_PTR(err));
		goto err_stop;
	}

	pr_info("serving on %pISpc\n", &addr);
	return 0;

err_stop:
	kuipc_udp_stop(srv);
err_free_buf:
	kvfree(srv->buf);
	return err;
}

static void __exit kuipc_udp_exit(void)
{
	struct kuipc_udp_server *srv = &kuipc_udp;
	const struct kuipc_udp_counters *c = &srv->cnt;

	kuipc_udp_stop(srv);
	kvfree(srv->buf);
	pr_info("stopped after %llu requests, %llu replies, %llu dropped, %llu rejected, %llu send errors, %llu foreign\n",
		c->requests, c->replies, c->dropped, c->rejected,
		c->send_errors, c->foreign);
}

module_init(kuipc_udp_init);
module_exit(kuipc_udp_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kuipc");
MODULE_DESCRIPTION("Request/reply service on a kernel UDP socket bound to 127.0.0.1");
