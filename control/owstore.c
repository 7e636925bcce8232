// SPDX-License-Identifier: GPL-2.0-only
/*
 * OWAMP session data at the receiver: contract in owstore.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "owstore.h"

/* Room for duplicates beyond Number of Packets (a resource limit). */
#define DUP_ROOM(n) ((n) / 4 > 16 ? (n) / 4 : 16)
/* RFC 4656 3.9: a lost packet's TTL */
#define LOST_TTL    255

/*
 * A session's records, shared with the Fetch-Session answers still being
 * sent from them (ow_store_fetch_stream): the store rewrites or frees them
 * only when nobody else holds them (copy on write at Stop-Sessions, the
 * last holder frees).
 */
struct ow_recbuf {
	unsigned int refs;
	struct codec_ow_record *rec;
};

static struct ow_recbuf *rb_new(struct codec_ow_record *rec)
{
	struct ow_recbuf *rb = calloc(1, sizeof(*rb));

	if (rb) {
		rb->refs = 1;
		rb->rec = rec;
	}
	return rb;
}

static void rb_unref(struct ow_recbuf *rb)
{
	if (rb && !--rb->refs) {
		free(rb->rec);
		free(rb);
	}
}

struct ow_sdata {
	uint8_t sid[XW_SID_LEN];
	uint8_t *req;
	size_t req_len;
	uint32_t num_packets;
	uint64_t timeout; /* NTP-format interval */
	struct xw_ow_sched sched;
	enum ow_sess_state state;
	struct codec_ow_record *rec; /* rb->rec */
	struct ow_recbuf *rb;
	size_t n, cap; /* cap: the reservation */
	uint32_t next_seqno;
	struct codec_ow_skip *skips;
	uint32_t nskips;
	uint64_t end_ns;
	uint64_t dropped;
};

struct ow_store {
	struct ow_store_cfg cfg;
	struct ow_sdata **s;
	unsigned int n;
	uint64_t reserved; /* sum of the sessions' cap */
	uint64_t dropped;
};

struct ow_store *ow_store_new(const struct ow_store_cfg *cfg)
{
	struct ow_store *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->cfg = *cfg;
	if (cfg->max_sessions) {
		st->s = calloc(cfg->max_sessions, sizeof(*st->s));
		if (!st->s) {
			free(st);
			return NULL;
		}
	}
	return st;
}

static void sdata_free(struct ow_sdata *d)
{
	xw_ow_sched_fini(&d->sched);
	free(d->req);
	if (d->rb)
		rb_unref(d->rb);
	else
		free(d->rec);
	free(d->skips);
	free(d);
}

static void drop_at(struct ow_store *st, unsigned int i)
{
	st->reserved -= st->s[i]->cap;
	sdata_free(st->s[i]);
	st->s[i] = st->s[--st->n];
	st->s[st->n] = NULL;
}

void ow_store_free(struct ow_store *st)
{
	if (!st)
		return;
	while (st->n)
		drop_at(st, 0);
	free(st->s);
	free(st);
}

static struct ow_sdata *find(const struct ow_store *st, const uint8_t sid[XW_SID_LEN],
			     unsigned int *idx)
{
	unsigned int i;

	for (i = 0; i < st->n; i++)
		if (!memcmp(st->s[i]->sid, sid, XW_SID_LEN)) {
			if (idx)
				*idx = i;
			return st->s[i];
		}
	return NULL;
}

int ow_store_open(struct ow_store *st, const uint8_t *req, size_t len, uint64_t now_ns)
{
	struct codec_request_session rs;
	struct ow_sdata *d = NULL;
	uint64_t cap;
	int err;

	(void)now_ns;
	err = codec_request_session_decode(&rs, req, len);
	if (err)
		return -EINVAL;
	if (find(st, rs.f.sid, NULL))
		return -EEXIST;
	cap = (uint64_t)rs.f.num_packets + DUP_ROOM(rs.f.num_packets);
	if (st->n >= st->cfg.max_sessions || cap > st->cfg.max_records ||
	    st->reserved + cap > st->cfg.max_total) {
		pr_info("owstore: a session of %u packets does not fit (%u sessions, %llu of %llu "
			"records reserved, at most %u per session)",
			rs.f.num_packets, st->n, (unsigned long long)st->reserved,
			(unsigned long long)st->cfg.max_total, st->cfg.max_records);
		return -ENOSPC;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		goto nomem;
	d->req = malloc(len);
	d->rec = calloc((size_t)cap, sizeof(*d->rec));
	if (!d->req || !d->rec)
		goto nomem;
	d->rb = rb_new(d->rec);
	if (!d->rb)
		goto nomem;
	err = xw_ow_sched_init_req(&d->sched, &rs, rs.f.sid);
	if (err)
		goto fail;
	memcpy(d->req, req, len);
	d->req_len = len;
	memcpy(d->sid, rs.f.sid, XW_SID_LEN);
	d->num_packets = rs.f.num_packets;
	d->timeout = rs.f.timeout;
	d->cap = (size_t)cap;
	st->s[st->n++] = d;
	st->reserved += cap;
	return 0;
nomem:
	err = -ENOMEM;
fail:
	if (d)
		sdata_free(d);
	return err;
}

int ow_store_add(struct ow_store *st, const uint8_t sid[XW_SID_LEN],
		 const struct codec_ow_record *r)
{
	struct ow_sdata *d = find(st, sid, NULL);

	if (!d || d->state != OW_SESS_RUNNING)
		return -ENOENT;
	if (d->n >= d->cap) {
		d->dropped++;
		st->dropped++;
		return -ENOSPC;
	}
	d->rec[d->n++] = *r;
	return 0;
}

static void end_abort(struct ow_sdata *d, uint64_t now_ns)
{
	d->state = OW_SESS_ABORTED;
	d->end_ns = now_ns;
}

int ow_store_abort(struct ow_store *st, const uint8_t sid[XW_SID_LEN], uint64_t now_ns)
{
	struct ow_sdata *d = find(st, sid, NULL);

	if (!d)
		return -ENOENT;
	if (d->state != OW_SESS_RUNNING)
		return -EALREADY;
	end_abort(d, now_ns);
	return 0;
}

int ow_store_stop(struct ow_store *st, const uint8_t sid[XW_SID_LEN], uint32_t next_seqno,
		  const struct codec_ow_skip *skips, uint32_t nskips, uint64_t now_ntp,
		  uint16_t recv_errest, uint64_t now_ns)
{
	struct ow_sdata *d = find(st, sid, NULL);
	uint64_t *t = NULL, cutoff;
	uint8_t *seen = NULL;
	size_t i, keep, nlost = 0;
	uint32_t seq, k;
	struct codec_ow_record *grown;

	if (!d)
		return -ENOENT;
	if (d->state != OW_SESS_RUNNING)
		return -EALREADY;
	if (d->rb->refs > 1) {
		/* a Fetch-Session answer is being sent from these: rewrite a copy */
		struct codec_ow_record *copy = malloc(d->cap * sizeof(*copy));
		struct ow_recbuf *rb = copy ? rb_new(copy) : NULL;

		if (!rb) {
			free(copy);
			end_abort(d, now_ns);
			return -ENOMEM;
		}
		memcpy(copy, d->rec, d->n * sizeof(*copy));
		rb_unref(d->rb);
		d->rb = rb;
		d->rec = copy;
	}
	if (next_seqno > d->num_packets) {
		pr_warn("owstore: Stop-Sessions says %u packets were sent, the session has %u",
			next_seqno, d->num_packets);
		end_abort(d, now_ns);
		return -EBADMSG;
	}
	for (i = 0; i < d->n; i++)
		if (d->rec[i].seq >= next_seqno) {
			/* RFC 4656 3.8: "the results ... MUST be invalidated" */
			pr_warn("owstore: packet %u received, but the sender's Next Seqno is %u",
				d->rec[i].seq, next_seqno);
			end_abort(d, now_ns);
			return -EBADMSG;
		}
	if (next_seqno) {
		t = malloc((size_t)next_seqno * sizeof(*t));
		seen = calloc(next_seqno, 1);
		if (!t || !seen) {
			free(t);
			free(seen);
			end_abort(d, now_ns);
			return -ENOMEM;
		}
		for (seq = 0; seq < next_seqno; seq++)
			t[seq] = xw_ow_sched_time_of(&d->sched, seq);
	}
	cutoff = now_ntp > d->timeout ? now_ntp - d->timeout : 0;
	/* 3.8: discard records whose send time lies within Timeout before now */
	for (i = 0, keep = 0; i < d->n; i++) {
		if (t[d->rec[i].seq] > cutoff && t[d->rec[i].seq] <= now_ntp)
			continue;
		seen[d->rec[i].seq] = 1;
		d->rec[keep++] = d->rec[i];
	}
	d->n = keep;
	/* 3.9: a lost-packet record for every packet sent, due before the cutoff, never seen */
	for (seq = 0, k = 0; seq < next_seqno; seq++) {
		while (k < nskips && skips[k].last < seq)
			k++;
		if ((k < nskips && seq >= skips[k].first) || seen[seq] || t[seq] > cutoff)
			continue;
		seen[seq] = 2;
		nlost++;
	}
	if (d->n + nlost > d->cap) {
		grown = realloc(d->rec, (d->n + nlost) * sizeof(*d->rec));
		if (!grown) {
			free(t);
			free(seen);
			end_abort(d, now_ns);
			return -ENOMEM;
		}
		st->reserved += d->n + nlost - d->cap;
		d->rec = grown;
		d->rb->rec = grown;
		d->cap = d->n + nlost;
	}
	for (seq = 0; seq < next_seqno; seq++)
		if (seen[seq] == 2)
			d->rec[d->n++] = (struct codec_ow_record){
				.seq = seq,
				.send_errest = CODEC_OW_LOST_ERREST,
				.recv_errest = recv_errest,
				.send_ts = t[seq],
				.recv_ts = 0,
				.ttl = LOST_TTL,
			};
	free(t);
	free(seen);
	if (nskips) {
		d->skips = malloc((size_t)nskips * sizeof(*skips));
		if (!d->skips) {
			end_abort(d, now_ns);
			return -ENOMEM;
		}
		memcpy(d->skips, skips, (size_t)nskips * sizeof(*skips));
		d->nskips = nskips;
	}
	d->next_seqno = next_seqno;
	d->state = OW_SESS_FINISHED;
	d->end_ns = now_ns;
	return 0;
}

static int in_range(const struct ow_fetch *f, const struct codec_ow_record *r)
{
	return r->seq >= f->begin_seq && r->seq <= f->end_seq;
}

int ow_store_fetch_stream(struct ow_store *st, const struct codec_fetch_session *f,
			  struct ow_fetch *out)
{
	struct ow_sdata *d = find(st, f->sid, NULL);
	int complete = f->begin_seq == CODEC_FETCH_ALL_BEGIN && f->end_seq == CODEC_FETCH_ALL_END;
	uint32_t nsel = 0, nskips;
	size_t i;
	int n;

	memset(out, 0, sizeof(*out));
	out->ack.accept = XW_ACCEPT_FAILURE;
	if (!d) {
		pr_info("owstore: Fetch-Session for an unknown SID");
		return 0;
	}
	if (complete && d->state != OW_SESS_FINISHED) {
		/* RFC 4656 3.9: "MUST be denied" while running or after an abnormal end */
		pr_info("owstore: Fetch-Session of a complete session that %s",
			d->state == OW_SESS_RUNNING ? "is still running" : "ended abnormally");
		return 0;
	}
	out->begin_seq = f->begin_seq;
	out->end_seq = f->end_seq;
	for (i = 0; i < d->n; i++)
		nsel += in_range(out, &d->rec[i]);
	nskips = d->state == OW_SESS_FINISHED ? d->nskips : 0;
	out->req_len = d->req_len;
	out->skips_len = CODEC_OW_SKIPS_PART_LEN(nskips);
	out->recs_len = CODEC_OW_RECORDS_PART_LEN(nsel);
	out->data = malloc(out->req_len + out->skips_len);
	if (!out->data) {
		out->ack.accept = XW_ACCEPT_INTERNAL;
		return -ENOMEM;
	}
	memcpy(out->data, d->req, d->req_len);
	n = codec_ow_skips_part_encode(d->skips, nskips, out->data + out->req_len, out->skips_len);
	if (n < 0) {
		ow_fetch_free(out);
		out->ack.accept = XW_ACCEPT_INTERNAL;
		return n;
	}
	/* the records stay where they are: held, read by ow_fetch_next() */
	out->rb = d->rb;
	d->rb->refs++;
	out->n = d->n;
	out->left = nsel;
	out->ack.accept = XW_ACCEPT_OK;
	out->ack.finished = d->state == OW_SESS_FINISHED;
	out->ack.next_seqno = out->ack.finished ? d->next_seqno : 0;
	out->ack.num_skips = nskips;
	out->ack.num_records = nsel;
	return 0;
}

uint32_t ow_fetch_next(struct ow_fetch *f, struct codec_ow_record *out, uint32_t max)
{
	uint32_t got = 0;

	while (got < max && f->left && f->pos < f->n) {
		const struct codec_ow_record *r = &f->rb->rec[f->pos++];

		if (in_range(f, r)) {
			out[got++] = *r;
			f->left--;
		}
	}
	return got;
}

int ow_store_fetch(struct ow_store *st, const struct codec_fetch_session *f, struct ow_fetch *out)
{
	struct codec_ow_record *sel = NULL;
	uint32_t nsel;
	uint8_t *data;
	int n = ow_store_fetch_stream(st, f, out);

	if (n || out->ack.accept != XW_ACCEPT_OK)
		return n;
	nsel = out->left;
	sel = malloc((nsel ? nsel : 1) * sizeof(*sel));
	data = realloc(out->data, out->req_len + out->skips_len + out->recs_len);
	if (!sel || !data) {
		free(sel);
		if (data)
			out->data = data;
		ow_fetch_free(out);
		out->ack.accept = XW_ACCEPT_INTERNAL;
		return -ENOMEM;
	}
	out->data = data;
	n = codec_ow_records_part_encode(sel, ow_fetch_next(out, sel, nsel),
					 data + out->req_len + out->skips_len, out->recs_len);
	free(sel);
	if (n < 0) {
		ow_fetch_free(out);
		out->ack.accept = XW_ACCEPT_INTERNAL;
		return n;
	}
	/* whole: nothing more to produce, the records are not held */
	rb_unref(out->rb);
	out->rb = NULL;
	return 0;
}

void ow_fetch_free(struct ow_fetch *f)
{
	free(f->data);
	f->data = NULL;
	if (f->rb)
		rb_unref(f->rb);
	f->rb = NULL;
	f->left = 0;
}

unsigned int ow_store_expire(struct ow_store *st, uint64_t now_ns)
{
	unsigned int i = 0, n = 0;

	while (i < st->n) {
		struct ow_sdata *d = st->s[i];

		if (d->state != OW_SESS_RUNNING && now_ns - d->end_ns >= st->cfg.keep_ns) {
			drop_at(st, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

uint64_t ow_store_deadline(const struct ow_store *st)
{
	uint64_t dl = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < st->n; i++)
		if (st->s[i]->state != OW_SESS_RUNNING && st->s[i]->end_ns + st->cfg.keep_ns < dl)
			dl = st->s[i]->end_ns + st->cfg.keep_ns;
	return dl;
}

unsigned int ow_store_nsessions(const struct ow_store *st)
{
	return st->n;
}

uint64_t ow_store_nrecords(const struct ow_store *st)
{
	return st->reserved;
}

uint64_t ow_store_dropped(const struct ow_store *st)
{
	return st->dropped;
}

int ow_store_state(const struct ow_store *st, const uint8_t sid[XW_SID_LEN], size_t *nrec)
{
	const struct ow_sdata *d = find(st, sid, NULL);

	if (!d)
		return -ENOENT;
	if (nrec)
		*nrec = d->n;
	return (int)d->state;
}
